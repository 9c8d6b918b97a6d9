package dev.parley.protocol;

/** A member's role in one conversation. */
public enum Role {
  OWNER,
  ADMIN,
  MEMBER;

  /** Owners and admins moderate: they post in channels, add admins' peers, remove others, delete any message. */
  public boolean moderates() {
    return this == OWNER || this == ADMIN;
  }
}

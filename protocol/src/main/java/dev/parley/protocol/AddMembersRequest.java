package dev.parley.protocol;

import java.util.List;

/** REST body to add members to a conversation: at least one user id, and the role they get (default MEMBER). */
public record AddMembersRequest(List<String> userIds, Role role) {
  public AddMembersRequest {
    userIds = Fields.lines(Fields.requireNonEmpty(userIds, "userIds", "addMembers"), "userIds", "addMembers");
    if (role == null) {
      role = Role.MEMBER;
    }
  }

  /** Adds plain members. */
  public AddMembersRequest(List<String> userIds) {
    this(userIds, Role.MEMBER);
  }
}

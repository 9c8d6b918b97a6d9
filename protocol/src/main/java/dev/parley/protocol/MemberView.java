package dev.parley.protocol;

/** One member of a conversation: the user id and the role held there. */
public record MemberView(String userId, Role role) {
  public MemberView {
    Fields.require(userId, "userId", "member");
    Fields.require(role, "role", "member");
  }
}

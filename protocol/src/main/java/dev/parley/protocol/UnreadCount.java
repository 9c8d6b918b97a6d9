package dev.parley.protocol;

/** The caller's unread message count in one conversation, and that conversation's newest sequence number. */
public record UnreadCount(String conv, long count, long lastSeq) {
  public UnreadCount {
    Fields.require(conv, "conv", "unreadCount");
  }
}

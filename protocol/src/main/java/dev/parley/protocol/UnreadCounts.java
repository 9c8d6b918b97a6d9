package dev.parley.protocol;

import java.util.List;

/** REST answer listing the caller's unread counts, one {@link UnreadCount} per conversation. */
public record UnreadCounts(List<UnreadCount> items) {
  public UnreadCounts {
    items = Fields.list(items, "items", "unreadCounts");
  }
}

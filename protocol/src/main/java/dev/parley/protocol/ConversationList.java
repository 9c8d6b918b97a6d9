package dev.parley.protocol;

import java.util.List;

/** REST answer listing the caller's conversations, one {@link ConversationListItem} each. */
public record ConversationList(List<ConversationListItem> items) {
  public ConversationList {
    items = Fields.list(items, "items", "conversationList");
  }
}

package dev.parley.protocol;

/**
 * One row of the caller's conversation list: id, tier, name (null when unnamed), the newest
 * message (null when there is none yet) and the caller's unread count.
 */
public record ConversationListItem(
    String conv, ConversationType type, String name, MessageView lastMessage, long unread) {
  public ConversationListItem {
    Fields.require(conv, "conv", "conversationListItem");
    Fields.require(type, "type", "conversationListItem");
  }
}

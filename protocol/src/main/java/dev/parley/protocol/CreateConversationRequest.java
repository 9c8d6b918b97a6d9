package dev.parley.protocol;

import java.util.List;

/**
 * REST body to create a conversation: its tier, an optional display name and the initial member
 * user ids (the caller is added as owner and need not be listed; absent means none).
 */
public record CreateConversationRequest(ConversationType type, String name, List<String> members) {
  public CreateConversationRequest {
    Fields.require(type, "type", "createConversation");
    Fields.line(name, "name", "createConversation");
    members = Fields.lines(Fields.list(members, "members", "createConversation"), "members", "createConversation");
  }
}

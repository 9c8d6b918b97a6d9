package dev.parley.protocol;

import java.time.Instant;
import java.util.List;

/**
 * REST view of one conversation: id, tier, name (null when unnamed), owner, members with roles
 * (may be a first page only for large conversations; {@code memberCount} is always the total),
 * message count, newest sequence number and creation time.
 */
public record ConversationInfo(
    String id,
    ConversationType type,
    String name,
    String owner,
    List<MemberView> members,
    long memberCount,
    long messageCount,
    long lastSeq,
    Instant createdAt) {

  public ConversationInfo {
    Fields.require(id, "id", "conversation");
    Fields.require(type, "type", "conversation");
    Fields.require(owner, "owner", "conversation");
    Fields.require(createdAt, "createdAt", "conversation");
    members = Fields.list(members, "members", "conversation");
  }
}

package dev.parley.protocol;

import java.time.Instant;
import java.util.List;

/**
 * One message as clients see it: its conversation, per-conversation sequence number, server id,
 * sender, text, attachments, when it was posted and last edited, and whether it was deleted (a
 * deleted message keeps its {@code seq} so the client's cursor stays gap-free, but loses its content).
 *
 * @param conv        conversation id
 * @param seq         1, 2, 3 ... per conversation, gap-free
 * @param messageId   server-assigned id, unique across conversations
 * @param sender      the author's user id
 * @param text        the text; null when deleted (or for an attachment-only message)
 * @param attachments attachments, empty when none (and when deleted)
 * @param at          when the server accepted it
 * @param editedAt    when it was last edited, null when never
 * @param deleted     whether it was deleted
 */
public record MessageView(
    String conv,
    long seq,
    String messageId,
    String sender,
    String text,
    List<Attachment> attachments,
    Instant at,
    Instant editedAt,
    boolean deleted) {

  public MessageView {
    Fields.require(conv, "conv", "message");
    Fields.require(messageId, "messageId", "message");
    Fields.require(sender, "sender", "message");
    Fields.require(at, "at", "message");
    attachments = Fields.list(attachments, "attachments", "message");
  }
}

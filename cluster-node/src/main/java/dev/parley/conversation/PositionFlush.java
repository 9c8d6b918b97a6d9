package dev.parley.conversation;

import dev.parley.conversation.ConversationEntity.Message;
import dev.parley.protocol.ConversationType;
import java.time.Instant;
import java.util.List;

/**
 * One conversation's read positions that moved since its previous flush, with the facts its receipt
 * rows are derived from: the tier, and through {@link #window()} the messages still held in memory
 * and their channel view counts.
 *
 * @param at when the flush was cut (every advance in it happened before)
 * @param moved the members (and departed members) whose positions moved
 * @param window the conversation at the moment of the flush; valid only during {@link PositionSink#flush}
 */
public record PositionFlush(String conversationId, ConversationType type, Instant at, List<Moved> moved,
    Window window) {

  /**
   * A member's current positions and those known to be stored ({@code flushedRead},
   * {@code flushedDelivered}), so per-message rows cover exactly the messages in between.
   */
  public record Moved(String user, long read, long delivered, long flushedRead, long flushedDelivered) {}

  /** The conversation's recent window as a flush sees it. */
  public interface Window {
    /** The oldest seq held in memory (lastSeq + 1 when none is). */
    long firstSeq();

    /** The message with this seq, or null when it is not held in memory. */
    Message messageAt(long seq);

    /** How many members have viewed message {@code seq} (held in memory): departed ones included, its sender not. */
    long viewsOf(long seq);
  }
}

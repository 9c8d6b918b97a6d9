package dev.parley.receipts;

import dev.parley.CborSerializable;
import dev.parley.protocol.ConversationType;
import java.time.Instant;
import java.util.List;

/**
 * One conversation's receipt changes since its previous flush, built from the conversation's
 * {@link dev.parley.conversation.PositionFlush} by {@link ReceiptBatches}. Every part is written idempotently, so a batch may be written
 * twice (a retry after an unknown commit outcome, a Kafka redelivery) without changing the result:
 * positions keep the greatest value, per-message rows keep their first read / delivered time,
 * channel views are absolute counts that keep the greatest value.
 *
 * @param positions the members' (and departed members') current read and delivered positions
 * @param reads per-message rows, PRIVATE and SMALL_GROUP only (empty otherwise)
 * @param views absolute view counts of channel messages whose count changed (CHANNEL only)
 */
public record ReceiptBatch(
    String conversationId,
    ConversationType type,
    Instant at,
    List<Position> positions,
    List<MessageRead> reads,
    List<ChannelView> views)
    implements CborSerializable {

  /** A member's positions; {@code readAt} is when this batch was cut (the latest advance happened before it). */
  public record Position(String userId, long readSeq, long deliveredSeq) {}

  /** Member {@code userId} has received ({@code read} false) or read message {@code seq}. */
  public record MessageRead(long seq, String userId, boolean read) {}

  /** Message {@code seq} of a channel has been viewed by {@code views} members (absolute). */
  public record ChannelView(long seq, long views) {}

  /** Rows this batch writes (positions + per-message rows + view counts); the unit of the flush metrics. */
  public int rowCount() {
    return positions.size() + reads.size() + views.size();
  }
}

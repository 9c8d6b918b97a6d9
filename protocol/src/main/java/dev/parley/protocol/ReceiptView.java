package dev.parley.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Who has seen and received one message, in the form its conversation's tier allows: names for
 * PRIVATE and SMALL_GROUP ({@code seenBy}, {@code deliveredTo}), counts for LARGE_GROUP
 * ({@code seenCount}, {@code deliveredCount}), a view count for CHANNEL ({@code views}). The other
 * variants are null and left out of the JSON.
 *
 * @param conv           conversation id
 * @param seq            the message's sequence number
 * @param type           the conversation's tier, which decides the variant
 * @param seenBy         user ids that have read it (named tiers), else null
 * @param deliveredTo    user ids whose devices received it (named tiers), else null
 * @param seenCount      how many members have read it (counted tiers), else null
 * @param deliveredCount how many members' devices received it (counted tiers), else null
 * @param views          view count (CHANNEL only), else null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ReceiptView(
    String conv,
    long seq,
    ConversationType type,
    List<String> seenBy,
    List<String> deliveredTo,
    Integer seenCount,
    Integer deliveredCount,
    Long views) {

  public ReceiptView {
    Fields.require(conv, "conv", "receipts");
    Fields.require(type, "type", "receipts");
    seenBy = Fields.nullableList(seenBy, "seenBy", "receipts");
    deliveredTo = Fields.nullableList(deliveredTo, "deliveredTo", "receipts");
  }

  /** Receipts that name the readers (PRIVATE, SMALL_GROUP). */
  public static ReceiptView named(
      String conv, long seq, ConversationType type, List<String> seenBy, List<String> deliveredTo) {
    return new ReceiptView(conv, seq, type, seenBy, deliveredTo, null, null, null);
  }

  /** Receipts that count the readers (LARGE_GROUP). */
  public static ReceiptView counted(String conv, long seq, ConversationType type, int seenCount, int deliveredCount) {
    return new ReceiptView(conv, seq, type, null, null, seenCount, deliveredCount, null);
  }

  /** A channel post's view count. */
  public static ReceiptView viewed(String conv, long seq, long views) {
    return new ReceiptView(conv, seq, ConversationType.CHANNEL, null, null, null, null, views);
  }
}

package dev.parley.receipts;

import dev.parley.conversation.ConversationEntity.Message;
import dev.parley.conversation.PositionFlush;
import dev.parley.protocol.ConversationType;
import java.util.ArrayList;
import java.util.List;

/**
 * Which receipt rows a conversation's tier stores, built from one flush of moved read positions:
 * positions for every tier; per-message rows (PRIVATE, SMALL_GROUP) for the messages held in memory
 * between what is stored and where a member is now, never for their own or deleted messages;
 * positions only for LARGE_GROUP; for a CHANNEL the absolute view counts of the messages whose count
 * moved. Messages no longer held in memory get no per-message rows (their positions still count).
 */
public final class ReceiptBatches {
  private ReceiptBatches() {}

  /** The batch for this flush; reads the flush's window, so call it during {@code PositionSink.flush}. */
  public static ReceiptBatch of(PositionFlush f) {
    PositionFlush.Window w = f.window();
    boolean perMessage = f.type() == ConversationType.PRIVATE || f.type() == ConversationType.SMALL_GROUP;
    List<ReceiptBatch.Position> ps = new ArrayList<>(f.moved().size());
    List<ReceiptBatch.MessageRead> reads = new ArrayList<>();
    List<ReceiptBatch.ChannelView> views = new ArrayList<>();
    long first = w.firstSeq();
    long lowest = Long.MAX_VALUE;
    long highest = 0;
    for (PositionFlush.Moved d : f.moved()) {
      ps.add(new ReceiptBatch.Position(d.user(), d.read(), d.delivered()));
      lowest = Math.min(lowest, d.flushedRead());
      highest = Math.max(highest, d.read());
      if (perMessage) {
        long upTo = Math.max(d.read(), d.delivered());
        for (long seq = Math.max(d.flushedRead(), first - 1) + 1; seq <= upTo; seq++) {
          Message m = w.messageAt(seq);
          if (m == null || m.deleted() || m.sender().equals(d.user())) {
            continue;
          }
          if (seq <= d.read()) {
            reads.add(new ReceiptBatch.MessageRead(seq, d.user(), true));
          } else if (seq > d.flushedDelivered()) {
            reads.add(new ReceiptBatch.MessageRead(seq, d.user(), false));
          }
        }
      }
    }
    if (f.type() == ConversationType.CHANNEL) {
      for (long seq = Math.max(lowest, first - 1) + 1; seq <= highest; seq++) {
        if (w.messageAt(seq) != null) {
          views.add(new ReceiptBatch.ChannelView(seq, w.viewsOf(seq)));
        }
      }
    }
    return new ReceiptBatch(f.conversationId(), f.type(), f.at(), ps, reads, views);
  }
}

package dev.parley.receipts;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.parley.conversation.ConversationEntity.Message;
import dev.parley.conversation.PositionFlush;
import dev.parley.protocol.ConversationType;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which rows each tier stores for one flush of moved read positions. */
class ReceiptBatchesTest {
  static final Instant T = Instant.parse("2026-11-24T10:00:00Z");

  /** Messages 3..6 are held (4 is bo's own, 5 deleted); views are 10 × seq. */
  static final PositionFlush.Window WINDOW = new PositionFlush.Window() {
    final Map<Long, Message> held = Map.of(
        3L, message(3, "ann", false), 4L, message(4, "bo", false), 5L, message(5, "ann", true), 6L, message(6, "ann", false));

    @Override
    public long firstSeq() {
      return 3;
    }

    @Override
    public Message messageAt(long seq) {
      return held.get(seq);
    }

    @Override
    public long viewsOf(long seq) {
      return 10 * seq;
    }
  };

  static Message message(long seq, String sender, boolean deleted) {
    return new Message(seq, "m" + seq, sender, "c" + seq, deleted ? null : "hi", List.of(), T, null, deleted);
  }

  private static ReceiptBatch batch(ConversationType type, PositionFlush.Moved... moved) {
    return ReceiptBatches.of(new PositionFlush("c", type, T, List.of(moved), WINDOW));
  }

  @Test
  void smallTiersGetARowPerMessageBetweenWhatIsStoredAndWhereTheMemberIsNow() {
    // bo: stored read 1 / delivered 3, now read 5 / delivered 6; rows only for held messages,
    // not bo's own (4), not deleted (5); 6 only delivered
    for (ConversationType type : List.of(ConversationType.PRIVATE, ConversationType.SMALL_GROUP)) {
      ReceiptBatch b = batch(type, new PositionFlush.Moved("bo", 5, 6, 1, 3));
      assertEquals(List.of(new ReceiptBatch.Position("bo", 5, 6)), b.positions());
      assertEquals(List.of(new ReceiptBatch.MessageRead(3, "bo", true), new ReceiptBatch.MessageRead(6, "bo", false)),
          b.reads());
      assertEquals(List.of(), b.views());
      assertEquals(new ReceiptBatch("c", type, T, b.positions(), b.reads(), List.of()), b);
    }
  }

  @Test
  void aDeliveryAlreadyStoredIsNotWrittenAgain() {
    ReceiptBatch b = batch(ConversationType.SMALL_GROUP, new PositionFlush.Moved("cy", 3, 6, 3, 6));
    assertEquals(List.of(), b.reads());
  }

  @Test
  void aLargeGroupStoresPositionsOnly() {
    ReceiptBatch b = batch(ConversationType.LARGE_GROUP, new PositionFlush.Moved("bo", 5, 6, 1, 3));
    assertEquals(List.of(new ReceiptBatch.Position("bo", 5, 6)), b.positions());
    assertEquals(List.of(), b.reads());
    assertEquals(List.of(), b.views());
  }

  @Test
  void aChannelStoresTheViewCountsOfHeldMessagesWhoseCountMoved() {
    ReceiptBatch b = batch(ConversationType.CHANNEL, new PositionFlush.Moved("bo", 4, 4, 2, 2),
        new PositionFlush.Moved("cy", 6, 6, 5, 5));
    assertEquals(List.of(), b.reads());
    assertEquals(List.of(new ReceiptBatch.ChannelView(3, 30), new ReceiptBatch.ChannelView(4, 40),
        new ReceiptBatch.ChannelView(5, 50), new ReceiptBatch.ChannelView(6, 60)), b.views());
  }
}

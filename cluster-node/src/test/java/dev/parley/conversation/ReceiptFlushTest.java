package dev.parley.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.conversation.ConversationEntity.Command;
import dev.parley.conversation.ConversationEntity.Create;
import dev.parley.conversation.ConversationEntity.Event;
import dev.parley.conversation.ConversationEntity.MarkRead;
import dev.parley.conversation.ConversationEntity.MessageAccepted;
import dev.parley.conversation.ConversationEntity.PostMessage;
import dev.parley.conversation.ConversationEntity.ReadPosition;
import dev.parley.conversation.ConversationEntity.Summary;
import dev.parley.protocol.ConversationType;
import dev.parley.receipts.ReceiptBatch;
import dev.parley.receipts.ReceiptSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.Test;

/**
 * How a conversation hands its read positions to the receipt sink: batched per flush interval,
 * per tier, on passivation, retried after a failure, and restored when it starts again.
 */
class ReceiptFlushTest {
  private static final WriteBehindSettings FAST =
      new WriteBehindSettings(Duration.ofMillis(100), 500, Duration.ofSeconds(1));

  /** Records batches; stores positions like the SQL store would (greatest wins); can be told to fail. */
  static final class RecordingSink implements ReceiptSink {
    final List<ReceiptBatch> batches = new CopyOnWriteArrayList<>();
    final Map<String, long[]> stored = new ConcurrentHashMap<>();
    final AtomicInteger failNext = new AtomicInteger();

    @Override
    public CompletionStage<Done> submit(ReceiptBatch batch) {
      if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        return CompletableFuture.failedFuture(new IllegalStateException("database down"));
      }
      batches.add(batch);
      batch.positions().forEach(p -> stored.merge(p.userId(), new long[] {p.readSeq(), p.deliveredSeq()},
          (a, b) -> new long[] {Math.max(a[0], b[0]), Math.max(a[1], b[1])}));
      return CompletableFuture.completedFuture(Done.getInstance());
    }

    @Override
    public CompletionStage<Map<String, long[]>> positionsOf(String conversationId) {
      return CompletableFuture.completedFuture(Map.copyOf(stored));
    }

    List<ReceiptBatch> awaitBatches(int n) throws InterruptedException {
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (batches.size() < n && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertTrue(batches.size() >= n, "expected " + n + " batches, got " + batches.size());
      return new ArrayList<>(batches);
    }
  }

  /** A flush interval longer than any test: only passivation or flush-max hand positions over. */
  private static final WriteBehindSettings SLOW =
      new WriteBehindSettings(Duration.ofMinutes(5), 500, Duration.ofSeconds(1));
  private static final WriteBehindSettings TWO_SECONDS =
      new WriteBehindSettings(Duration.ofSeconds(2), 500, Duration.ofSeconds(1));

  private static final ConversationSettings SETTINGS = new ConversationSettings(
      2, 50, 1000, 0, 100, 3, 50, 64, 200, 5, 1000, 100, 100, 5, 2, "", Duration.ofSeconds(3));

  private final RecordingSink sink = new RecordingSink();

  private EventSourcedBehaviorTestKit<Command, Event, ConversationState> kit(String id) {
    return kit(id, FAST);
  }

  private EventSourcedBehaviorTestKit<Command, Event, ConversationState> kit(String id, WriteBehindSettings writeBehind) {
    var none = ConversationServices.none();
    var services = new ConversationServices(none.live(), none.hubs(), sink, none.cache(), writeBehind);
    return EventSourcedBehaviorTestKit.create(ConversationEntityTest.testKit.system(),
        ConversationEntity.create(id, SETTINGS, services, ConversationEntityTest.CLOCK));
  }

  private static List<String> members(int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add("m" + i);
    }
    return out;
  }

  private static void post(EventSourcedBehaviorTestKit<Command, Event, ConversationState> kit, String sender, int count) {
    for (int i = 0; i < count; i++) {
      kit.<StatusReply<MessageAccepted>>runCommand(r -> new PostMessage(sender, UUID.randomUUID().toString(),
          "hi", List.of(), r));
    }
  }

  @Test
  void markReadInAHundredMemberGroupIsOneBatchNotAHundredWrites() throws Exception {
    var kit = kit("big-" + UUID.randomUUID(), TWO_SECONDS);
    kit.<StatusReply<Summary>>runCommand(r -> new Create("ann", ConversationType.LARGE_GROUP, "all", members(99), r));
    post(kit, "ann", 3);
    sink.awaitBatches(1); // the sender's own position goes out first
    sink.batches.clear();
    for (String m : members(99)) {
      kit.<StatusReply<ReadPosition>>runCommand(r -> new MarkRead(m, 3, r));
    }
    List<ReceiptBatch> batches = sink.awaitBatches(1);
    Thread.sleep(500);
    int positions = sink.batches.stream().mapToInt(b -> b.positions().size()).sum();
    assertEquals(99, positions);
    assertEquals(1, sink.batches.size(), "99 reads within one flush interval make one batch");
    assertTrue(batches.stream().allMatch(b -> b.reads().isEmpty()), "LARGE_GROUP keeps positions only");
  }

  @Test
  void smallGroupsWritePerMessageRowsChannelsWriteViewCounts() throws Exception {
    var group = kit("small-" + UUID.randomUUID());
    group.<StatusReply<Summary>>runCommand(r -> new Create("ann", ConversationType.SMALL_GROUP, "s", List.of("bo", "cy"), r));
    post(group, "ann", 3);
    group.<StatusReply<ReadPosition>>runCommand(r -> new MarkRead("bo", 2, r));
    sink.awaitBatches(1);
    Thread.sleep(300);
    List<ReceiptBatch.MessageRead> rows = sink.batches.stream().flatMap(b -> b.reads().stream())
        .filter(m -> m.userId().equals("bo")).toList();
    assertEquals(List.of(new ReceiptBatch.MessageRead(1, "bo", true), new ReceiptBatch.MessageRead(2, "bo", true)), rows);
    assertTrue(sink.batches.stream().flatMap(b -> b.reads().stream()).noneMatch(m -> m.userId().equals("ann")),
        "no rows for the sender's own messages");

    sink.batches.clear();
    var channel = kit("chan-" + UUID.randomUUID());
    channel.<StatusReply<Summary>>runCommand(r -> new Create("ann", ConversationType.CHANNEL, "c", List.of("bo", "cy"), r));
    post(channel, "ann", 2);
    channel.<StatusReply<ReadPosition>>runCommand(r -> new MarkRead("bo", 2, r));
    channel.<StatusReply<ReadPosition>>runCommand(r -> new MarkRead("cy", 1, r));
    sink.awaitBatches(1);
    Thread.sleep(300);
    Map<Long, Long> views = new java.util.HashMap<>();
    sink.batches.forEach(b -> b.views().forEach(v -> views.merge(v.seq(), v.views(), Math::max)));
    assertEquals(Map.of(1L, 2L, 2L, 1L), views);
    assertTrue(sink.batches.stream().allMatch(b -> b.reads().isEmpty()));
  }

  @Test
  void aFailedFlushIsRetriedWithTheNewestPositions() throws Exception {
    var kit = kit("retry-" + UUID.randomUUID());
    kit.<StatusReply<Summary>>runCommand(r -> new Create("ann", ConversationType.SMALL_GROUP, "s", List.of("bo"), r));
    post(kit, "ann", 5);
    Thread.sleep(300);
    sink.batches.clear();
    sink.failNext.set(1);
    kit.<StatusReply<ReadPosition>>runCommand(r -> new MarkRead("bo", 2, r));
    Thread.sleep(150);
    kit.<StatusReply<ReadPosition>>runCommand(r -> new MarkRead("bo", 4, r));
    sink.awaitBatches(1);
    Thread.sleep(300);
    assertEquals(4, sink.stored.get("bo")[0]);
    List<Long> rows = sink.batches.stream().flatMap(b -> b.reads().stream()).map(ReceiptBatch.MessageRead::seq).toList();
    assertEquals(List.of(1L, 2L, 3L, 4L), rows, "the failed batch's rows are written with the next one");
  }

  @Test
  void passivationHandsOverWhatMovedAndANewIncarnationRestoresIt() throws Exception {
    String id = "restart-" + UUID.randomUUID();
    var none = ConversationServices.none();
    var services = new ConversationServices(none.live(), none.hubs(), sink, none.cache(), SLOW);
    var testKit = ConversationEntityTest.testKit;
    var first = testKit.spawn(ConversationEntity.create(id, SETTINGS, services, ConversationEntityTest.CLOCK));
    var summary = testKit.<StatusReply<Summary>>createTestProbe();
    first.tell(new Create("ann", ConversationType.SMALL_GROUP, "s", List.of("bo"), summary.getRef()));
    summary.receiveMessage();
    var acks = testKit.<StatusReply<MessageAccepted>>createTestProbe();
    for (int i = 0; i < 5; i++) {
      first.tell(new PostMessage("ann", "m" + i, "hi", List.of(), acks.getRef()));
      acks.receiveMessage();
    }
    var positions = testKit.<StatusReply<ReadPosition>>createTestProbe();
    first.tell(new MarkRead("bo", 3, positions.getRef()));
    positions.receiveMessage();
    assertTrue(sink.batches.isEmpty(), "the flush interval has not passed yet");
    first.tell(ConversationEntity.Passivate.INSTANCE);
    positions.expectTerminated(first);
    assertEquals(3, sink.awaitBatches(1).stream().flatMap(b -> b.positions().stream())
        .filter(p -> p.userId().equals("bo")).mapToLong(ReceiptBatch.Position::readSeq).max().orElse(0),
        "passivation handed over what moved");

    var second = testKit.spawn(ConversationEntity.create(id, SETTINGS, services, ConversationEntityTest.CLOCK));
    second.tell(new ConversationEntity.GetUnread("bo", positions.getRef()));
    ReadPosition bo = positions.receiveMessage().getValue();
    assertEquals(3, bo.readSeq(), "restored from the store");
    assertEquals(2, bo.unread());
  }
}

package dev.parley.receipts;

import static dev.parley.client.ClientTests.signUp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.app.ChildNode;
import dev.parley.app.ParleyNode;
import dev.parley.app.PostgresDatabase;
import dev.parley.app.TestNodes;
import dev.parley.client.Backoff;
import dev.parley.client.FrameQueue;
import dev.parley.client.ParleyClient;
import dev.parley.client.ParleySession;
import dev.parley.client.ParleySocket;
import dev.parley.client.SocketOptions;
import dev.parley.conversation.ConversationEntity;
import dev.parley.protocol.ClientFrame;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.ServerFrame;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.Test;

/**
 * What a hard crash loses, on a node in its own JVM killed with SIGKILL (no coordinated shutdown,
 * no passivation, no final flush): every acknowledged message survives, and of the read positions
 * only those marked within the last flush interval (plus one write in flight) may be lost. A new
 * node on the same database restores positions from conversation_reads.
 */
class ReceiptCrashTest {
  static final Duration FLUSH_INTERVAL = Duration.ofSeconds(1);
  /** One gather window and one write to PostgreSQL on a busy 2-core machine, generously. */
  static final Duration WRITE_SLACK = Duration.ofMillis(500);
  static final int MARKS = 30;
  /** The node is killed under the sockets: they must not try to come back. */
  static final SocketOptions ONCE = SocketOptions.defaults().withReconnect(false, Backoff.DEFAULT);

  @Test
  void aKilledNodeLosesAtMostTheLastFlushIntervalOfReadPositionsAndNoMessages() throws Exception {
    try (PostgresDatabase db = PostgresDatabase.create()) {
      Path dir = Files.createTempDirectory("parley-crash");
      String bo = "bo" + System.nanoTime();
      String conv;
      long[] ackedAt = new long[MARKS + 1];
      long killedAt;
      try (ChildNode child = ChildNode.startOn(db, dir,
          Map.of("parley.receipts.flush-interval", FLUSH_INTERVAL.toMillis() + "ms", "parley.session.send-burst", "100"))) {
        ParleyClient parley = ParleyClient.create(child.httpUrl());
        ParleySession ann = signUp(parley, "ann" + System.nanoTime());
        ParleySession boSession = signUp(parley, bo);
        conv = ann.createConversation(ConversationType.SMALL_GROUP, "crash", List.of(bo)).join().id();
        FrameQueue boFrames = new FrameQueue();
        try (ParleySocket annWs = ann.connect(ONCE, new FrameQueue()).join();
            ParleySocket boWs = boSession.connect(ONCE, boFrames).join()) {
          for (int i = 1; i <= MARKS; i++) {
            ServerFrame.AckFrame ack = annWs.send(new ClientFrame.SendFrame(conv, "m" + i, "m" + i))
                .get(10, TimeUnit.SECONDS);
            assertEquals(i, ack.seq(), ack.toString());
          }
          // One mark every 100 ms for 3 s: some flushed several intervals ago, some not yet.
          for (int i = 1; i <= MARKS; i++) {
            boWs.read(conv, i).join();
            ServerFrame.UnreadFrame unread = boFrames.next(ServerFrame.UnreadFrame.class, Duration.ofSeconds(10));
            ackedAt[i] = System.nanoTime();
            assertEquals(MARKS - i, unread.count(), unread.toString());
            Thread.sleep(100);
          }
          killedAt = System.nanoTime();
          child.kill();
        }
      }

      ParleyNode node = ParleyNode.start(TestNodes.postgres(db, dir, Map.of()));
      try {
        ConversationEntity.ReadPosition p = ClusterSharding.get(node.system())
            .entityRefFor(ConversationEntity.ENTITY_KEY, conv)
            .<ConversationEntity.ReadPosition>askWithStatus(r -> new ConversationEntity.GetUnread(bo, r),
                Duration.ofSeconds(10))
            .toCompletableFuture().get();
        assertEquals(MARKS, p.lastSeq(), "every acknowledged message survived the crash");

        long safeBefore = killedAt - FLUSH_INTERVAL.plus(WRITE_SLACK).toNanos();
        int mustSurvive = 0;
        for (int i = 1; i <= MARKS; i++) {
          if (ackedAt[i] <= safeBefore) {
            mustSurvive = i;
          }
        }
        long restored = p.readSeq();
        long lostMs = restored >= MARKS ? 0 : Duration.ofNanos(killedAt - ackedAt[(int) restored + 1]).toMillis();
        System.out.printf("hard crash: read position restored at %d of %d; lost the marks of the last %d ms "
            + "(flush interval %d ms)%n", restored, MARKS, lostMs, FLUSH_INTERVAL.toMillis());
        assertTrue(mustSurvive >= 10, "the test marked for long enough before the kill: " + mustSurvive);
        assertTrue(restored >= mustSurvive,
            "marks acknowledged more than one flush interval before the crash survive: restored " + restored
                + ", must have " + mustSurvive);
        assertTrue(restored <= MARKS);
        assertEquals(MARKS - restored, p.unread(), "unread counts follow the restored position");
      } finally {
        node.stopAndWait(Duration.ofSeconds(30));
      }
    }
  }
}

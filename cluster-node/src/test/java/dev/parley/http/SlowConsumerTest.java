package dev.parley.http;

import static dev.parley.client.ClientTests.sendUntilStored;
import static dev.parley.client.ClientTests.signUp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.parley.app.ParleyNode;
import dev.parley.app.PostgresDatabase;
import dev.parley.app.TestNodes;
import dev.parley.client.Backoff;
import dev.parley.client.FrameQueue;
import dev.parley.client.ParleyClient;
import dev.parley.client.ParleySession;
import dev.parley.client.ParleySocket;
import dev.parley.client.SocketEvent;
import dev.parley.client.SocketOptions;
import dev.parley.protocol.ClientFrame;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.ServerFrame;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that stops reading is cut off with 4008 once its bounded outbound queue is full, while
 * a client that reads keeps receiving every message in order (R10).
 */
class SlowConsumerTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  /** No reconnect: 4008 is retryable, and the close itself is under test. */
  private static final SocketOptions ONCE = SocketOptions.defaults().withReconnect(false, Backoff.DEFAULT);

  @TempDir Path dir;

  @Test
  void aSlowConsumerIsClosedWhileAFastOneKeepsReceiving() throws Exception {
    try (PostgresDatabase db = PostgresDatabase.create()) {
      ParleyNode node = ParleyNode.start(TestNodes.postgres(db, dir, Map.of(
          "parley.session.max-outbound-queue", 16,
          "parley.session.send-rate", 10000,
          "parley.session.send-burst", 10000,
          "parley.session.frame-rate", 10000,
          "parley.session.frame-burst", 10000,
          "parley.session.max-message-size", "128KiB",
          "parley.conversation.max-text-length", 60000)));
      try {
        ParleyClient parley = ParleyClient.create(node.httpUrl());
        ParleySession ann = signUp(parley, "slow-ann");
        ParleySession bo = signUp(parley, "slow-bo");
        ParleySession cy = signUp(parley, "slow-cy");
        String conv = ann.createConversation(ConversationType.SMALL_GROUP, "firehose", List.of(bo.userId(), cy.userId()))
            .join().id();
        String text = "x".repeat(50_000);
        int count = 300;
        FrameQueue fastFrames = new FrameQueue();
        FrameQueue slowFrames = new FrameQueue();
        try (ParleySocket sender = ann.connect(ONCE, new FrameQueue()).join();
            ParleySocket fast = bo.connect(ONCE, fastFrames).join();
            // Reads one message (its subscribe's answer), then nothing until resumeReading.
            ParleySocket slow = cy.connect(ONCE.withReading(false), slowFrames).join()) {
          slow.subscribe(conv).get(10, TimeUnit.SECONDS);
          fast.subscribe(conv).get(10, TimeUnit.SECONDS);
          // At most 8 sends unanswered (the sender's own answers must not fill its outbound queue of
          // 16); one the conversation refuses as overloaded is repeated with the same clientMsgId.
          java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(8);
          for (int i = 1; i <= count; i++) {
            window.acquire();
            sendUntilStored(sender, new ClientFrame.SendFrame(conv, java.util.UUID.randomUUID().toString(), text))
                .whenComplete((ack, failure) -> window.release());
          }
          for (long seq = 1; seq <= count; seq++) {
            assertEquals(seq, fastFrames.next(ServerFrame.MessageFrame.class, WAIT).message().seq());
          }
          // The slow client reads again: it finds at most the queued frames, then the 4008 close.
          slow.resumeReading();
          SocketEvent.Disconnected cut = slowFrames.next(SocketEvent.Disconnected.class, WAIT);
          assertEquals(4008, cut.code(), cut.toString());
          assertFalse(fast.closed().isDone(), "the fast reader stays connected");
        }
      } finally {
        node.stopAndWait(Duration.ofSeconds(30));
      }
    }
  }
}

package dev.parley.http;

import static dev.parley.client.ClientTests.signUp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

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
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.ServerFrame;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fan-out across a two-node cluster on the local PostgreSQL and Redis: members connected to
 * different nodes chat (tokens are shared through Redis), and a subscription keeps delivering after
 * its conversation moved to the other node.
 */
class TwoNodeFanoutTest {
  static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final String PREFIX = "f" + Long.toString(System.nanoTime() % 1_000_000, 36);
  /**
   * No reconnect: the server's own behaviour is under test, so a drop must fail the test rather than be
   * resumed. (A subscription the server ended with an error would still be subscribed again by the
   * socket; the hand-off below checks that no error came.)
   */
  private static final SocketOptions PLAIN = SocketOptions.defaults().withReconnect(false, Backoff.DEFAULT);

  @TempDir Path dir;

  private Map<String, Object> settings(String keyPrefix, Map<String, Object> extra) {
    Map<String, Object> m = new HashMap<>(extra);
    m.put("parley.redis.url", "redis://127.0.0.1:6379");
    m.put("parley.auth.redis-key-prefix", keyPrefix);
    return m;
  }

  /** {@code session}'s socket on {@code node}: the session's token, used on whichever node. */
  private static ParleySocket connect(ParleyNode node, ParleySession session, FrameQueue frames) {
    return ParleyClient.create(node.httpUrl()).session(session.token()).connect(PLAIN, frames).join();
  }

  @Test
  void membersOnDifferentNodesChatAndASubscriptionSurvivesAHandOff() throws Exception {
    String keyPrefix = "parley-test:" + UUID.randomUUID() + ":";
    try (PostgresDatabase db = PostgresDatabase.create()) {
      ParleyNode a = ParleyNode.start(TestNodes.postgres(db, dir.resolve("a"), settings(keyPrefix, Map.of())));
      ParleyNode b = null;
      try {
        b = ParleyNode.start(TestNodes.postgres(db, dir.resolve("b"), settings(keyPrefix,
            Map.of("parley.cluster.seed-nodes", a.system().address().toString()))));
        TestNodes.awaitUpMembers(b, 2, TIMEOUT);
        ParleyClient viaA = ParleyClient.create(a.httpUrl());
        ParleyClient viaB = ParleyClient.create(b.httpUrl());
        ParleySession ann = signUp(viaA, PREFIX + "ann");
        ParleySession bo = signUp(viaB, PREFIX + "bo");
        ParleySession cy = signUp(viaB, PREFIX + "cy");
        String conv = ann.createConversation(ConversationType.SMALL_GROUP, "across", List.of(bo.userId(), cy.userId()))
            .join().id();

        // ann and cy on node A, bo on node B; cy's token was issued by B and is used on A (shared via Redis).
        FrameQueue annFrames = new FrameQueue();
        FrameQueue boFrames = new FrameQueue();
        FrameQueue cyFrames = new FrameQueue();
        try (ParleySocket annWs = connect(a, ann, annFrames);
            ParleySocket boWs = connect(b, bo, boFrames);
            ParleySocket cyWs = connect(a, cy, cyFrames)) {
          for (ParleySocket s : List.of(annWs, boWs, cyWs)) {
            s.subscribe(conv).get(10, TimeUnit.SECONDS);
          }
          var fromA = annWs.send(conv, "from A");
          var fromB = boWs.send(conv, "from B");
          for (FrameQueue frames : List.of(annFrames, boFrames, cyFrames)) {
            assertEquals(1, frames.next(ServerFrame.MessageFrame.class, TIMEOUT).message().seq());
            assertEquals(2, frames.next(ServerFrame.MessageFrame.class, TIMEOUT).message().seq());
          }
          assertEquals(List.of(1L, 2L), java.util.stream.Stream.of(fromA.join().seq(), fromB.join().seq()).sorted().toList(),
              "one ack each");
        }

        // Hand-off: clients on the node that does not host the conversation; stop the one that does.
        boolean onA = TestNodes.hostedConversations(a).contains(conv);
        ParleyNode host = onA ? a : b;
        ParleyNode survivor = onA ? b : a;
        boFrames = new FrameQueue();
        cyFrames = new FrameQueue();
        try (ParleySocket boWs = connect(survivor, bo, boFrames);
            ParleySocket cyWs = connect(survivor, cy, cyFrames)) {
          assertEquals(2, boWs.subscribe(conv).get(10, TimeUnit.SECONDS).lastSeq());
          cyWs.subscribe(conv).get(10, TimeUnit.SECONDS);
          host.stopAndWait(TIMEOUT);
          if (host == a) {
            a = null;
          } else {
            b = null;
          }
          // The sender's ack and its own copy of the message may come in either order.
          assertEquals(3, boWs.send(conv, "after the move").get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).seq());
          assertEquals(3, nextAfterHandOff(boFrames).message().seq());
          assertEquals(3, nextAfterHandOff(cyFrames).message().seq());
        }
      } finally {
        if (b != null) {
          b.stopAndWait(TIMEOUT);
        }
        if (a != null) {
          a.stopAndWait(TIMEOUT);
        }
      }
    }
  }

  /**
   * The next message, which must come on the original subscription: no {@code error} before it (one
   * ending the subscription would make the socket subscribe again, hiding the failure) and no disconnect.
   */
  private static ServerFrame.MessageFrame nextAfterHandOff(FrameQueue frames) {
    Object next = frames.next(Object.class, item -> item instanceof ServerFrame.MessageFrame
        || item instanceof ServerFrame.ErrorFrame || item instanceof SocketEvent, TIMEOUT);
    return assertInstanceOf(ServerFrame.MessageFrame.class, next, "the subscription kept delivering");
  }
}

package dev.parley.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.TcpProxy;
import dev.parley.app.ParleyNode;
import dev.parley.app.TestNodes;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.ServerFrame;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reconnect and resume against a real node: the subscriber's connection is cut mid-conversation (a TCP
 * proxy drops it), or the node itself restarts; afterwards the subscriber must have seen every message
 * exactly once and in seq order, and sends made while it was away must be delivered once.
 */
class ResumeTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final SocketOptions FAST = SocketOptions.defaults()
      .withReconnect(true, new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), 0.5, 0));
  @TempDir Path dir;

  @Test
  void aCutConnectionResumesWithEveryMessageOnceInOrder() throws Exception {
    ParleyNode node = ParleyNode.start(TestNodes.embedded(dir.resolve("cut")));
    URI at = URI.create(node.httpUrl());
    try (TcpProxy proxy = new TcpProxy(at.getHost(), at.getPort())) {
      ParleyClient direct = ParleyClient.create(node.httpUrl());
      ParleyClient viaProxy = ParleyClient.create("http://127.0.0.1:" + proxy.port());
      ParleySession ann = ParleyClientTest.newUser(direct, "ann");
      ParleySession bobDirect = ParleyClientTest.newUser(direct, "bob");
      ParleySession bob = viaProxy.session(bobDirect.token());
      String conv = ann.createConversation(ConversationType.SMALL_GROUP, "cut", List.of(bobDirect.userId())).join().id();

      FrameQueue frames = new FrameQueue();
      try (ParleySocket annSocket = ann.connect(new FrameQueue()).join();
          ParleySocket bobSocket = bob.connect(FAST, frames).join()) {
        bobSocket.subscribe(conv).join();
        List<Long> seen = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
          annSocket.send(conv, "before " + i).join();
        }
        seen.addAll(messages(frames, 3));

        proxy.cut();
        SocketEvent.Disconnected drop = frames.next(SocketEvent.Disconnected.class, WAIT);
        assertEquals(1006, drop.code());
        assertTrue(drop.reconnecting());
        assertFalse(bobSocket.isConnected());
        // Sent while disconnected: kept and sent after the resume, acked once.
        CompletableFuture<ServerFrame.AckFrame> whileAway = bobSocket.send(conv, "sent while away");
        for (int i = 1; i <= 3; i++) {
          annSocket.send(conv, "during " + i).join();
        }
        Thread.sleep(300);
        assertFalse(whileAway.isDone());
        proxy.restore();

        SocketEvent.Reconnected back = frames.next(SocketEvent.Reconnected.class, WAIT);
        assertEquals(1, back.resubscribed());
        assertEquals(1, back.resent());
        ServerFrame.SubscribedFrame resumed = frames.next(ServerFrame.SubscribedFrame.class, WAIT);
        // The resent send may be stored before the subscribe is answered (the server handles both at once).
        assertTrue(resumed.lastSeq() >= 6, "lastSeq " + resumed.lastSeq());
        assertEquals(4L, resumed.replayedFrom());
        assertFalse(resumed.gap());
        assertEquals(7, whileAway.get(20, java.util.concurrent.TimeUnit.SECONDS).seq());
        annSocket.send(conv, "after").join();
        seen.addAll(messages(frames, 5));

        assertEquals(LongStream.rangeClosed(1, 8).boxed().toList(), seen);
        assertTrue(frames.drain(ServerFrame.MessageFrame.class, Duration.ofMillis(300)).isEmpty(), "nothing twice");
        assertEquals(8L, bobSocket.lastSeq(conv));
      }
    } finally {
      node.stopAndWait(Duration.ofSeconds(30));
    }
  }

  @Test
  void aNodeRestartIsResumedAfterLoggingInAgain() throws Exception {
    Path data = Files.createDirectory(dir.resolve("restart"));
    int port = TestNodes.freePort();
    ParleyNode node = ParleyNode.start(TestNodes.embedded(data, port));
    ParleyNode restarted = null;
    try {
      ParleyClient parley = ParleyClient.create(node.httpUrl());
      ParleySession ann = ParleyClientTest.newUser(parley, "ann");
      ParleySession bob = ParleyClientTest.newUser(parley, "bob");
      String oldToken = bob.token();
      String conv = ann.createConversation(ConversationType.PRIVATE, null, List.of(bob.userId())).join().id();
      FrameQueue annFrames = new FrameQueue();
      FrameQueue bobFrames = new FrameQueue();
      try (ParleySocket annSocket = ann.connect(FAST, annFrames).join();
          ParleySocket bobSocket = bob.connect(FAST, bobFrames).join()) {
        bobSocket.subscribe(conv).join();
        annSocket.send(conv, "one").join();
        annSocket.send(conv, "two").join();
        List<Long> seen = new ArrayList<>(messages(bobFrames, 2));

        node.stopAndWait(Duration.ofSeconds(30));
        assertEquals(1001, bobFrames.next(SocketEvent.Disconnected.class, WAIT).code());
        annFrames.next(SocketEvent.Disconnected.class, WAIT);
        CompletableFuture<ServerFrame.AckFrame> duringRestart = annSocket.send(conv, "three");
        restarted = ParleyNode.start(TestNodes.embedded(data, port));

        bobFrames.next(SocketEvent.Reconnected.class, Duration.ofSeconds(60));
        assertFalse(oldToken.equals(bob.token()), "the restarted node forgot the token: bob logged in again");
        assertEquals(3, duringRestart.get(60, java.util.concurrent.TimeUnit.SECONDS).seq());
        annSocket.send(conv, "four").join();
        seen.addAll(messages(bobFrames, 2));
        assertEquals(List.of(1L, 2L, 3L, 4L), seen);
        assertTrue(bobFrames.drain(ServerFrame.MessageFrame.class, Duration.ofMillis(300)).isEmpty(), "nothing twice");
      }
    } finally {
      if (restarted != null) {
        restarted.stopAndWait(Duration.ofSeconds(30));
      } else {
        node.stopAndWait(Duration.ofSeconds(30));
      }
    }
  }

  /** The seqs of the next {@code n} message frames (the subscription's own gap answers are checked elsewhere). */
  private static List<Long> messages(FrameQueue frames, int n) {
    List<Long> seqs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      seqs.add(frames.next(ServerFrame.MessageFrame.class, WAIT).message().seq());
    }
    return seqs;
  }
}

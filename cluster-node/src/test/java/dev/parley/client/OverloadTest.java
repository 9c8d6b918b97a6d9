package dev.parley.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.parley.TcpProxy;
import dev.parley.app.ParleyNode;
import dev.parley.app.PostgresDatabase;
import dev.parley.app.TestNodes;
import dev.parley.conversation.ConversationEntity;
import dev.parley.protocol.ClientFrame;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.HistoryPage;
import dev.parley.protocol.MessageView;
import dev.parley.protocol.ServerFrame;
import dev.parley.readmodel.ReadModelProjection;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17 item 3: one conversation offered ten times what it sustains, on a full-mode node
 * (PostgreSQL journal), through the client library. Every answer must tell the truth: an {@code ack}
 * is stored exactly once at its seq, {@code overloaded} (and {@code unavailable}) is not stored at
 * all, nothing is written after the last answer, a dropped connection resends none of the refused
 * sends, and another conversation on the node keeps answering every send.
 *
 * <p>The other conversation's latency is printed (idle p99 and p99 under the overload) and checked
 * loosely: every send acked, none refused, and p99 within twice the idle p99 or within
 * {@code admission.max-wait}, whichever is more. A plain 2x bound is noise on a 2-core machine where
 * the load generator, the node, PostgreSQL and other builds share the CPUs.
 */
class OverloadTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final int SENDERS = 6;
  private static final Duration MEASURE = Duration.ofSeconds(2);
  private static final Duration OFFER = Duration.ofSeconds(3);
  /** The node's admission.max-wait (the default). */
  private static final Duration MAX_WAIT = Duration.ofSeconds(1);
  private static final SocketOptions FAST = SocketOptions.defaults()
      .withReconnect(true, new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), 0.5, 0));
  @TempDir Path dir;

  /** One send and what it was answered. */
  private record Sent(String clientMsgId, CompletableFuture<ServerFrame.AckFrame> answer) {}

  @Test
  void tenTimesWhatAConversationSustainsGetsOnlyTruthfulAnswers() throws Exception {
    try (PostgresDatabase db = PostgresDatabase.create()) {
      // The per-user send rate and per-socket frame rate would refuse the flood before the
      // conversation sees it, and a sender busy sending might be closed as a slow reader of its
      // answers; this test is about the conversation, so those limits are out of the way.
      ParleyNode node = ParleyNode.start(TestNodes.postgres(db, dir, Map.of(
          "parley.session.send-rate", 1_000_000, "parley.session.send-burst", 1_000_000,
          "parley.session.frame-rate", 1_000_000, "parley.session.frame-burst", 1_000_000,
          "parley.session.max-outbound-queue", 1_000_000)));
      URI at = URI.create(node.httpUrl());
      try (TcpProxy proxy = new TcpProxy(at.getHost(), at.getPort())) {
        run(node, db, proxy);
      } finally {
        node.stopAndWait(Duration.ofSeconds(30));
      }
    }
  }

  private void run(ParleyNode node, PostgresDatabase db, TcpProxy proxy) throws Exception {
    ParleyClient direct = ParleyClient.create(node.httpUrl());
    ParleyClient viaProxy = ParleyClient.create("http://127.0.0.1:" + proxy.port());
    List<ParleySession> senders = new ArrayList<>();
    for (int i = 0; i < SENDERS; i++) {
      senders.add(ParleyClientTest.newUser(direct, "flood"));
    }
    String busy = senders.get(0).createConversation(ConversationType.SMALL_GROUP, "busy",
        senders.stream().skip(1).map(ParleySession::userId).toList()).join().id();
    ParleySession probe = ParleyClientTest.newUser(direct, "probe");
    ParleySession peer = ParleyClientTest.newUser(direct, "peer");
    String quiet = probe.createConversation(ConversationType.PRIVATE, null, List.of(peer.userId())).join().id();

    List<FrameQueue> events = new ArrayList<>();
    List<ParleySocket> sockets = new ArrayList<>();
    for (ParleySession s : senders) {
      FrameQueue q = new FrameQueue();
      events.add(q);
      sockets.add(viaProxy.session(s.token()).connect(FAST, q).join());
    }
    try (ParleySocket probeSocket = probe.connect(new FrameQueue()).join()) {
      long idleP99 = p99(sendSequentially(probeSocket, quiet, 100));

      // What the conversation sustains: always 8 sends waiting, for 2 s.
      List<Sent> all = Collections.synchronizedList(new ArrayList<>());
      Semaphore window = new Semaphore(8);
      AtomicInteger measuredAcks = new AtomicInteger();
      long start = System.nanoTime();
      for (int i = 0; System.nanoTime() - start < MEASURE.toNanos(); i++) {
        window.acquire();
        Sent s = send(sockets.get(i % SENDERS), busy);
        all.add(s);
        s.answer().whenComplete((ack, failure) -> {
          if (failure == null) {
            measuredAcks.incrementAndGet();
          }
          window.release();
        });
      }
      window.acquire(8);
      double sustained = measuredAcks.get() / ((System.nanoTime() - start) / 1e9);
      assertTrue(measuredAcks.get() > 0, "nothing acked while measuring");

      // Ten times that, open loop, spread over the sockets; meanwhile the probe keeps sending to its own conversation.
      double offeredRate = 10 * sustained;
      AtomicBoolean offering = new AtomicBoolean(true);
      List<Long> underLoad = new CopyOnWriteArrayList<>();
      CompletableFuture<Void> probing = CompletableFuture.runAsync(() -> {
        while (offering.get()) {
          underLoad.addAll(sendSequentially(probeSocket, quiet, 1));
        }
      });
      int offered = 0;
      long offerStart = System.nanoTime();
      for (long elapsed = 0; elapsed < OFFER.toNanos(); elapsed = System.nanoTime() - offerStart) {
        long due = (long) (offeredRate * elapsed / 1e9);
        for (; offered < due; offered++) {
          all.add(send(sockets.get(offered % SENDERS), busy));
        }
        Thread.sleep(2);
      }
      double offeredPerSecond = offered / ((System.nanoTime() - offerStart) / 1e9);
      offering.set(false);
      probing.get(30, TimeUnit.SECONDS);

      // Every send is answered; from then on the journal must not grow.
      List<Sent> sends = List.copyOf(all);
      CompletableFuture.allOf(sends.stream().map(s -> s.answer().handle((a, f) -> null))
          .toArray(CompletableFuture[]::new)).get(WAIT.toSeconds(), TimeUnit.SECONDS);
      String persistenceId = ConversationEntity.persistenceIdOf(busy).id();
      long journalAtLastAnswer = journalEvents(db, persistenceId);
      Thread.sleep(2000);
      assertEquals(journalAtLastAnswer, journalEvents(db, persistenceId),
          "the conversation went on writing after every send was answered");

      Map<String, Long> acked = new HashMap<>();
      List<String> notStored = new ArrayList<>();
      List<String> unknown = new ArrayList<>();
      Map<ErrorCode, Integer> codes = new java.util.TreeMap<>();
      for (Sent s : sends) {
        try {
          ServerFrame.AckFrame ack = s.answer().join();
          assertFalse(ack.duplicate(), "every clientMsgId was sent once");
          acked.put(s.clientMsgId(), ack.seq());
        } catch (Exception e) {
          ParleyException p = ParleyException.unwrap(e);
          codes.merge(p.code(), 1, Integer::sum);
          if (p.code() == ErrorCode.OVERLOADED) {
            assertTrue(p.fromServer());
            assertEquals(1000L, p.retryAfterMs(), "overloaded carries retry-after (1 s)");
            notStored.add(s.clientMsgId());
          } else if (p.code() == ErrorCode.UNAVAILABLE) {
            notStored.add(s.clientMsgId());
          } else if (p.code() == ErrorCode.UNKNOWN_OUTCOME) {
            unknown.add(s.clientMsgId());
          } else {
            fail("unexpected answer to a send: " + p);
          }
        }
      }
      System.out.printf("OverloadTest: sustained %.0f/s; offered %d at %.0f/s; acked %d, refused %s, "
              + "unknown %d; quiet conversation p99 idle %d ms, under the overload %d ms (%d sends)%n",
          sustained, offered, offeredPerSecond, acked.size(), codes, unknown.size(), idleP99 / 1_000_000,
          p99(underLoad) / 1_000_000, underLoad.size());
      assertTrue(codes.getOrDefault(ErrorCode.OVERLOADED, 0) > 0, "the offer did not overload the conversation");

      // The history: every ack once at its seq, nothing refused, nothing else.
      Map<String, List<Long>> stored = history(node, senders.get(0), busy);
      for (Map.Entry<String, Long> a : acked.entrySet()) {
        assertEquals(List.of(a.getValue()), stored.get(a.getKey()), "acked " + a.getKey() + " stored once at its seq");
      }
      for (String id : notStored) {
        assertFalse(stored.containsKey(id), "answered 'not stored' but stored: " + id);
      }
      for (String id : stored.keySet()) {
        assertTrue(acked.containsKey(id) || unknown.contains(id), "stored without an ack: " + id);
      }
      int messages = stored.values().stream().mapToInt(List::size).sum();
      assertEquals(journalAtLastAnswer, 1 + messages, "the journal holds the creation and the stored messages");

      // A dropped connection resends nothing: every send had its answer, refusals included.
      proxy.cut();
      proxy.restore();
      for (FrameQueue q : events) {
        SocketEvent.Reconnected back = q.next(SocketEvent.Reconnected.class, WAIT);
        assertEquals(0, back.resent(), "a refused send is not pending and is not resent");
      }
      Thread.sleep(500);
      assertEquals(journalAtLastAnswer, journalEvents(db, persistenceId));

      // The node's other conversation kept answering every send (sendSequentially fails on any
      // refusal), and no slower than twice its idle p99, or max-wait where that is more: on a busy
      // 2-core machine the idle p99 alone swings by hundreds of milliseconds.
      assertFalse(underLoad.isEmpty());
      assertTrue(p99(underLoad) <= Math.max(2 * idleP99, MAX_WAIT.toNanos()),
          "the quiet conversation's p99 went from " + idleP99 / 1_000_000 + " ms idle to "
              + p99(underLoad) / 1_000_000 + " ms");
    } finally {
      sockets.forEach(ParleySocket::close);
    }
  }

  private static Sent send(ParleySocket socket, String conv) {
    String id = UUID.randomUUID().toString();
    // The text is the clientMsgId, so the history shows which send each message is.
    return new Sent(id, socket.send(new ClientFrame.SendFrame(conv, id, id)));
  }

  /** Sends {@code n} messages one after the other; their send-to-ack latencies (ns). Fails on any refusal. */
  private static List<Long> sendSequentially(ParleySocket socket, String conv, int n) {
    List<Long> latencies = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long t = System.nanoTime();
      try {
        socket.send(conv, "probe " + i).get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new AssertionError("the quiet conversation refused a send: " + ParleyException.unwrap(e), e);
      }
      latencies.add(System.nanoTime() - t);
    }
    return latencies;
  }

  private static long p99(List<Long> latencies) {
    List<Long> sorted = new ArrayList<>(latencies);
    Collections.sort(sorted);
    return sorted.get((int) Math.ceil(sorted.size() * 0.99) - 1);
  }

  private static long journalEvents(PostgresDatabase db, String persistenceId) throws Exception {
    try (Connection c = db.connect();
        PreparedStatement s = c.prepareStatement("SELECT count(*) FROM event_journal WHERE persistence_id = ?")) {
      s.setString(1, persistenceId);
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** Every message of {@code conv} through the history API, text (= clientMsgId) to the seqs it is stored at. */
  private static Map<String, List<Long>> history(ParleyNode node, ParleySession reader, String conv) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (ReadModelProjection.backlog(node.dataSource()) > 0 && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    Map<String, List<Long>> stored = new ConcurrentHashMap<>();
    long after = 0;
    while (true) {
      HistoryPage page;
      try {
        page = reader.history(conv, null, after, 100).join();
      } catch (Exception e) {
        if (ParleyException.unwrap(e).code() == ErrorCode.UNAVAILABLE && System.nanoTime() < deadline) {
          Thread.sleep(200); // the store is still catching up
          continue;
        }
        throw e;
      }
      if (page.messages().isEmpty()) {
        return stored;
      }
      for (MessageView m : page.messages()) {
        assertNotNull(m.text());
        stored.computeIfAbsent(m.text(), k -> new ArrayList<>()).add(m.seq());
        assertEquals(after + 1, m.seq(), "history has no gaps");
        after = m.seq();
      }
    }
  }
}

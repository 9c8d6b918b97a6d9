package dev.parley.faults;

import dev.parley.client.ParleyException;
import dev.parley.client.ParleySession;
import dev.parley.client.ParleySocket;
import dev.parley.protocol.ClientFrame;
import dev.parley.protocol.HistoryPage;
import dev.parley.protocol.MessageView;
import dev.parley.protocol.ServerFrame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The history of every send a scenario's clients made and what each was told, checked afterwards
 * against the conversations' history as the API serves it (the Jepsen way: a recorded history of
 * acknowledged operations and a checker). Each message's text is its {@code clientMsgId}, so the
 * checker finds it by text: an acked send missing from history is <b>acked lost</b>, a text found
 * twice is a <b>duplicate</b>, an acked seq that holds another text is a <b>wrong seq</b>. A send that
 * got an error or no answer has an unknown outcome; {@link #resendUnacked} sends each again with the
 * same {@code clientMsgId} (the server stores a send at most once), so after it every send must be in
 * history exactly once.
 */
final class Ledger {
  /** One send: its conversation and id, when it was sent, and its answer (set once, by the future). */
  static final class Entry {
    final String conv;
    final String id;
    final long sentAt = System.nanoTime();
    volatile long seq = -1;
    volatile long answeredAt;
    volatile String error;
    /** Completes when the answer (ack or error) came. */
    final CompletableFuture<Void> answer = new CompletableFuture<>();

    Entry(String conv, String id) {
      this.conv = conv;
      this.id = id;
    }

    boolean acked() {
      return seq > 0;
    }
  }

  private final ConcurrentLinkedQueue<Entry> entries = new ConcurrentLinkedQueue<>();
  private final Map<String, Long> highestAck = new java.util.concurrent.ConcurrentHashMap<>();

  /** Sends {@code id} (as text and clientMsgId) on {@code socket}; the entry records the answer whenever it comes. */
  Entry send(ParleySocket socket, String conv, String id) {
    Entry e = new Entry(conv, id);
    entries.add(e);
    socket.send(new ClientFrame.SendFrame(conv, id, id)).whenComplete((ack, failure) -> {
      e.answeredAt = System.nanoTime();
      if (ack != null) {
        e.seq = ack.seq();
        highestAck.merge(conv, ack.seq(), Math::max);
      } else {
        e.error = ParleyException.unwrap(failure).code().code();
      }
      e.answer.complete(null);
    });
    return e;
  }

  /** The highest seq acked in {@code conv} so far (0: none). */
  long highestAck(String conv) {
    return highestAck.getOrDefault(conv, 0L);
  }

  List<Entry> entries() {
    return List.copyOf(entries);
  }

  long acked() {
    return entries.stream().filter(Entry::acked).count();
  }

  /** Answers that were errors, by code; sends still without an answer count as {@code no answer}. */
  Map<String, Long> errors() {
    Map<String, Long> out = new TreeMap<>();
    for (Entry e : entries) {
      if (!e.acked()) {
        out.merge(e.error == null ? "no answer" : e.error, 1L, Long::sum);
      }
    }
    return out;
  }

  /** Errors by code among sends made between the two instants (System.nanoTime). */
  Map<String, Long> errorsSentBetween(long from, long to) {
    Map<String, Long> out = new TreeMap<>();
    for (Entry e : entries) {
      if (e.sentAt >= from && e.sentAt < to && !e.acked()) {
        out.merge(e.error == null ? "no answer" : e.error, 1L, Long::sum);
      }
    }
    return out;
  }

  /** Acks of sends made between the two instants. */
  long ackedSentBetween(long from, long to) {
    return entries.stream().filter(e -> e.sentAt >= from && e.sentAt < to && e.acked()).count();
  }

  /** Milliseconds from {@code since} (System.nanoTime) to the first ack that arrived after it; NaN if none. */
  double firstAckAfterMs(long since) {
    return firstAckAfterMs(since, since);
  }

  /**
   * Milliseconds from {@code from} to the first ack that arrived after {@code after} (both System.nanoTime,
   * {@code after} not before {@code from}); NaN if none.
   */
  double firstAckAfterMs(long from, long after) {
    return entries.stream().filter(e -> e.acked() && e.answeredAt > after).mapToLong(e -> e.answeredAt).min()
        .stream().mapToDouble(t -> (t - from) / 1e6).findFirst().orElse(Double.NaN);
  }

  /** What resending the unacknowledged sends found; {@code firstAckAt}: System.nanoTime of its first ack (0: none). */
  record Resend(int resent, int storedAlready, int stillFailing, long firstAckAt) {}

  /**
   * Sends every send without an ack again, same {@code clientMsgId}, on the socket {@code socketFor}
   * gives for its conversation, retrying errors until {@code patience} has passed. An answer with
   * {@code duplicate: true} means the first attempt had been stored although its client was not told.
   */
  Resend resendUnacked(Function<String, ParleySocket> socketFor, Duration patience) throws InterruptedException {
    long deadline = System.nanoTime() + patience.toNanos();
    int resent = 0;
    int stored = 0;
    int failing = 0;
    long firstAckAt = 0;
    for (Entry e : entries) {
      if (e.acked()) {
        continue;
      }
      resent++;
      ServerFrame.AckFrame ack = null;
      while (ack == null && System.nanoTime() < deadline) {
        try {
          ack = socketFor.apply(e.conv).send(new ClientFrame.SendFrame(e.conv, e.id, e.id)).get(10, TimeUnit.SECONDS);
        } catch (Exception failure) {
          Thread.sleep(200);
        }
      }
      if (ack == null) {
        failing++;
      } else {
        e.seq = ack.seq();
        stored += ack.duplicate() ? 1 : 0;
        firstAckAt = firstAckAt == 0 ? System.nanoTime() : firstAckAt;
      }
    }
    return new Resend(resent, stored, failing, firstAckAt);
  }

  /** What the checker found in history. */
  record Check(long acked, long lost, long duplicates, long wrongSeq, long stored, long gaps) {}

  /**
   * Reads every conversation's whole history (as {@code readers} of each, paging with
   * {@code afterSeq}, retrying passing errors until {@code patience} has passed) and compares it with
   * the ledger.
   */
  Check check(Map<String, ParleySession> readers, Duration patience) throws InterruptedException {
    Map<String, Integer> copies = new HashMap<>();
    Map<String, Long> textAtSeq = new HashMap<>();
    long stored = 0;
    long gaps = 0;
    for (Map.Entry<String, ParleySession> r : readers.entrySet()) {
      List<MessageView> all = history(r.getValue(), r.getKey(), patience);
      stored += all.size();
      for (int i = 0; i < all.size(); i++) {
        MessageView m = all.get(i);
        gaps += m.seq() == i + 1 ? 0 : 1;
        if (m.text() != null) {
          copies.merge(m.text(), 1, Integer::sum);
          textAtSeq.put(r.getKey() + "|" + m.seq() + "|" + m.text(), m.seq());
        }
      }
    }
    long acked = 0;
    long lost = 0;
    long wrongSeq = 0;
    for (Entry e : entries) {
      if (e.acked()) {
        acked++;
        if (!copies.containsKey(e.id)) {
          lost++;
        } else if (!textAtSeq.containsKey(e.conv + "|" + e.seq + "|" + e.id)) {
          wrongSeq++;
        }
      }
    }
    long duplicates = copies.values().stream().filter(n -> n > 1).mapToLong(n -> n - 1).sum();
    return new Check(acked, lost, duplicates, wrongSeq, stored, gaps);
  }

  /** Every message of {@code conv}, oldest first. */
  static List<MessageView> history(ParleySession reader, String conv, Duration patience) throws InterruptedException {
    long deadline = System.nanoTime() + patience.toNanos();
    List<MessageView> all = new ArrayList<>();
    long after = 0;
    while (true) {
      HistoryPage page;
      try {
        page = reader.history(conv, null, after, 100).get(30, TimeUnit.SECONDS);
      } catch (Exception failure) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("history of " + conv + " after " + after + ": "
              + ParleyException.unwrap(failure), failure);
        }
        Thread.sleep(250);
        continue;
      }
      if (page.messages().isEmpty()) {
        return all;
      }
      all.addAll(page.messages());
      after = page.messages().get(page.messages().size() - 1).seq();
    }
  }
}

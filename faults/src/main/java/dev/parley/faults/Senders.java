package dev.parley.faults;

import dev.parley.client.ParleySession;
import dev.parley.client.ParleySocket;
import dev.parley.client.SocketEvent;
import dev.parley.client.SocketListener;
import dev.parley.client.SocketOptions;
import dev.parley.protocol.ServerFrame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Closed-loop load for the faults that hit a node under traffic: {@code n} senders, each the owner of
 * its own 2-member conversation with its own socket, each sending one message at a time into the
 * {@link Ledger} (the text is the clientMsgId {@code <sender>-<k>}). A sender waits for each answer up
 * to {@code answerWait}, then sends the next; an answer that comes later is still recorded. After an
 * error it pauses 100 ms so a refusing node is not spun on. It owns its sockets and closes them.
 */
final class Senders implements AutoCloseable {
  final Ledger ledger = new Ledger();
  /** Conversation → its owner (who sends) and its peer (who may read), in creation order. */
  final Map<String, ParleySession> owners = new LinkedHashMap<>();
  final Map<String, ParleySession> peers = new LinkedHashMap<>();
  private final Map<String, ParleySocket> sockets = new LinkedHashMap<>();
  private final List<Thread> threads = new ArrayList<>();
  /** Drops and reconnects the senders' sockets went through. */
  final AtomicLong disconnects = new AtomicLong();
  final AtomicLong reconnects = new AtomicLong();
  private final SocketListener events = new SocketListener() {
    @Override
    public void onFrame(ServerFrame frame) {}

    @Override
    public void onEvent(SocketEvent event) {
      if (event instanceof SocketEvent.Disconnected) {
        disconnects.incrementAndGet();
      } else if (event instanceof SocketEvent.Reconnected) {
        reconnects.incrementAndGet();
      }
    }
  };
  private volatile boolean running;

  /** Who made the senders' accounts (for further accounts on the same node). */
  final Crowd crowd;

  private Senders(Crowd crowd) {
    this.crowd = crowd;
  }

  /**
   * {@code n} senders on {@code node} with their conversations (whose cache entries go with the node)
   * and sockets that reconnect and resume ({@link Crowd#RESUMING}).
   */
  static Senders open(FaultNode node, int n) {
    Senders s = open(new Crowd(node.url()), n, Crowd.RESUMING);
    s.conversations().forEach(node::forgetOnClose);
    return s;
  }

  /** {@code n} senders with their conversations and sockets (opened with {@code options}). */
  static Senders open(Crowd crowd, int n, SocketOptions options) {
    Senders s = new Senders(crowd);
    List<ParleySession> owners = crowd.users("s", n);
    List<ParleySession> peers = crowd.users("p", n);
    for (int i = 0; i < n; i++) {
      String conv = Crowd.pair(owners.get(i), peers.get(i), "faults-" + i);
      s.owners.put(conv, owners.get(i));
      s.peers.put(conv, peers.get(i));
      s.sockets.put(conv, Crowd.join(owners.get(i).connect(options, s.events)));
    }
    return s;
  }

  List<String> conversations() {
    return List.copyOf(owners.keySet());
  }

  ParleySocket socket(String conv) {
    return sockets.get(conv);
  }

  /** Starts every sender's loop. */
  void start(Duration answerWait) {
    running = true;
    int i = 0;
    for (String conv : owners.keySet()) {
      String sender = "s" + i++;
      Thread t = new Thread(() -> loop(conv, sender, answerWait), "faults-sender-" + sender);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  private void loop(String conv, String sender, Duration answerWait) {
    ParleySocket socket = sockets.get(conv);
    long k = 0;
    while (running) {
      Ledger.Entry e = ledger.send(socket, conv, sender + "-" + k++);
      try {
        e.answer.get(answerWait.toMillis(), TimeUnit.MILLISECONDS);
        if (!e.acked()) {
          Thread.sleep(100);
        }
      } catch (TimeoutException stillWaiting) {
        // recorded whenever it comes; the next send goes now
      } catch (InterruptedException stop) {
        return;
      } catch (Exception cannotHappen) {
        return;
      }
    }
  }

  /** Something a scenario does to the node at a point of its timeline. */
  @FunctionalInterface
  interface Step {
    void run() throws Exception;
  }

  /** When the fault began, when its end was begun and when that was done (System.nanoTime). */
  record Instants(long began, long ending, long ended) {}

  /**
   * Runs {@code t}: the senders send for {@code before}, then {@code begin}, {@code fault} later
   * {@code end}, then {@code after} more; then they stop and every send in flight gets up to 15 s for
   * its answer.
   */
  Instants drive(Timeline t, Step begin, Step end) throws Exception {
    start(Duration.ofSeconds(10));
    Thread.sleep(t.before().toMillis());
    long began = System.nanoTime();
    begin.run();
    Thread.sleep(t.fault().toMillis());
    long ending = System.nanoTime();
    end.run();
    long ended = System.nanoTime();
    Thread.sleep(t.after().toMillis());
    stop();
    awaitAnswers(Duration.ofSeconds(15));
    return new Instants(began, ending, ended);
  }

  /** Stops the loops (sends in flight still record their answers). */
  void stop() throws InterruptedException {
    running = false;
    for (Thread t : threads) {
      t.join(30_000);
    }
    threads.clear();
  }

  /** Waits until every send has an answer, or {@code patience} has passed. */
  void awaitAnswers(Duration patience) throws InterruptedException {
    long deadline = System.nanoTime() + patience.toNanos();
    for (Ledger.Entry e : ledger.entries()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return;
      }
      try {
        e.answer.get(left, TimeUnit.NANOSECONDS);
      } catch (TimeoutException | java.util.concurrent.ExecutionException ignored) {
        return;
      }
    }
  }

  /** The checker's verdict after the unacked sends were sent again. */
  record Verdict(Map<String, Long> errors, Ledger.Resend resend, Ledger.Check check) {}

  /** Resends what has no ack (same clientMsgId), then checks every conversation's history. */
  Verdict settle(Duration patience) throws InterruptedException {
    awaitAnswers(Duration.ofSeconds(15));
    Map<String, Long> errors = ledger.errors();
    Ledger.Resend resend = ledger.resendUnacked(sockets::get, patience);
    return new Verdict(errors, resend, ledger.check(owners, patience));
  }

  /** The checker's rows: acked lost, duplicates, wrong seqs and gaps must be 0; the rest are figures. */
  static void report(Findings f, Verdict v) {
    Ledger.Check c = v.check();
    f.figure("acked", c.acked()).figure("ackedLost", c.lost()).figure("duplicates", c.duplicates())
        .figure("wrongSeq", c.wrongSeq()).figure("gaps", c.gaps()).figure("stored", c.stored())
        .figure("resent", v.resend().resent()).figure("storedUnacked", v.resend().storedAlready())
        .figure("resendFailing", v.resend().stillFailing());
    f.expect("acked messages lost: 0", c.lost() + " of " + c.acked() + " acked", c.lost() == 0)
        .expect("duplicates after resending every unacked send with its clientMsgId: 0",
            c.duplicates() + " (" + v.resend().resent() + " resent, " + v.resend().stillFailing() + " still failing)",
            c.duplicates() == 0 && v.resend().stillFailing() == 0)
        .expect("every acked seq holds its message; seqs gap-free", c.wrongSeq() + " wrong, " + c.gaps() + " gaps",
            c.wrongSeq() == 0 && c.gaps() == 0)
        .report("answers other than ack (before the checker's resend)", Findings.counts(v.errors()))
        .report("sends whose client got an error or no answer, yet were stored (resend answered duplicate)",
            v.resend().storedAlready() + " of " + v.resend().resent());
  }

  @Override
  public void close() throws InterruptedException {
    stop();
    sockets.values().forEach(ParleySocket::close);
  }
}

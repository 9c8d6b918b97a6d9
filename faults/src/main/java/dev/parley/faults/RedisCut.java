package dev.parley.faults;

import dev.parley.client.ParleyException;
import dev.parley.client.ParleySession;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Redis cut: the node reaches Redis (session tokens, the recent-message cache) through a
 * {@code TcpProxy}; while senders keep sends in flight and a reader calls history and "my
 * conversations" every 50 ms, the proxy drops every connection and refuses new ones for {@code cut}.
 * One login is tried during the cut. Expected (README "Redis down"): sends are still persisted and
 * acked, no acked message is lost. Measured: every client-visible error during the cut, by call and code.
 */
final class RedisCut {
  static final Timeline FULL = Timeline.of(20, 5, 20, 10);
  static final Timeline QUICK = Timeline.of(4, 1, 3, 2);

  private RedisCut() {}

  static Findings run(Timeline size) throws Exception {
    Findings f = new Findings("Redis cut", size.clients() + " senders + a reader (history, my conversations, "
        + "every 50 ms); every node↔Redis connection dropped and refused for " + size.fault().toSeconds()
        + " s (TCP proxy); one login tried during the cut");
    try (FaultNode node = FaultNode.start(new FaultNode.Options(false, true, Map.of()));
        Senders senders = Senders.open(node, size.clients())) {
      Map<String, Long> restErrors = new ConcurrentHashMap<>();
      AtomicLong restCalls = new AtomicLong();
      Thread[] reader = new Thread[1];
      String[] login = new String[1];
      Senders.Instants at = senders.drive(size, () -> {
        node.redis().cut();
        reader[0] = probe(senders, restErrors, restCalls);
        login[0] = login(senders.crowd);
      }, () -> {
        reader[0].interrupt();
        reader[0].join(10_000);
        node.redis().restore();
      });
      long ackedDuring = senders.ledger.ackedSentBetween(at.began(), at.ending());
      Map<String, Long> sendErrors = senders.ledger.errorsSentBetween(at.began(), at.ending());
      Senders.Verdict v = senders.settle(Duration.ofSeconds(60));
      f.figure("ackedDuringCut", ackedDuring)
          .figure("sendErrorsDuringCut", sendErrors.values().stream().mapToLong(Long::longValue).sum())
          .figure("restCallsDuringCut", restCalls.get())
          .figure("restErrorsDuringCut", restErrors.values().stream().mapToLong(Long::longValue).sum());
      f.expect("sends made during the cut are still acked, none refused", ackedDuring + " acked, refused: "
          + Findings.counts(sendErrors), ackedDuring > 0 && sendErrors.isEmpty());
      Senders.report(f, v);
      f.report("REST reads during the cut (history, my conversations): errors by call and code",
              Findings.counts(new TreeMap<>(restErrors)) + " of " + restCalls.get() + " calls")
          .report("login during the cut (documented: 503 until Redis is back)", login[0]);
    }
    return f;
  }

  /** Calls history and "my conversations" every 50 ms as the first owner until interrupted. */
  private static Thread probe(Senders senders, Map<String, Long> errors, AtomicLong calls) {
    String conv = senders.conversations().get(0);
    ParleySession owner = senders.owners.get(conv);
    Thread t = new Thread(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        for (Map.Entry<String, CompletableFuture<?>> call : List.of(
            Map.<String, CompletableFuture<?>>entry("history", owner.history(conv, null, null, 50)),
            Map.<String, CompletableFuture<?>>entry("conversations", owner.conversations()))) {
          calls.incrementAndGet();
          try {
            call.getValue().get(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            return;
          } catch (Exception e) {
            errors.merge(call.getKey() + " " + ParleyException.unwrap(e).code().code(), 1L, Long::sum);
          }
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "faults-redis-reader");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** A new account logging in while Redis is cut: what it was told. */
  private static String login(Crowd crowd) {
    try {
      crowd.user("late");
      return "logged in";
    } catch (ParleyException e) {
      return e.code().code() + (e.httpStatus() > 0 ? " (HTTP " + e.httpStatus() + ")" : "");
    }
  }
}

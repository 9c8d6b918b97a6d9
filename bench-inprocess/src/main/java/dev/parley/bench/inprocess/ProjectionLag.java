package dev.parley.bench.inprocess;

import dev.parley.app.ParleyNode;
import dev.parley.app.PostgresDatabase;
import dev.parley.conversation.ConversationEntity;
import dev.parley.protocol.ConversationType;
import dev.parley.readmodel.ReadModelProjection;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How far the SQL read model trails the journal under load: messages are posted open loop (on a
 * fixed schedule, whether or not earlier ones were acked) at {@code rate}/s over 50 conversations;
 * a poller reads {@code conversations.last_message_seq} (written in the same transaction as the
 * message rows) every 10 ms, and a message's lag is the time from its ack to the poll that first
 * sees it in SQL (so it includes up to 10 ms of polling). The projection backlog (journal events
 * not yet projected) is sampled every 500 ms.
 */
final class ProjectionLag {
  private ProjectionLag() {}

  static Map<String, Double> run(int rate, int seconds) throws Exception {
    int conversations = 50;
    try (PostgresDatabase db = PostgresDatabase.create()) {
      ParleyNode node = BenchNode.start(db);
      try {
        List<String> ids = new ArrayList<>();
        for (int c = 0; c < conversations; c++) {
          String id = "conv-" + c;
          BenchNode.<ConversationEntity.Summary>ask(node, id,
              r -> new ConversationEntity.Create("ann", ConversationType.SMALL_GROUP, id, List.of("bo", "cy"), r))
              .toCompletableFuture().get();
          ids.add(id);
        }
        for (int i = 0; i < 500; i++) {
          String key = "warm-" + i;
          BenchNode.<ConversationEntity.MessageAccepted>ask(node, ids.get(i % conversations),
              r -> new ConversationEntity.PostMessage("ann", key, "warm-up", List.of(), r)).toCompletableFuture().get();
        }
        while (ReadModelProjection.backlog(node.dataSource()) > 0) {
          Thread.sleep(100);
        }

        Map<String, ConcurrentSkipListMap<Long, Long>> ackedAt = new ConcurrentHashMap<>();
        ids.forEach(id -> ackedAt.put(id, new ConcurrentSkipListMap<>()));
        List<Long> lags = new ArrayList<>();
        List<Long> backlog = new ArrayList<>();
        AtomicLong acks = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        AtomicBoolean sending = new AtomicBoolean(true);
        Thread poller = new Thread(() -> poll(node, ackedAt, lags, sending), "lag-poller");
        poller.start();
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        sampler.scheduleAtFixedRate(() -> {
          try {
            long b = ReadModelProjection.backlog(node.dataSource());
            synchronized (backlog) {
              backlog.add(b);
            }
          } catch (Exception e) {
            // a missed sample
          }
        }, 500, 500, TimeUnit.MILLISECONDS);

        long interval = 1_000_000_000L / rate;
        long start = System.nanoTime();
        long total = (long) rate * seconds;
        for (long i = 0; i < total; i++) {
          long wait = start + i * interval - System.nanoTime();
          if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
          }
          String id = ids.get((int) (i % conversations));
          String key = "m-" + i;
          BenchNode.<ConversationEntity.MessageAccepted>ask(node, id,
              r -> new ConversationEntity.PostMessage("ann", key, "message " + key, List.of(), r))
              .whenComplete((accepted, e) -> {
                if (e == null) {
                  ackedAt.get(id).put(accepted.seq(), System.nanoTime());
                  acks.incrementAndGet();
                } else {
                  errors.incrementAndGet();
                }
              });
        }
        double sendSeconds = (System.nanoTime() - start) / 1e9;
        Thread.sleep(500);
        sending.set(false);
        poller.join(Duration.ofMinutes(5).toMillis());
        sampler.shutdownNow();

        long[] sorted;
        synchronized (lags) {
          sorted = lags.stream().mapToLong(Long::longValue).sorted().toArray();
        }
        long maxBacklog;
        synchronized (backlog) {
          maxBacklog = backlog.stream().mapToLong(Long::longValue).max().orElse(0);
        }
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("offered/s", (double) rate);
        out.put("acked/s", acks.get() / sendSeconds);
        out.put("errors", (double) errors.get());
        out.put("lag p50 ms", percentile(sorted, 0.50));
        out.put("lag p99 ms", percentile(sorted, 0.99));
        out.put("lag max ms", sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1] / 1e6);
        out.put("max backlog", (double) maxBacklog);
        return out;
      } finally {
        node.stopAndWait(Duration.ofSeconds(30));
      }
    }
  }

  private static void poll(ParleyNode node, Map<String, ConcurrentSkipListMap<Long, Long>> ackedAt, List<Long> lags,
      AtomicBoolean sending) {
    try (Connection c = node.dataSource().getConnection(); Statement s = c.createStatement()) {
      long giveUp = Long.MAX_VALUE;
      while (System.nanoTime() < giveUp) {
        try (ResultSet rs = s.executeQuery("SELECT conversation_id, last_message_seq FROM conversations")) {
          long now = System.nanoTime();
          while (rs.next()) {
            ConcurrentSkipListMap<Long, Long> pending = ackedAt.get(rs.getString(1));
            if (pending == null) {
              continue;
            }
            var landed = pending.headMap(rs.getLong(2), true);
            synchronized (lags) {
              landed.values().forEach(ackTime -> lags.add(now - ackTime));
            }
            landed.clear();
          }
        }
        if (!sending.get()) {
          if (ackedAt.values().stream().allMatch(Map::isEmpty)) {
            return;
          }
          giveUp = Math.min(giveUp, System.nanoTime() + Duration.ofMinutes(3).toNanos());
        }
        Thread.sleep(10);
      }
      System.err.println("projection-lag: some acked messages never reached SQL within 3 minutes");
    } catch (Exception e) {
      throw new IllegalStateException("lag poller failed", e);
    }
  }

  private static double percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    return sorted[Math.min(sorted.length - 1, (int) (sorted.length * p))] / 1e6;
  }
}

package dev.parley.bench.inprocess;

import com.typesafe.config.ConfigFactory;
import com.zaxxer.hikari.HikariDataSource;
import dev.parley.app.ParleyNode;
import dev.parley.app.PostgresDatabase;
import dev.parley.conversation.ConversationEntity;
import dev.parley.protocol.ConversationType;
import dev.parley.sql.Jdbc;
import dev.parley.readmodel.ReadModelProjection;
import dev.parley.receipts.ReceiptBatch;
import dev.parley.receipts.ReceiptSettings;
import dev.parley.receipts.ReceiptStore;
import dev.parley.receipts.ReceiptWriter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Read-receipt throughput into PostgreSQL, two ways:
 * <ul>
 *   <li>{@link #writer}: the receipt writer alone, fed batches shaped like entity flushes as fast as
 *       it takes them (2000 in flight) — the ceiling of the SQL side;
 *   <li>{@link #node}: {@code MarkRead} asks (64 in flight) on a full-mode node, 100 conversations,
 *       every ask advancing one member by one message — what the entities absorb and flush.
 * </ul>
 * Counted after a 3 s warm-up; rows are those the writer committed (its flush metrics).
 */
final class ReceiptThroughput {
  private ReceiptThroughput() {}

  static Map<String, Double> writer(int members, int seconds) throws Exception {
    boolean perMessageRows = members <= 50;
    try (PostgresDatabase db = PostgresDatabase.create(); HikariDataSource ds = BenchNode.migratedPool(db, 8)) {
      // A local actor system for the writer's stream: no cluster, no ports.
      ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "bench", ConfigFactory
          .parseString("pekko.actor.provider = local\npekko.loglevel = WARNING").withFallback(ConfigFactory.load()));
      ExecutorService blocking = Executors.newFixedThreadPool(8);
      try {
        MeterRegistry registry = new SimpleMeterRegistry();
        ReceiptWriter writer = new ReceiptWriter(new ReceiptStore(new Jdbc(ds, true), registry),
            ReceiptSettings.DEFAULTS, blocking, system, registry);
        Semaphore inFlight = new Semaphore(2000);
        AtomicLong rows = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        Window window = new Window(Duration.ofSeconds(3), Duration.ofSeconds(seconds));
        long rowsAtWarm = 0;
        for (long round = 1; !window.over(); round++) {
          for (int c = 0; c < 1000 && !window.over(); c++) {
            if (window.warmUpJustEnded()) {
              rowsAtWarm = rows.get();
            }
            List<ReceiptBatch.Position> positions = new ArrayList<>(members);
            List<ReceiptBatch.MessageRead> reads = new ArrayList<>();
            for (int m = 0; m < members; m++) {
              positions.add(new ReceiptBatch.Position("user-" + m, round, round));
              if (perMessageRows) {
                reads.add(new ReceiptBatch.MessageRead(round, "user-" + m, true));
              }
            }
            ReceiptBatch batch = new ReceiptBatch("conv-" + c,
                perMessageRows ? ConversationType.SMALL_GROUP : ConversationType.LARGE_GROUP,
                Instant.now(), positions, reads, List.of());
            int n = batch.rowCount();
            inFlight.acquire();
            writer.submit(batch).whenComplete((done, error) -> {
              inFlight.release();
              if (error == null) {
                rows.addAndGet(n);
              } else {
                failed.incrementAndGet();
              }
            });
          }
        }
        double rowsPerSecond = (rows.get() - rowsAtWarm) / window.seconds();
        writer.drain(Duration.ofSeconds(60)).toCompletableFuture().get();
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("rows/s", rowsPerSecond);
        out.putAll(flushFigures(registry));
        out.put("refused", (double) failed.get());
        return out;
      } finally {
        blocking.shutdown();
        system.terminate();
      }
    }
  }

  static Map<String, Double> node(int members, int seconds) throws Exception {
    return node(members, seconds, 100, 200);
  }

  /** As {@link #node(int, int)} on {@code conversations} conversations of {@code messages} messages each. */
  static Map<String, Double> node(int members, int seconds, int conversations, int messages) throws Exception {
    ConversationType type = members > 50 ? ConversationType.LARGE_GROUP : ConversationType.SMALL_GROUP;
    try (PostgresDatabase db = PostgresDatabase.create()) {
      ParleyNode node = BenchNode.start(db);
      try {
        List<String> ids = new ArrayList<>();
        List<String> others = new ArrayList<>();
        for (int m = 1; m < members; m++) {
          others.add("m" + m);
        }
        for (int c = 0; c < conversations; c++) {
          String id = "conv-" + c;
          BenchNode.<ConversationEntity.Summary>ask(node, id,
              r -> new ConversationEntity.Create("m0", type, id, others, r)).toCompletableFuture().get();
          ids.add(id);
        }
        List<CompletableFuture<?>> posts = new ArrayList<>();
        for (String id : ids) {
          for (int i = 0; i < messages; i++) {
            String key = "x" + i;
            posts.add(BenchNode.<ConversationEntity.MessageAccepted>ask(node, id,
                r -> new ConversationEntity.PostMessage("m0", key, "hello", List.of(), r)).toCompletableFuture());
            if (posts.size() >= 64) {
              CompletableFuture.allOf(posts.toArray(CompletableFuture[]::new)).get();
              posts.clear();
            }
          }
        }
        CompletableFuture.allOf(posts.toArray(CompletableFuture[]::new)).get();
        while (ReadModelProjection.backlog(node.dataSource()) > 0) {
          Thread.sleep(200);
        }
        MeterRegistry registry = node.metrics().registry();
        DistributionSummary flushRows = registry.find("parley.receipts.flush.rows").summary();
        Semaphore inFlight = new Semaphore(64);
        AtomicLong acks = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        Window window = new Window(Duration.ofSeconds(3), Duration.ofSeconds(seconds));
        double rowsAtWarm = 0;
        long acksAtWarm = 0;
        outer:
        for (int seq = 1; seq <= messages; seq++) {
          for (int m = 1; m < members; m++) {
            for (String id : ids) {
              if (window.over()) {
                break outer;
              }
              if (window.warmUpJustEnded()) {
                rowsAtWarm = flushRows.totalAmount();
                acksAtWarm = acks.get();
              }
              inFlight.acquire();
              String user = "m" + m;
              long upTo = seq;
              BenchNode.<ConversationEntity.ReadPosition>ask(node, id, r -> new ConversationEntity.MarkRead(user, upTo, r))
                  .whenComplete((p, e) -> {
                    inFlight.release();
                    (e == null ? acks : errors).incrementAndGet();
                  });
            }
          }
        }
        double secs = window.seconds();
        double marksPerSecond = (acks.get() - acksAtWarm) / secs;
        Thread.sleep(1500); // the last flush interval
        double rowsPerSecond = (flushRows.totalAmount() - rowsAtWarm) / (secs + 1.5);
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("marks/s", marksPerSecond);
        out.put("rows/s", rowsPerSecond);
        out.putAll(flushFigures(registry));
        out.put("errors", (double) errors.get());
        return out;
      } finally {
        node.stopAndWait(Duration.ofSeconds(30));
      }
    }
  }

  private static Map<String, Double> flushFigures(MeterRegistry registry) {
    Timer flush = registry.find("parley.receipts.flush").timer();
    DistributionSummary rows = registry.find("parley.receipts.flush.rows").summary();
    Map<String, Double> out = new LinkedHashMap<>();
    out.put("rows/txn", rows.mean());
    out.put("txn ms", flush.mean(TimeUnit.MILLISECONDS));
    out.put("txn max ms", flush.max(TimeUnit.MILLISECONDS));
    return out;
  }
}

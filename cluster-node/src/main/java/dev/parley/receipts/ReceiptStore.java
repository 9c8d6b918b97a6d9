package dev.parley.receipts;

import dev.parley.sql.Jdbc;
import dev.parley.sql.Quarantine;
import dev.parley.sql.SqlFailures;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiPredicate;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.pattern.Patterns;

/**
 * The SQL side of read receipts: writes batches of positions, per-message rows and channel view
 * counts in one transaction with multi-row upserts, and reads a conversation's positions back when
 * its entity starts. Every write is idempotent (GREATEST for positions and views, first time kept
 * for per-message rows), so writing the same batch twice changes nothing. Rows are written in key
 * order, so two writers (two nodes, or the Kafka consumer) never deadlock on each other.
 *
 * <p>Owns no state: a failed {@link #write} has rolled back and changed nothing; what is lost then is
 * for the caller to say (the writer keeps the batches' entities dirty, Kafka keeps the records).
 *
 * <p>Blocking: call {@link #write} from a blocking dispatcher. Records {@code parley.receipts.flush} (latency),
 * {@code parley.receipts.flush.rows} (rows per flush) and {@code parley.receipts.flush.failures}
 * (retried writes).
 */
public final class ReceiptStore {
  /** Rows per statement: 4 parameters per position row keeps PostgreSQL well under its 65535 limit. */
  static final int ROWS_PER_STATEMENT = 1000;

  private final Jdbc jdbc;
  private final Quarantine quarantine;
  private final Timer flushTimer;
  private final DistributionSummary flushRows;
  private final io.micrometer.core.instrument.Counter retries;
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ReceiptStore.class);

  public ReceiptStore(Jdbc jdbc, MeterRegistry metrics) {
    this.jdbc = jdbc;
    this.quarantine = new Quarantine(metrics);
    this.flushTimer = Timer.builder("parley.receipts.flush")
        .description("time to write one receipt flush (one transaction)")
        .publishPercentiles(0.5, 0.99).register(metrics);
    this.flushRows = DistributionSummary.builder("parley.receipts.flush.rows")
        .description("rows written by one receipt flush").register(metrics);
    this.retries = io.micrometer.core.instrument.Counter.builder("parley.receipts.flush.failures")
        .description("receipt writes that failed transiently and were retried").register(metrics);
  }

  /** Writes the batches in one transaction; returns the number of rows written. */
  public int write(List<ReceiptBatch> batches) throws SQLException {
    long start = System.nanoTime();
    // Merge first: one statement may not touch the same key twice (PostgreSQL refuses it).
    Map<String, Object[]> positions = new TreeMap<>();
    Map<String, Object[]> reads = new TreeMap<>();
    Map<String, Object[]> views = new TreeMap<>();
    for (ReceiptBatch b : batches) {
      for (ReceiptBatch.Position p : b.positions()) {
        positions.merge(b.conversationId() + '\u0000' + p.userId(),
            new Object[] {b.conversationId(), p.userId(), p.readSeq(), p.deliveredSeq(),
                p.readSeq() > 0 ? b.at() : null, p.deliveredSeq() > 0 ? b.at() : null},
            (x, y) -> new Object[] {x[0], x[1], Math.max((long) x[2], (long) y[2]),
                Math.max((long) x[3], (long) y[3]), later((Instant) x[4], (Instant) y[4]),
                later((Instant) x[5], (Instant) y[5])});
      }
      for (ReceiptBatch.MessageRead r : b.reads()) {
        Object[] row = {b.conversationId(), r.seq(), r.userId(), r.read() ? b.at() : null, b.at()};
        reads.merge(b.conversationId() + '\u0000' + String.format("%019d", r.seq()) + '\u0000' + r.userId(), row,
            (x, y) -> new Object[] {x[0], x[1], x[2], earlier((Instant) x[3], (Instant) y[3]),
                earlier((Instant) x[4], (Instant) y[4])});
      }
      for (ReceiptBatch.ChannelView v : b.views()) {
        views.merge(b.conversationId() + '\u0000' + String.format("%019d", v.seq()),
            new Object[] {b.conversationId(), v.seq(), v.views()},
            (x, y) -> new Object[] {x[0], x[1], Math.max((long) x[2], (long) y[2])});
      }
    }
    int rows = positions.size() + reads.size() + views.size();
    if (rows == 0) {
      return 0;
    }
    jdbc.inTransaction(c -> {
      upsert(c, new ArrayList<>(positions.values()), this::positionsSql);
      upsert(c, new ArrayList<>(reads.values()), this::readsSql);
      upsert(c, new ArrayList<>(views.values()), this::viewsSql);
      return null;
    });
    flushTimer.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
    flushRows.record(rows);
    return rows;
  }

  /**
   * Writes the batches, retrying transient database failures ({@link SqlFailures#isTransient}: lost
   * connection, pool timeout, deadlock) with exponential backoff between {@code minBackoff} and
   * {@code maxBackoff} for as long as {@code keepTrying} accepts the attempt number (1, 2, ...).
   * The stage fails with any other failure, or with the last transient one once {@code keepTrying}
   * says no. Each attempt runs on {@code blocking}; the waits between attempts are Pekko's
   * {@link Patterns#retry} on the actor system's scheduler, so no thread sleeps while the database
   * is down.
   */
  public CompletionStage<Integer> writeRetrying(List<ReceiptBatch> batches, ReceiptSettings settings,
      IntPredicate keepTrying, Executor blocking, ActorSystem<?> system) {
    AtomicInteger attempts = new AtomicInteger();
    Callable<CompletionStage<Integer>> attempt = () -> CompletableFuture.supplyAsync(() -> {
      attempts.incrementAndGet();
      try {
        return write(batches);
      } catch (SQLException e) {
        throw new CompletionException(e);
      }
    }, blocking);
    BiPredicate<Integer, Throwable> shouldRetry = (rows, failure) -> {
      if (failure == null) {
        return false;
      }
      Throwable cause = unwrap(failure);
      int made = attempts.get();
      if (!SqlFailures.isTransient(cause) || !keepTrying.test(made)) {
        return false;
      }
      retries.increment();
      log.warn("receipt write of {} batches failed (attempt {}), retrying in {} ms: {}", batches.size(), made,
          backoff(settings, made).toMillis(), cause.toString());
      return true;
    };
    IntFunction<Optional<Duration>> delay = ignored -> Optional.of(backoff(settings, attempts.get()));
    return Patterns.retry(attempt, shouldRetry, Integer.MAX_VALUE, delay, system.classicSystem().scheduler(),
            system.executionContext())
        .handle((rows, failure) -> {
          if (failure != null) {
            throw failure instanceof CompletionException ce ? ce : new CompletionException(unwrap(failure));
          }
          return rows;
        });
  }

  /**
   * As {@link #writeRetrying}, but no batch can stop the others (ADR 0013): when the database refuses
   * the data of the group (SQLState class 22 or 23), the batches are written one at a time and each
   * one refused alone is quarantined ({@link Quarantine}, stream {@code stream}, source its conversation
   * id) instead. Completes with the quarantined batches (empty when none); fails as
   * {@link #writeRetrying} does on any other failure.
   */
  public CompletionStage<List<ReceiptBatch>> writeOrQuarantine(List<ReceiptBatch> batches, String stream,
      ReceiptSettings settings, IntPredicate keepTrying, Executor blocking, ActorSystem<?> system) {
    return writeRetrying(batches, settings, keepTrying, blocking, system)
        .thenApply(rows -> List.<ReceiptBatch>of())
        .exceptionallyCompose(failure -> SqlFailures.isDataError(failure)
            ? oneByOne(batches, 0, new ArrayList<>(), stream, settings, keepTrying, blocking, system)
            : CompletableFuture.failedFuture(unwrap(failure)));
  }

  private CompletionStage<List<ReceiptBatch>> oneByOne(List<ReceiptBatch> batches, int i, List<ReceiptBatch> refused,
      String stream, ReceiptSettings settings, IntPredicate keepTrying, Executor blocking, ActorSystem<?> system) {
    if (i == batches.size()) {
      return CompletableFuture.completedFuture(refused);
    }
    ReceiptBatch b = batches.get(i);
    return writeRetrying(List.of(b), settings, keepTrying, blocking, system)
        .handleAsync((rows, failure) -> {
          if (failure != null) {
            if (!SqlFailures.isDataError(failure)) {
              throw new CompletionException(unwrap(failure));
            }
            quarantine.recordAlone(jdbc, stream, b.conversationId(), null, unwrap(failure));
            refused.add(b);
          }
          return refused;
        }, blocking)
        .thenCompose(done -> oneByOne(batches, i + 1, refused, stream, settings, keepTrying, blocking, system));
  }

  /** Quarantines a record that is not a batch at all (Kafka), in a transaction of its own. */
  void quarantineRecord(String stream, String source, long sequenceNr, Throwable why) {
    quarantine.recordAlone(jdbc, stream, source, sequenceNr, why);
  }

  /** The wait after attempt {@code made}: minBackoff doubled per attempt, at most maxBackoff. */
  static Duration backoff(ReceiptSettings settings, int made) {
    long min = settings.minBackoff().toMillis();
    long shifted = min << Math.min(20, Math.max(0, made - 1));
    return Duration.ofMillis(Math.min(shifted, settings.maxBackoff().toMillis()));
  }

  /** The failure inside CompletionException / ExecutionException wrappers. */
  static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** The stored positions of one conversation: user → {read, delivered}, departed members included. */
  public Map<String, long[]> positionsOf(String conversationId) throws SQLException {
    return jdbc.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT user_id, last_read_seq, last_delivered_seq FROM conversation_reads WHERE conversation_id = ?")) {
        ps.setString(1, conversationId);
        Map<String, long[]> out = new HashMap<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.put(rs.getString(1), new long[] {rs.getLong(2), rs.getLong(3)});
          }
        }
        return out;
      }
    });
  }

  private interface SqlFor {
    String of(int rows);
  }

  private static void upsert(Connection c, List<Object[]> rows, SqlFor sql) throws SQLException {
    for (int from = 0; from < rows.size(); from += ROWS_PER_STATEMENT) {
      List<Object[]> chunk = rows.subList(from, Math.min(rows.size(), from + ROWS_PER_STATEMENT));
      try (PreparedStatement ps = c.prepareStatement(sql.of(chunk.size()))) {
        Jdbc.bind(ps, chunk);
        ps.executeUpdate();
      }
    }
  }

  private static final String TS = "TIMESTAMP WITH TIME ZONE";

  private String positionsSql(int n) {
    String values = Jdbc.values(n, "VARCHAR(128)", "VARCHAR(128)", "BIGINT", "BIGINT", TS, TS);
    if (jdbc.postgres()) {
      return "INSERT INTO conversation_reads AS t (conversation_id, user_id, last_read_seq, last_delivered_seq, "
          + "read_at, delivered_at) VALUES " + values + " ON CONFLICT (conversation_id, user_id) DO UPDATE SET "
          + "read_at = CASE WHEN EXCLUDED.last_read_seq > t.last_read_seq THEN EXCLUDED.read_at ELSE t.read_at END, "
          + "delivered_at = CASE WHEN EXCLUDED.last_delivered_seq > t.last_delivered_seq THEN EXCLUDED.delivered_at "
          + "ELSE t.delivered_at END, "
          + "last_read_seq = GREATEST(t.last_read_seq, EXCLUDED.last_read_seq), "
          + "last_delivered_seq = GREATEST(t.last_delivered_seq, EXCLUDED.last_delivered_seq) "
          + "WHERE EXCLUDED.last_read_seq > t.last_read_seq OR EXCLUDED.last_delivered_seq > t.last_delivered_seq";
    }
    return "MERGE INTO conversation_reads t USING (VALUES " + values + ") s(c, u, r, d, ra, da) "
        + "ON t.conversation_id = s.c AND t.user_id = s.u "
        + "WHEN MATCHED AND (s.r > t.last_read_seq OR s.d > t.last_delivered_seq) THEN UPDATE SET "
        + "read_at = CASE WHEN s.r > t.last_read_seq THEN s.ra ELSE t.read_at END, "
        + "delivered_at = CASE WHEN s.d > t.last_delivered_seq THEN s.da ELSE t.delivered_at END, "
        + "last_read_seq = GREATEST(t.last_read_seq, s.r), last_delivered_seq = GREATEST(t.last_delivered_seq, s.d) "
        + "WHEN NOT MATCHED THEN INSERT (conversation_id, user_id, last_read_seq, last_delivered_seq, read_at, "
        + "delivered_at) VALUES (s.c, s.u, s.r, s.d, s.ra, s.da)";
  }

  private String readsSql(int n) {
    String values = Jdbc.values(n, "VARCHAR(128)", "BIGINT", "VARCHAR(128)", TS, TS);
    if (jdbc.postgres()) {
      return "INSERT INTO message_reads AS t (conversation_id, seq, user_id, read_at, delivered_at) VALUES " + values
          + " ON CONFLICT (conversation_id, seq, user_id) DO UPDATE SET "
          + "read_at = COALESCE(t.read_at, EXCLUDED.read_at), delivered_at = COALESCE(t.delivered_at, EXCLUDED.delivered_at) "
          + "WHERE t.read_at IS NULL AND EXCLUDED.read_at IS NOT NULL";
    }
    return "MERGE INTO message_reads t USING (VALUES " + values + ") s(c, q, u, r, d) "
        + "ON t.conversation_id = s.c AND t.seq = s.q AND t.user_id = s.u "
        + "WHEN MATCHED AND t.read_at IS NULL AND s.r IS NOT NULL THEN UPDATE SET read_at = s.r "
        + "WHEN NOT MATCHED THEN INSERT (conversation_id, seq, user_id, read_at, delivered_at) VALUES (s.c, s.q, s.u, s.r, s.d)";
  }

  private String viewsSql(int n) {
    String values = Jdbc.values(n, "VARCHAR(128)", "BIGINT", "BIGINT");
    if (jdbc.postgres()) {
      return "INSERT INTO channel_views AS t (conversation_id, seq, views) VALUES " + values
          + " ON CONFLICT (conversation_id, seq) DO UPDATE SET views = GREATEST(t.views, EXCLUDED.views) "
          + "WHERE EXCLUDED.views > t.views";
    }
    return "MERGE INTO channel_views t USING (VALUES " + values + ") s(c, q, v) "
        + "ON t.conversation_id = s.c AND t.seq = s.q "
        + "WHEN MATCHED AND s.v > t.views THEN UPDATE SET views = s.v "
        + "WHEN NOT MATCHED THEN INSERT (conversation_id, seq, views) VALUES (s.c, s.q, s.v)";
  }

  private static Instant later(Instant a, Instant b) {
    return a == null ? b : b == null ? a : a.isAfter(b) ? a : b;
  }

  private static Instant earlier(Instant a, Instant b) {
    return a == null ? b : b == null ? a : a.isBefore(b) ? a : b;
  }

}

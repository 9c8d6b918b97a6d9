package dev.parley.readmodel;

import dev.parley.sql.Jdbc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.parley.app.NodeConfig;
import dev.parley.app.PostgresDatabase;
import dev.parley.app.Schema;
import dev.parley.app.TestNodes;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Monthly partitions and the archive, on a fresh, migrated database per test: on PostgreSQL,
 * partitions are made for the current UTC month and the next ones (idempotently, with UTC month
 * bounds), a missing month is an error until {@link Partitions#ensureMonth} makes it, and the
 * archiver moves a whole month by re-attaching its partition (same table, not a copy) exactly once;
 * on H2 (no partitioning) the same calls move the month's rows.
 */
class PartitionsTest {
  @TempDir Path dir;

  private PostgresDatabase pg;
  private HikariDataSource ds;

  @AfterEach
  void tearDown() {
    if (ds != null) {
      ds.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  private Jdbc postgres() {
    pg = PostgresDatabase.create();
    NodeConfig.Database db = pg.database();
    Schema.migrate(db);
    ds = pool(db);
    return new Jdbc(ds, true);
  }

  private Jdbc h2() {
    NodeConfig.Database db = new NodeConfig.Database("jdbc:h2:file:" + dir.resolve("parley"), "sa", "",
        "org.h2.Driver", "slick.jdbc.H2Profile$", "h2");
    Schema.migrate(db);
    ds = pool(db);
    return new Jdbc(ds, false);
  }

  private static HikariDataSource pool(NodeConfig.Database db) {
    return TestNodes.pool(db, 4, java.time.Duration.ofSeconds(30));
  }

  @Test
  void ensureAheadMakesUtcMonthPartitionsOnceAndMissingMonthsFailUntilEnsured() throws Exception {
    Jdbc jdbc = postgres();
    Partitions partitions = new Partitions(jdbc);
    Instant now = Instant.parse("2026-12-15T12:00:00Z");

    List<String> created = partitions.ensureAhead(now, 2);
    assertEquals(List.of("messages_2026_12", "messages_2027_01", "messages_2027_02"), created);
    assertEquals(created, partitions.partitionsOf("messages"));
    assertTrue(partitions.ensureAhead(now, 2).isEmpty(), "a second run creates nothing");
    assertEquals(created, partitions.partitionsOf("messages"), "and changes nothing");

    // Month bounds are UTC months: the last microsecond of December and midnight of January 1st.
    insert(jdbc, "messages", "c", 1, Instant.parse("2026-12-31T23:59:59.999999Z"), "last of december");
    insert(jdbc, "messages", "c", 2, Instant.parse("2027-01-01T00:00:00Z"), "first of january");
    assertEquals("messages_2026_12", partitionOf(jdbc, "messages", 1));
    assertEquals("messages_2027_01", partitionOf(jdbc, "messages", 2));

    // A month with no partition is an error (there is no DEFAULT partition to silently take it)...
    Instant june = Instant.parse("2027-06-10T08:00:00Z");
    SQLException missing = assertThrows(SQLException.class, () -> insert(jdbc, "messages", "c", 3, june, "june"));
    assertTrue(missing.getMessage().contains("no partition"), missing.getMessage());
    // ... until the projection's ensureMonth makes it, inside the writing transaction.
    jdbc.inTransaction(c -> {
      Partitions.ensureMonth(c, true, june);
      insert(c, "messages", "c", 3, june, "june");
      return null;
    });
    assertEquals("messages_2027_06", partitionOf(jdbc, "messages", 3));
  }

  @Test
  void aPartitionMadeInATransactionThatRollsBackIsMadeAgainOnTheRetry() throws Exception {
    Jdbc jdbc = postgres();
    Instant may = Instant.parse("2019-05-05T00:00:00Z"); // a month no other test makes
    SQLException failed = assertThrows(SQLException.class, () -> jdbc.inTransaction(c -> {
      Partitions.ensureMonth(c, true, may);
      insert(c, "messages", "c", 1, may, "first try");
      throw new SQLException("the rest of the projection's group failed");
    }));
    assertEquals("the rest of the projection's group failed", failed.getMessage());
    assertTrue(new Partitions(jdbc).partitionsOf("messages").isEmpty(), "the partition was rolled back too");

    jdbc.inTransaction(c -> {
      Partitions.ensureMonth(c, true, may);
      insert(c, "messages", "c", 1, may, "retry");
      return null;
    });
    assertEquals("messages_2019_05", partitionOf(jdbc, "messages", 1));
  }

  @Test
  void nodesMakingTheSameMonthsOrArchivingTheSameMonthAtOnceAllSucceed() throws Exception {
    Jdbc jdbc = postgres();
    Partitions partitions = new Partitions(jdbc);
    ExecutorService two = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < 10; round++) {
        // Node startups / maintenance runs (auto-commit), months no other test makes.
        Instant now = Instant.parse("2040-01-15T00:00:00Z").plus(Duration.ofDays(93L * round));
        List<List<String>> made = both(two, () -> partitions.ensureAhead(now, 2));
        assertEquals(3, made.get(0).size() + made.get(1).size(), "each month made exactly once: " + made);

        // Two tags' projections inserting the first messages of a month (inside their transactions).
        Instant first = Instant.parse("2050-01-15T00:00:00Z").plus(Duration.ofDays(31L * round));
        int r = round;
        both(two, () -> jdbc.inTransaction(c -> {
          Partitions.ensureMonth(c, true, first);
          insert(c, "messages", "conv-" + Thread.currentThread().getId() + "-" + r, 1, first, "first");
          return null;
        }));
      }
      assertEquals(20, count(jdbc, "SELECT count(*) FROM messages WHERE created_at >= '2050-01-01T00:00:00Z'"));
      assertEquals(40, partitions.partitionsOf("messages").size());

      // Two nodes' archivers at once: the month moves once, neither fails.
      partitions.ensureAhead(Instant.parse("2026-02-10T00:00:00Z"), 2);
      seed(jdbc);
      Instant later = Instant.parse("2026-03-15T00:00:00Z").plus(Duration.ofDays(100));
      List<List<YearMonth>> moved = both(two, () -> partitions.archiveOlderThan(later, Duration.ofDays(90)));
      List<YearMonth> all = new ArrayList<>(moved.get(0));
      all.addAll(moved.get(1));
      assertEquals(List.of(YearMonth.of(2026, 2)), all, "moved once: " + moved);
      assertEquals(List.of("2026-02-01 8 " + later), archiveLog(jdbc));
      assertEquals(8, count(jdbc, "SELECT count(*) FROM archived_messages"));
    } finally {
      two.shutdownNow();
    }
  }

  /** Runs {@code work} on both threads at the same moment; both results, or the first failure. */
  private static <T> List<T> both(ExecutorService two, Callable<T> work) throws Exception {
    CyclicBarrier start = new CyclicBarrier(2);
    Callable<T> task = () -> {
      start.await(5, TimeUnit.SECONDS);
      return work.call();
    };
    Future<T> a = two.submit(task);
    Future<T> b = two.submit(task);
    return java.util.Arrays.asList(a.get(30, TimeUnit.SECONDS), b.get(30, TimeUnit.SECONDS));
  }

  @Test
  void archivingMovesWholeMonthPartitionsOnceOnPostgres() throws Exception {
    Jdbc jdbc = postgres();
    Partitions partitions = new Partitions(jdbc);
    partitions.ensureAhead(Instant.parse("2026-02-10T00:00:00Z"), 3); // February .. May
    seed(jdbc);
    long februaryOid = oid(jdbc, "messages_2026_02");

    // 100 days after mid-March: the cutoff (90 days back) is March 25th, so only February has ended before it.
    Instant now = Instant.parse("2026-03-15T00:00:00Z").plus(Duration.ofDays(100));
    assertEquals(List.of(YearMonth.of(2026, 2)), partitions.archiveOlderThan(now, Duration.ofDays(90)));

    assertEquals(4, count(jdbc, "SELECT count(*) FROM messages"), "March and April stay");
    assertEquals(0, count(jdbc, "SELECT count(*) FROM messages WHERE created_at < '2026-03-01T00:00:00Z'"));
    assertEquals(List.of("a:1:feb a1", "a:2:feb a2", "a:3:feb a3", "a:4:feb a4", "a:5:feb a5",
        "b:1:feb b1", "b:2:feb b2", "b:3:feb b3"), rows(jdbc, "archived_messages"));
    assertEquals(List.of("archived_messages_2026_02"), partitions.partitionsOf("archived_messages"));
    assertFalse(partitions.partitionsOf("messages").contains("messages_2026_02"));
    assertEquals(februaryOid, oid(jdbc, "archived_messages_2026_02"),
        "the archive holds the same table, re-attached, not a copy of its rows");
    assertEquals(List.of("2026-02-01 8 " + now), archiveLog(jdbc));

    assertTrue(partitions.archiveOlderThan(now, Duration.ofDays(90)).isEmpty(), "a second run moves nothing");
    assertEquals(1, archiveLog(jdbc).size());
    assertEquals(8, count(jdbc, "SELECT count(*) FROM archived_messages"));

    // A month whose end is exactly the cutoff moves; the next one does not.
    Instant later = Instant.parse("2026-04-01T00:00:00Z").plus(Duration.ofDays(90));
    assertEquals(List.of(YearMonth.of(2026, 3)), partitions.archiveOlderThan(later, Duration.ofDays(90)));
    assertEquals(List.of("archived_messages_2026_02", "archived_messages_2026_03"),
        partitions.partitionsOf("archived_messages"));
    assertEquals(List.of("messages_2026_04", "messages_2026_05"), partitions.partitionsOf("messages"));
    assertEquals(1, count(jdbc, "SELECT count(*) FROM messages"));
    assertEquals(2, archiveLog(jdbc).size());
  }

  @Test
  void onH2PartitionCallsAreNoOpsAndArchivingMovesTheMonthsRows() throws Exception {
    Jdbc jdbc = h2();
    Partitions partitions = new Partitions(jdbc);
    assertTrue(partitions.ensureAhead(Instant.parse("2026-02-10T00:00:00Z"), 3).isEmpty());
    jdbc.inTransaction(c -> {
      Partitions.ensureMonth(c, false, Instant.parse("2031-01-01T00:00:00Z"));
      return null;
    });
    seed(jdbc);

    Instant now = Instant.parse("2026-03-15T00:00:00Z").plus(Duration.ofDays(100));
    assertEquals(List.of(YearMonth.of(2026, 2)), partitions.archiveOlderThan(now, Duration.ofDays(90)));
    assertEquals(4, count(jdbc, "SELECT count(*) FROM messages"));
    assertEquals(0, count(jdbc, "SELECT count(*) FROM messages WHERE created_at < TIMESTAMP WITH TIME ZONE "
        + "'2026-03-01 00:00:00+00'"));
    assertEquals(List.of("a:1:feb a1", "a:2:feb a2", "a:3:feb a3", "a:4:feb a4", "a:5:feb a5",
        "b:1:feb b1", "b:2:feb b2", "b:3:feb b3"), rows(jdbc, "archived_messages"));
    assertEquals(List.of("2026-02-01 8 " + now), archiveLog(jdbc));

    assertTrue(partitions.archiveOlderThan(now, Duration.ofDays(90)).isEmpty(), "a second run moves nothing");
    assertEquals(8, count(jdbc, "SELECT count(*) FROM archived_messages"));
    assertEquals(1, archiveLog(jdbc).size());
  }

  /** February: a1..a5 and b1..b3; March: a6..a8; April: a9. */
  private static void seed(Jdbc jdbc) throws SQLException {
    for (int i = 1; i <= 5; i++) {
      insert(jdbc, "messages", "a", i, Instant.parse("2026-02-0" + i + "T10:00:00Z"), "feb a" + i);
    }
    for (int i = 1; i <= 3; i++) {
      insert(jdbc, "messages", "b", i, Instant.parse("2026-02-2" + i + "T10:00:00Z"), "feb b" + i);
    }
    for (int i = 6; i <= 8; i++) {
      insert(jdbc, "messages", "a", i, Instant.parse("2026-03-1" + i + "T10:00:00Z"), "mar a" + i);
    }
    insert(jdbc, "messages", "a", 9, Instant.parse("2026-04-30T23:59:59Z"), "apr a9");
  }

  static void insert(Jdbc jdbc, String table, String conv, long seq, Instant at, String text) throws SQLException {
    jdbc.inTransaction(c -> {
      insert(c, table, conv, seq, at, text);
      return null;
    });
  }

  static void insert(Connection c, String table, String conv, long seq, Instant at, String text) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table
        + " (conversation_id, seq, message_id, sender_id, content, created_at) VALUES (?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, conv);
      ps.setLong(2, seq);
      ps.setString(3, conv + "-" + seq);
      ps.setString(4, "ann");
      ps.setString(5, text);
      ps.setObject(6, Jdbc.ts(at));
      ps.executeUpdate();
    }
  }

  private static long count(Jdbc jdbc, String sql) throws SQLException {
    return jdbc.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    });
  }

  private static List<String> rows(Jdbc jdbc, String table) throws SQLException {
    return jdbc.read(c -> {
      List<String> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT conversation_id, seq, content FROM " + table + " ORDER BY conversation_id, seq");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1) + ":" + rs.getLong(2) + ":" + rs.getString(3));
        }
      }
      return out;
    });
  }

  private static List<String> archiveLog(Jdbc jdbc) throws SQLException {
    return jdbc.read(c -> {
      List<String> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT archived_month, messages, archived_at FROM archive_log ORDER BY archived_month");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getObject(1, LocalDate.class) + " " + rs.getLong(2) + " " + Jdbc.instant(rs, "archived_at"));
        }
      }
      return out;
    });
  }

  private static String partitionOf(Jdbc jdbc, String table, long seq) throws SQLException {
    return jdbc.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT tableoid::regclass::text FROM " + table + " WHERE seq = ?")) {
        ps.setLong(1, seq);
        try (ResultSet rs = ps.executeQuery()) {
          assertTrue(rs.next(), "row " + seq + " exists");
          return rs.getString(1);
        }
      }
    });
  }

  private static long oid(Jdbc jdbc, String table) throws SQLException {
    return jdbc.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?)::oid")) {
        ps.setString(1, table);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          long oid = rs.getLong(1);
          assertTrue(oid != 0, table + " exists");
          return oid;
        }
      }
    });
  }
}

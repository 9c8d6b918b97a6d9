package dev.parley.readmodel;

import dev.parley.sql.Jdbc;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The monthly partitions of {@code messages} (PostgreSQL) and the archive of old months. Creates the
 * current month's partition and the next {@code months-ahead} (UTC months, named
 * {@code messages_yyyy_mm}); moves every month that ended more than {@code archive-after} ago to
 * {@code archived_messages} by detaching its partition and attaching it there, in one transaction
 * with its {@code archive_log} row: no message row is copied or deleted one by one. On H2 (embedded
 * mode, no partitioning) a month moves with one INSERT .. SELECT and one DELETE of its range.
 *
 * <p>Idempotent: an existing partition or an archived month is skipped; a failed run changes
 * nothing (its transaction rolls back) and the next run tries again.
 */
public final class Partitions {
  private static final Logger log = LoggerFactory.getLogger(Partitions.class);
  private static final Set<YearMonth> ENSURED = ConcurrentHashMap.newKeySet();

  private final Jdbc jdbc;

  public Partitions(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  static String partitionName(YearMonth m) {
    return String.format("messages_%04d_%02d", m.getYear(), m.getMonthValue());
  }

  private static YearMonth monthOf(Instant t) {
    return YearMonth.from(t.atZone(ZoneOffset.UTC));
  }

  private static String bound(YearMonth m) {
    return "'" + m.atDay(1) + " 00:00:00+00'";
  }

  /** Creates the partitions of the month of {@code now} and the {@code monthsAhead} following. Returns those created. */
  public List<String> ensureAhead(Instant now, int monthsAhead) throws SQLException {
    List<String> created = new ArrayList<>();
    if (!jdbc.postgres()) {
      return created;
    }
    YearMonth first = monthOf(now);
    for (int i = 0; i <= monthsAhead; i++) {
      YearMonth m = first.plusMonths(i);
      if (jdbc.read(c -> create(c, m))) {
        created.add(partitionName(m));
      }
      ENSURED.add(m); // auto-commit: the partition is there for good
    }
    return created;
  }

  /**
   * Makes sure the partition for the month of {@code at} exists (the projection calls it before
   * inserting). Inside a transaction the month is not remembered as ensured: if that transaction
   * rolls back, the partition goes with it and must be made again on the retry.
   */
  public static void ensureMonth(Connection c, boolean postgres, Instant at) throws SQLException {
    YearMonth m = monthOf(at);
    if (postgres && !ENSURED.contains(m)) {
      create(c, m);
      if (c.getAutoCommit()) {
        ENSURED.add(m);
      }
    }
  }

  /**
   * Creates the month's partition unless it exists. Another node (or another tag's projection) may
   * create it at the same moment (IF NOT EXISTS would not help: it is not race-safe, and it would
   * hide who made it): the loser's 42P07 (or 23505 from the catalog) counts as "exists", undone to
   * a savepoint inside a transaction so the caller's transaction goes on.
   */
  private static boolean create(Connection c, YearMonth m) throws SQLException {
    boolean exists;
    try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      ps.setString(1, partitionName(m));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        exists = rs.getBoolean(1);
      }
    }
    if (exists) {
      return false;
    }
    Savepoint before = c.getAutoCommit() ? null : c.setSavepoint();
    try (Statement s = c.createStatement()) {
      s.execute("CREATE TABLE " + partitionName(m) + " PARTITION OF messages FOR VALUES FROM ("
          + bound(m) + ") TO (" + bound(m.plusMonths(1)) + ")");
    } catch (SQLException e) {
      if (!"42P07".equals(e.getSQLState()) && !"23505".equals(e.getSQLState())) {
        throw e;
      }
      if (before != null) {
        c.rollback(before);
      }
      return false;
    }
    if (before != null) {
      c.releaseSavepoint(before);
    }
    log.info("created partition {}", partitionName(m));
    return true;
  }

  /** The partitions of {@code messages} (PostgreSQL), by name. */
  public List<String> partitionsOf(String table) throws SQLException {
    return jdbc.read(c -> {
      List<String> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT child.relname FROM pg_inherits i "
          + "JOIN pg_class parent ON parent.oid = i.inhparent JOIN pg_class child ON child.oid = i.inhrelid "
          + "WHERE parent.relname = ? ORDER BY child.relname")) {
        ps.setString(1, table);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(rs.getString(1));
          }
        }
      }
      return out;
    });
  }

  /** Moves every month that ended at or before {@code now - age} to the archive. Returns the months moved. */
  public List<YearMonth> archiveOlderThan(Instant now, Duration age) throws SQLException {
    Instant cutoff = now.minus(age);
    List<YearMonth> moved = new ArrayList<>();
    for (YearMonth m : candidateMonths(cutoff)) {
      if (!m.plusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant().isAfter(cutoff)) {
        Long count = jdbc.inTransaction(c -> {
          if (jdbc.postgres()) {
            lockArchive(c); // nodes archive one at a time; the loser then finds the month in archive_log
          }
          return archived(c, m) ? null : move(c, m, now);
        });
        if (count != null) {
          log.info("archived {} ({} messages)", m, count);
          moved.add(m);
        }
      }
    }
    return moved;
  }

  private Set<YearMonth> candidateMonths(Instant cutoff) throws SQLException {
    Set<YearMonth> months = new TreeSet<>();
    if (jdbc.postgres()) {
      for (String name : partitionsOf("messages")) {
        if (name.matches("messages_\\d{4}_\\d{2}")) {
          months.add(YearMonth.of(Integer.parseInt(name.substring(9, 13)), Integer.parseInt(name.substring(14, 16))));
        }
      }
      return months;
    }
    Instant oldest = jdbc.read(c -> {
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT min(created_at) AS oldest FROM messages")) {
        rs.next();
        return Jdbc.instant(rs, "oldest");
      }
    });
    if (oldest != null) {
      for (YearMonth m = monthOf(oldest); !m.isAfter(monthOf(cutoff)); m = m.plusMonths(1)) {
        months.add(m);
      }
    }
    return months;
  }

  /** A transaction-scoped advisory lock held by whoever archives (released at commit or rollback). */
  private static void lockArchive(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_advisory_xact_lock(hashtext('parley-archive'))")) {
      rs.next();
    }
  }

  private static boolean archived(Connection c, YearMonth m) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM archive_log WHERE archived_month = ?")) {
      ps.setObject(1, m.atDay(1));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private long move(Connection c, YearMonth m, Instant now) throws SQLException {
    long count;
    if (jdbc.postgres()) {
      String name = partitionName(m);
      String archivedName = "archived_" + name;
      try (Statement s = c.createStatement()) {
        try (ResultSet rs = s.executeQuery("SELECT count(*) FROM " + name)) {
          rs.next();
          count = rs.getLong(1);
        }
        s.execute("ALTER TABLE messages DETACH PARTITION " + name);
        s.execute("ALTER TABLE " + name + " RENAME TO " + archivedName);
        s.execute("ALTER TABLE archived_messages ATTACH PARTITION " + archivedName + " FOR VALUES FROM ("
            + bound(m) + ") TO (" + bound(m.plusMonths(1)) + ")");
      }
      ENSURED.remove(m);
    } else {
      Instant from = m.atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
      Instant to = m.plusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
      try (PreparedStatement copy = c.prepareStatement("INSERT INTO archived_messages SELECT * FROM messages "
          + "WHERE created_at >= ? AND created_at < ?");
          PreparedStatement delete = c.prepareStatement("DELETE FROM messages WHERE created_at >= ? AND created_at < ?")) {
        copy.setObject(1, Jdbc.ts(from));
        copy.setObject(2, Jdbc.ts(to));
        count = copy.executeUpdate();
        delete.setObject(1, Jdbc.ts(from));
        delete.setObject(2, Jdbc.ts(to));
        delete.executeUpdate();
      }
    }
    try (PreparedStatement log = c.prepareStatement(
        "INSERT INTO archive_log (archived_month, archived_at, messages) VALUES (?, ?, ?)")) {
      log.setObject(1, m.atDay(1));
      log.setObject(2, Jdbc.ts(now));
      log.setLong(3, count);
      log.executeUpdate();
    }
    return count;
  }

  /** Runs {@link #ensureAhead} and {@link #archiveOlderThan} now and then every maintenance interval. */
  public static void schedule(ActorSystem<?> system, DataSource dataSource, boolean postgres, Clock clock,
      ReadModelSettings settings) throws SQLException {
    Partitions p = new Partitions(new Jdbc(dataSource, postgres));
    p.ensureAhead(clock.instant(), settings.monthsAhead()); // before the projection inserts anything
    system.scheduler().scheduleWithFixedDelay(settings.maintenanceInterval(), settings.maintenanceInterval(), () -> {
      try {
        p.ensureAhead(clock.instant(), settings.monthsAhead());
        p.archiveOlderThan(clock.instant(), settings.archiveAfter());
      } catch (Exception e) {
        log.error("partition maintenance failed (retried next interval): {}", e.toString());
      }
    }, system.dispatchers().lookup(DispatcherSelector.fromConfig("parley-blocking-dispatcher")));
  }
}

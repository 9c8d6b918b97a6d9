package dev.parley.sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import javax.sql.DataSource;

/**
 * The small dialect seam of the read model: PostgreSQL upserts with {@code ON CONFLICT}, H2 (the
 * embedded mode) with standard {@code MERGE ... USING (VALUES ...)} (H2 accepts no ON CONFLICT
 * target; research/spikes.md §6). Also builds multi-row statements, so a batch is one round trip
 * per table whatever the driver's batching settings.
 */
public final class Jdbc {
  private final DataSource dataSource;
  private final boolean postgres;

  public Jdbc(DataSource dataSource, boolean postgres) {
    this.dataSource = dataSource;
    this.postgres = postgres;
  }

  public boolean postgres() {
    return postgres;
  }

  public DataSource dataSource() {
    return dataSource;
  }

  /** Work on one connection. */
  public interface Work<T> {
    T apply(Connection c) throws SQLException;
  }

  /** Runs {@code work} in one transaction (committed on success, rolled back on any failure). */
  public <T> T inTransaction(Work<T> work) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      boolean auto = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        T result = work.apply(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        try {
          c.rollback();
        } catch (SQLException ignored) {
          // the connection is broken; the pool discards it
        }
        throw e;
      } finally {
        try {
          c.setAutoCommit(auto);
        } catch (SQLException ignored) {
          // as above
        }
      }
    }
  }

  /** Runs {@code work} on a connection in auto-commit mode (reads). */
  public <T> T read(Work<T> work) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      return work.apply(c);
    }
  }

  /** {@code (?,?,?),(?,?,?)} for {@code rows} rows of {@code columns} parameters (H2: each cast to its type). */
  public static String values(int rows, String... columnTypes) {
    StringBuilder one = new StringBuilder("(");
    for (int i = 0; i < columnTypes.length; i++) {
      one.append(i == 0 ? "" : ", ").append("CAST(? AS ").append(columnTypes[i]).append(')');
    }
    one.append(')');
    StringBuilder all = new StringBuilder(rows * one.length() + rows);
    for (int r = 0; r < rows; r++) {
      all.append(r == 0 ? "" : ", ").append(one);
    }
    return all.toString();
  }

  /** Binds rows of parameters in order, starting at parameter 1. */
  public static void bind(PreparedStatement ps, List<Object[]> rows) throws SQLException {
    int i = 1;
    for (Object[] row : rows) {
      for (Object v : row) {
        ps.setObject(i++, v instanceof Instant t ? ts(t) : v);
      }
    }
  }

  /** Timestamp parameter for an instant (null stays null). */
  public static OffsetDateTime ts(Instant t) {
    return t == null ? null : OffsetDateTime.ofInstant(t, ZoneOffset.UTC);
  }

  /** The instant of a timestamp column (null stays null). */
  public static Instant instant(java.sql.ResultSet rs, String column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }
}

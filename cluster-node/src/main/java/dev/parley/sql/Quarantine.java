package dev.parley.sql;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a stream puts a record it cannot write, so that one bad record never stops the stream for
 * everybody (ADR 0013): each quarantined record is logged (stream, source such as the persistence id,
 * sequence number, reason), counted in {@code parley_quarantined_total{stream=...}} and kept as a row
 * of the {@code quarantine} table for an operator to read. The row holds no content: the record itself
 * stays where it came from (the journal, the Kafka topic), addressed by source and sequence number.
 *
 * <p>Owns the counters only. What is lost: the quarantined record is not in the stream's target
 * (e.g. a message missing from {@code messages}) until an operator repairs it; a row that cannot be
 * written ({@link #recordAlone}) is lost, the log line and the count remain.
 */
public final class Quarantine {
  private static final Logger log = LoggerFactory.getLogger(Quarantine.class);
  private static final int MAX_REASON = 1000;

  private final MeterRegistry metrics;

  public Quarantine(MeterRegistry metrics) {
    this.metrics = metrics;
  }

  /**
   * The counter of one stream, {@code parley_quarantined_total{stream}} (Micrometer keeps one per
   * name and tag, so every caller gets the same). Streams register it at start, so it is scraped as 0.
   */
  public static Counter counter(MeterRegistry metrics, String stream) {
    return Counter.builder("parley.quarantined").tag("stream", stream)
        .description("records a stream could not write and stepped over (see the quarantine table)")
        .register(metrics);
  }

  /** Registers the stream's counter at 0. */
  public void register(String stream) {
    counter(metrics, stream);
  }

  /**
   * Logs, counts and writes the row on {@code c}, inside the caller's transaction, so the row commits
   * exactly when the stream's own progress (e.g. the projection offset) does. A rolled-back
   * transaction re-runs the record later and counts it again; the table has it once.
   */
  public void record(Connection c, String stream, String source, Long sequenceNr, Throwable why) throws SQLException {
    String reason = reason(why);
    String where = clean(source, 255);
    log.error("quarantined a record of stream {}: {} #{}: {}", stream, where, sequenceNr, reason);
    counter(metrics, stream).increment();
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO quarantine (stream, source, sequence_nr, reason, "
        + "quarantined_at) VALUES (?, ?, ?, ?, ?)")) {
      ps.setString(1, stream);
      ps.setString(2, where);
      if (sequenceNr == null) {
        ps.setNull(3, java.sql.Types.BIGINT);
      } else {
        ps.setLong(3, sequenceNr);
      }
      ps.setString(4, reason);
      ps.setObject(5, Jdbc.ts(Instant.now()));
      ps.executeUpdate();
    }
  }

  /** As {@link #record} in a transaction of its own; failing to write the row is logged, never thrown. */
  public void recordAlone(Jdbc jdbc, String stream, String source, Long sequenceNr, Throwable why) {
    try {
      jdbc.inTransaction(c -> {
        record(c, stream, source, sequenceNr, why);
        return null;
      });
    } catch (SQLException | RuntimeException e) {
      log.error("could not write the quarantine row of {} {} #{} (logged above): {}", stream, source, sequenceNr,
          e.toString());
    }
  }

  /** A reason that the table can hold: the failure's message with its own refused characters replaced. */
  static String reason(Throwable why) {
    Throwable t = why;
    while (t.getCause() != null && t.getCause() != t && !(t instanceof SQLException)) {
      t = t.getCause();
    }
    String text = t instanceof SQLException s && s.getSQLState() != null
        ? "SQLState " + s.getSQLState() + ": " + s.getMessage() : t.toString();
    return clean(text, MAX_REASON);
  }

  /** {@code s} with control characters and unpaired surrogates as '?', at most {@code max} chars. */
  static String clean(String s, int max) {
    if (s == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(Math.min(s.length(), max));
    for (int i = 0; i < s.length() && out.length() < max; i++) {
      char ch = s.charAt(i);
      boolean pair = Character.isHighSurrogate(ch) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
      if (pair && out.length() + 2 <= max) {
        out.append(ch).append(s.charAt(++i));
      } else {
        out.append(Character.isSurrogate(ch) || Character.isISOControl(ch) ? '?' : ch);
      }
    }
    return out.toString();
  }
}

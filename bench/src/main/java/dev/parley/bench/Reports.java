package dev.parley.bench;

import dev.parley.protocol.ProtocolCodec;
import dev.parley.protocol.bench.BenchReport;
import dev.parley.protocol.bench.BenchReport.Measurement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.format.DateTimeFormatter;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Output of every scenario: a Markdown table per series on stdout and the whole {@link BenchReport}
 * as JSON in the results directory ({@code --out}, default {@code results/} under the working
 * directory), named {@code <scenario>-<UTC time>.json}.
 */
public final class Reports {
  /** Where a scenario gets a connection to ask PostgreSQL its version ({@code DataSource::getConnection}, ...). */
  @FunctionalInterface
  public interface Connections {
    Connection open() throws SQLException;
  }

  private static final DateTimeFormatter FILE_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private Reports() {}

  /** The box the run is on; {@code db} names the PostgreSQL version (null: not asked). */
  public static BenchReport.Machine machine(Connections db) {
    String pg = null;
    if (db != null) {
      try (Connection c = db.open(); Statement s = c.createStatement();
           ResultSet rs = s.executeQuery("SHOW server_version")) {
        pg = rs.next() ? rs.getString(1) : null;
      } catch (SQLException e) {
        pg = "unknown (" + e.getMessage() + ")";
      }
    }
    return BenchReport.Machine.here(pg);
  }

  /** Labels (or any string map) in the order given: key, value, key, value, ... */
  static Map<String, String> labels(String... keysAndValues) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i + 1 < keysAndValues.length; i += 2) {
      m.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }

  /** Prints {@code report} as Markdown and writes it as JSON under {@code outDir}; returns the file. */
  static Path publish(BenchReport report, Path outDir) throws IOException {
    System.out.println(markdown(report));
    Files.createDirectories(outDir);
    Path file = outDir.resolve(report.scenario() + "-" + FILE_TIME.format(report.startedAt()) + ".json");
    Files.writeString(file, ProtocolCodec.write(report));
    System.out.println("JSON: " + file.toAbsolutePath());
    return file;
  }

  static String markdown(BenchReport report) {
    StringBuilder out = new StringBuilder("\n## ").append(report.title()).append("\n\n");
    BenchReport.Machine m = report.machine();
    out.append(String.format(Locale.ROOT, "%s · %d cores · %.0f GiB · %s · %s%s · %s · %.0f s%n%n",
        m.host(), m.cores(), m.memoryBytes() / (double) (1L << 30), m.os(), m.jvm(),
        m.postgres() == null ? "" : " · PostgreSQL " + m.postgres(), report.startedAt(), report.seconds()));
    if (!report.parameters().isEmpty()) {
      out.append("Parameters: ");
      report.parameters().forEach((k, v) -> out.append('`').append(k).append('=').append(v).append("` "));
      out.append("\n\n");
    }
    Map<String, List<Measurement>> bySeries = new LinkedHashMap<>();
    report.results().forEach(r -> bySeries.computeIfAbsent(r.series(), k -> new ArrayList<>()).add(r));
    bySeries.forEach((series, rows) -> out.append(table(series, rows)).append('\n'));
    if (!report.targets().isEmpty()) {
      out.append("| target | measured | met |\n|---|---|---|\n");
      report.targets().forEach(t -> out.append("| ").append(t.target()).append(" | ")
          .append(t.measured() == null ? "-" : t.measured()).append(" | ")
          .append(t.met() == null ? "not measured" : t.met() ? "yes" : "**no**").append(" |\n"));
    }
    return out.toString();
  }

  private static String table(String series, List<Measurement> rows) {
    Set<String> labels = new LinkedHashSet<>();
    Set<String> values = new LinkedHashSet<>();
    rows.forEach(r -> {
      labels.addAll(r.labels().keySet());
      values.addAll(r.values().keySet());
    });
    StringBuilder out = new StringBuilder("### ").append(series).append("\n\n|");
    labels.forEach(l -> out.append(' ').append(l).append(" |"));
    out.append(" n |");
    values.forEach(v -> out.append(' ').append(v).append(" |"));
    out.append("\n|").append("---|".repeat(labels.size())).append("---:|".repeat(values.size() + 1)).append('\n');
    for (Measurement r : rows) {
      out.append('|');
      labels.forEach(l -> out.append(' ').append(r.labels().getOrDefault(l, "")).append(" |"));
      out.append(' ').append(r.samples()).append(" |");
      values.forEach(v -> out.append(' ').append(format(r.values().get(v))).append(" |"));
      out.append('\n');
    }
    return out.toString();
  }

  /** One number format for every benchmark table. */
  public static String format(Double v) {
    if (v == null || v.isNaN()) {
      return "-";
    }
    double a = Math.abs(v);
    return a >= 100 ? String.format(Locale.ROOT, "%.0f", v)
        : a >= 10 ? String.format(Locale.ROOT, "%.1f", v)
        : String.format(Locale.ROOT, "%.2f", v);
  }
}

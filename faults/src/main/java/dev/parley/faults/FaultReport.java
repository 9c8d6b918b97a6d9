package dev.parley.faults;

import dev.parley.protocol.ProtocolCodec;
import dev.parley.protocol.bench.BenchReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Output of a run: one Markdown table (scenario, what was done, what was expected, what was measured,
 * held) on stdout, and the run as a {@link BenchReport} in JSON under the results directory
 * ({@code faults-<UTC time>.json}): each scenario's figures are a {@link BenchReport.Measurement} of
 * series {@code faults} labelled by scenario, each expectation a {@link BenchReport.TargetCheck}
 * ({@code met} null for a figure reported without a verdict).
 */
final class FaultReport {
  private static final DateTimeFormatter FILE_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private FaultReport() {}

  static BenchReport of(List<Findings> all, Instant startedAt, double seconds, Map<String, String> parameters) {
    List<BenchReport.Measurement> results = new ArrayList<>();
    List<BenchReport.TargetCheck> targets = new ArrayList<>();
    for (Findings f : all) {
      Map<String, String> labels = new LinkedHashMap<>();
      labels.put("scenario", f.scenario);
      labels.put("done", f.done);
      results.add(new BenchReport.Measurement("faults", labels, 1, f.figures()));
      f.rows().forEach(r -> targets.add(new BenchReport.TargetCheck(f.scenario + ": " + r.expected(), r.measured(),
          r.held())));
    }
    return new BenchReport(BenchReport.SCHEMA, "faults", "Fault suite: what was done, expected and measured",
        startedAt, seconds, machine(), parameters, results, targets);
  }

  static String markdown(List<Findings> all) {
    StringBuilder out = new StringBuilder(
        "| scenario | what was done | what was expected | what was measured | held |\n")
        .append("|---|---|---|---|---|\n");
    for (Findings f : all) {
      boolean first = true;
      for (Findings.Row r : f.rows()) {
        out.append("| ").append(first ? f.scenario : "").append(" | ").append(first ? f.done : "").append(" | ")
            .append(r.expected()).append(" | ").append(r.measured()).append(" | ")
            .append(r.held() == null ? "(figure)" : r.held() ? "yes" : "**no**").append(" |\n");
        first = false;
      }
    }
    return out.toString();
  }

  /** Prints the table and writes the JSON report under {@code outDir}; returns the file. */
  static Path publish(BenchReport report, List<Findings> all, Path outDir) throws IOException {
    System.out.println();
    System.out.println(markdown(all));
    Files.createDirectories(outDir);
    Path file = outDir.resolve("faults-" + FILE_TIME.format(report.startedAt()) + ".json");
    Files.writeString(file, ProtocolCodec.write(report));
    System.out.println("JSON: " + file.toAbsolutePath());
    return file;
  }

  /** The box: cores, memory, OS, JVM and the PostgreSQL version the nodes wrote to. */
  private static BenchReport.Machine machine() {
    String pg;
    try (dev.parley.testkit.TestDatabase db = dev.parley.testkit.TestDatabase.create();
        Connection c = db.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW server_version")) {
      pg = rs.next() ? rs.getString(1) : null;
    } catch (Exception e) {
      pg = "unknown (" + e.getMessage() + ")";
    }
    return BenchReport.Machine.here(pg);
  }
}

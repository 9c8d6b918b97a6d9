package dev.parley.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.protocol.bench.BenchReport;
import dev.parley.protocol.bench.BenchReport.Measurement;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The seed-table scenario on tiny sizes: it runs end to end (Parley node, seed schema, Redis) and
 * reports every row of every column. Behaviour only; it never looks at how fast anything was.
 */
class SeedTableSmokeTest {
  @Test
  void reportsEveryRowOfEveryColumn() throws Exception {
    BenchReport report = SeedTable.run(SeedTable.Sizes.smoke());

    assertEquals("seed-table", report.scenario());
    assertNotNull(report.machine());
    for (String row : SeedTable.ROWS) {
      for (String column : SeedTable.COLUMNS) {
        Measurement m = find(report, row, column)
            .orElseThrow(() -> new AssertionError("missing " + row + " / " + column));
        assertTrue(m.samples() > 0, row + " / " + column + " has no samples");
        Double p50 = m.values().get("p50Ms");
        assertTrue(p50 != null && Double.isFinite(p50) && p50 > 0, row + " / " + column + " p50 " + p50);
        assertTrue(m.values().containsKey("p99Ms"), row + " / " + column + " has no p99");
        if (column.equals(SeedTable.PARLEY)) {
          for (String ratio : new String[] {"xVsNoIndexes", "xVsIndexes", "xVsCache"}) {
            Double x = m.values().get(ratio);
            assertTrue(x != null && Double.isFinite(x) && x > 0, row + " " + ratio + " " + x);
          }
        }
      }
    }
    for (String column : SeedTable.COLUMNS) {
      assertTrue(find(report, SeedTable.READ_GROUP_MEMBER, column).map(m -> m.samples() > 0).orElse(false),
          "no per-member figures for " + column);
      // Every seed mark-read wrote MessageRead rows for the new message (the reader's unread one).
      if (!column.equals(SeedTable.PARLEY)) {
        Double rows = find(report, SeedTable.READ_PRIVATE, column).orElseThrow().values().get("messageReadRowsPerOp");
        assertEquals(1.0, rows, 1e-9, column + " MessageRead rows per 1-on-1 read");
      }
    }
    assertTrue(report.targets().size() >= 8, "targets: " + report.targets());
    report.targets().forEach(t -> assertNotNull(t.met(), t.target() + " not measured"));
  }

  private static Optional<Measurement> find(BenchReport report, String series, String column) {
    return report.results().stream()
        .filter(m -> m.series().equals(series) && column.equals(m.labels().get("column")))
        .findFirst();
  }
}

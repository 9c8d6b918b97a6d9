package dev.parley.bench.inprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Seconds-long runs of the in-process scenarios on a real node, PostgreSQL and Redis, so the harness
 * keeps working. They check that every figure is there and consistent, never how fast anything is.
 */
class InProcessSmokeTest {
  @Test
  void receiptWriterCommitsRowsAndRefusesNone() throws Exception {
    Map<String, Double> r = ReceiptThroughput.writer(10, 1);
    assertTrue(r.get("rows/s") > 0, r.toString());
    assertTrue(r.get("rows/txn") > 0, r.toString());
    assertEquals(0.0, r.get("refused"), r.toString());
  }

  @Test
  void markReadOnANodeIsAbsorbedAndFlushed() throws Exception {
    Map<String, Double> r = ReceiptThroughput.node(5, 1, 5, 20);
    assertTrue(r.get("marks/s") > 0, r.toString());
    assertTrue(r.get("rows/s") > 0, "receipts reached SQL: " + r);
    assertEquals(0.0, r.get("errors"), r.toString());
  }

  @Test
  void projectionLagMeasuresEveryAckedMessage() throws Exception {
    Map<String, Double> r = ProjectionLag.run(50, 1);
    assertEquals(0.0, r.get("errors"), r.toString());
    assertTrue(r.get("acked/s") > 0, r.toString());
    assertTrue(r.get("lag p50 ms") <= r.get("lag p99 ms") && r.get("lag p99 ms") <= r.get("lag max ms"), r.toString());
  }

  @Test
  void theTableShowsEveryRunAndTheMedian() {
    String table = InProcessBench.table("t", List.of(Map.of("x", 1.0), Map.of("x", 3.0), Map.of("x", 2.0)));
    assertTrue(table.contains("| 3 | 2.00 |"), table);
    assertTrue(table.contains("| **median** | **2.00** |"), table);
  }
}

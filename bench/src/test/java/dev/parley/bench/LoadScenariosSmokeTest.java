package dev.parley.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.protocol.ProtocolCodec;
import dev.parley.protocol.bench.BenchReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seconds-long versions of the load scenarios against a real node (own JVM), PostgreSQL and Redis,
 * so the harness keeps working. They check that every figure is there and consistent, never how
 * fast anything is: speed is what the documented full runs print.
 */
class LoadScenariosSmokeTest {
  @TempDir
  Path out;

  @Test
  void sendDeliverMeasuresEveryStepOfATwoMemberRun() throws Exception {
    BenchReport report = SendDeliver.run(SendDeliver.Options.smoke(2));
    assertEquals("send-deliver-2", report.scenario());
    List<BenchReport.Measurement> steps = report.results().stream()
        .filter(m -> m.series().startsWith("load steps")).toList();
    assertEquals(3, steps.size(), "two steps and the half-knee run: " + steps);
    for (BenchReport.Measurement s : steps) {
      assertEquals(0.0, s.values().get("errors"), s.toString());
      assertEquals(0.0, s.values().get("incomplete"), "every message acked and delivered: " + s);
      assertTrue(s.values().get("achievedPerSec") > 0, s.toString());
      assertTrue(s.values().get("cpuNode") > 0, "the node's CPU is measured: " + s);
    }
    List<BenchReport.Measurement> latencies = report.results().stream()
        .filter(m -> m.series().startsWith("send→deliver")).toList();
    for (BenchReport.Measurement m : latencies) {
      assertTrue(m.samples() > 0, m.toString());
      assertTrue(m.values().get("p50Ms") <= m.values().get("p99Ms")
          && m.values().get("p99Ms") <= m.values().get("maxMs"), m.toString());
      // Every measured message was acked and delivered, so each one has both latencies.
      BenchReport.Measurement ack = latencies.stream().filter(a -> a.labels().get("latency").startsWith("ack")
          && a.labels().get("phase").equals(m.labels().get("phase"))
          && a.labels().get("rate").equals(m.labels().get("rate"))).findFirst().orElseThrow();
      assertEquals(ack.samples(), m.samples(), "acks and deliveries of one step: " + m);
    }
    assertEquals(2, report.targets().size());
    report.targets().forEach(t -> assertTrue(t.met() != null, "targets are read at half the knee: " + t));
    roundTripsThroughItsJsonFile(report);
  }

  @Test
  void sendDeliverReportsFirstMedianAndLastRecipientInAGroup() throws Exception {
    BenchReport report = SendDeliver.run(new SendDeliver.Options(5, 2, List.of(10), 1, 1, 2, 1000, false));
    List<String> latencies = report.results().stream().filter(m -> m.series().startsWith("send→deliver"))
        .map(m -> m.labels().get("latency")).distinct().toList();
    assertEquals(List.of("ack (persisted)", "first recipient", "median recipient", "last recipient"), latencies);
    report.results().stream().filter(m -> m.series().startsWith("send→deliver")).forEach(m ->
        assertTrue(m.samples() > 0, m.toString()));
  }

  @Test
  void throughputCountsDurableMessagesReceiptsAndFlushedRows() throws Exception {
    BenchReport report = Throughput.run(Throughput.Options.smoke(true));
    BenchReport.Measurement m = report.results().get(0);
    assertTrue(m.values().get("durableMsgsPerSec") > 0, m.toString());
    assertTrue(m.values().get("receiptsPerSec") > 0, m.toString());
    assertTrue(m.values().get("rowsFlushedPerSec") > 0, "receipts reached SQL: " + m);
    assertEquals(0.0, m.values().get("errors"), m.toString());
    assertFalse(report.targets().isEmpty());
    roundTripsThroughItsJsonFile(report);
  }

  private void roundTripsThroughItsJsonFile(BenchReport report) throws Exception {
    Path file = Reports.publish(report, out);
    assertEquals(report, ProtocolCodec.read(Files.readString(file), BenchReport.class));
  }
}

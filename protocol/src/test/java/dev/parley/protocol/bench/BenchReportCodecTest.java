package dev.parley.protocol.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.protocol.ProtocolCodec;
import dev.parley.protocol.ProtocolException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchReportCodecTest {
  private static final BenchReport REPORT = new BenchReport(BenchReport.SCHEMA, "send-deliver",
      "send→deliver, 2-member conversations", Instant.parse("2026-11-24T10:00:00Z"), 61.5,
      new BenchReport.Machine("box", 2, 24L << 30, "Linux 6.1", "17.0.15", "15.8"),
      Map.of("conversations", "500", "rates", "200,400"),
      List.of(new BenchReport.Measurement("send→deliver", Map.of("rate", "400", "recipient", "last"), 24_000,
          Map.of("p50Ms", 0.9, "p99Ms", 4.2, "achievedPerSec", 399.5))),
      List.of(new BenchReport.TargetCheck("2-member p50 ≤ 1 ms at half the knee", "0.9 ms", true),
          new BenchReport.TargetCheck("≥ 5k durable messages/s", null, null)));

  @Test
  void roundTripsAReport() {
    assertEquals(REPORT, ProtocolCodec.read(ProtocolCodec.write(REPORT), BenchReport.class));
  }

  @Test
  void readsAReportFromANewerBenchThatAddedFields() {
    String json = ProtocolCodec.write(REPORT).replaceFirst("\\{", "{\"comment\":\"later field\",");
    assertEquals(REPORT, ProtocolCodec.read(json, BenchReport.class));
  }

  @Test
  void rejectsAReportThatDoesNotSayWhichScenario() {
    String json = ProtocolCodec.write(REPORT).replace("\"scenario\":\"send-deliver\",", "");
    ProtocolException e = assertThrows(ProtocolException.class, () -> ProtocolCodec.read(json, BenchReport.class));
    assertTrue(e.getMessage().contains("scenario"), e.getMessage());
  }
}

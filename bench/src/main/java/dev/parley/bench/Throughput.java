package dev.parley.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.protocol.bench.BenchReport;
import dev.parley.protocol.bench.BenchReport.Measurement;
import dev.parley.protocol.bench.BenchReport.TargetCheck;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * Saturation throughput of one node through its WebSocket API: senders keep a fixed number of
 * {@code send}s in flight (closed loop: a new one as soon as one is acked) over many 2-member
 * conversations, so the figure is how many durable messages per second the node accepts. With
 * receipts on, every recipient answers each delivered message with {@code read upTo=seq}, as a
 * client showing the conversation does; receipts are the {@code read} frames sent in the window (an
 * {@code unread} answer carries no ref, and a subscribed reader gets two, so answers are not
 * counted; a refused read is an error frame and counted as one); rows flushed come from the
 * node's {@code /metrics} on its operator port (receipt writer). Ack latency here is from the
 * actual send, not a schedule: it is a saturation figure, the open-loop latencies are
 * {@link SendDeliver}'s.
 */
final class Throughput {
  record Options(int conversations, int inFlight, int warmupSeconds, int seconds, boolean receipts) {
    static Options full(boolean receipts) {
      return new Options(1000, 256, 10, 30, receipts);
    }

    static Options smoke(boolean receipts) {
      return new Options(10, 16, 1, 2, receipts);
    }
  }

  private Throughput() {}

  static BenchReport run(Options o) throws Exception {
    Instant started = Instant.now();
    long t = System.nanoTime();
    try (ServerNode server = ServerNode.start(Map.of())) {
      List<Population.Conversation> pop = server.populate(o.conversations(), 2);
      try (Fleet fleet = Fleet.open(server.url(), pop)) {
        Semaphore permits = new Semaphore(o.inFlight());
        AtomicBoolean measuring = new AtomicBoolean();
        AtomicLong acked = new AtomicLong();
        AtomicLong receipts = new AtomicLong();
        Latency ackLatency = new Latency();
        Map<String, Long> sentAt = new java.util.concurrent.ConcurrentHashMap<>();
        fleet.handler = (socket, frame, receivedAt) -> {
          switch (frame.path("type").asText()) {
            case "ack" -> {
              Long at = sentAt.remove(frame.path("clientMsgId").asText());
              if (at != null) {
                permits.release();
                if (measuring.get()) {
                  acked.incrementAndGet();
                  ackLatency.record(receivedAt - at);
                }
              }
            }
            case "error" -> {
              if (frame.hasNonNull("ref") && sentAt.remove(frame.path("ref").asText()) != null) {
                permits.release();
              }
            }
            case "message" -> {
              JsonNode m = frame.path("message");
              if (o.receipts() && !socket.user.equals(m.path("sender").asText())) {
                if (measuring.get()) {
                  receipts.incrementAndGet();
                }
                socket.send("{\"type\":\"read\",\"conv\":\"" + frame.path("conv").asText() + "\",\"upTo\":"
                    + m.path("seq").asLong() + "}");
              }
            }
            default -> { }
          }
        };
        Cpu cpu = Cpu.of(server.pid());
        long start = System.nanoTime();
        long measureFrom = start + TimeUnit.SECONDS.toNanos(o.warmupSeconds());
        long end = measureFrom + TimeUnit.SECONDS.toNanos(o.seconds());
        Map<String, Double> metricsBefore = null;
        int conversations = fleet.conversations.size();
        long errorsBefore = 0;
        for (long k = 0; System.nanoTime() < end; k++) {
          if (metricsBefore == null && System.nanoTime() >= measureFrom) {
            metricsBefore = receiptMetrics(server.managementUrl());
            errorsBefore = fleet.errors.get();
            ackLatency.reset();
            cpu.start();
            measuring.set(true);
          }
          if (!permits.tryAcquire(100, TimeUnit.MILLISECONDS)) {
            continue;
          }
          int c = (int) (k % conversations);
          BenchSocket sender = fleet.sockets.get(c).get((int) ((k / conversations) % 2));
          String id = "t" + k;
          sentAt.put(id, System.nanoTime());
          boolean written = sender.send("{\"type\":\"send\",\"conv\":\"" + fleet.conversations.get(c).id() + "\",\"clientMsgId\":\""
              + id + "\",\"text\":\"throughput " + k + "\",\"ref\":\"" + id + "\"}");
          if (!written && sentAt.remove(id) != null) {
            permits.release();
          }
        }
        measuring.set(false);
        double seconds = o.seconds();
        Map<String, Double> used = cpu.stop();
        long errors = fleet.errors.get() - errorsBefore;
        fleet.handler = (s, f, at) -> { }; // no more reads: rows flushed after the window are the window's
        Thread.sleep(1500); // one receipt flush interval and a bit: rows of the window reach SQL
        Map<String, Double> metricsAfter = receiptMetrics(server.managementUrl());
        Histogram h = ackLatency.total();

        Map<String, Double> v = new LinkedHashMap<>();
        v.put("durableMsgsPerSec", acked.get() / seconds);
        if (o.receipts()) {
          v.put("receiptsPerSec", receipts.get() / seconds);
          v.put("rowsFlushedPerSec", (metricsAfter.get("rows") - metricsBefore.get("rows")) / seconds);
          v.put("flushesPerSec", (metricsAfter.get("flushes") - metricsBefore.get("flushes")) / seconds);
        }
        v.put("errors", (double) errors);
        v.put("ackP50Ms", Latency.ms(h.getValueAtPercentile(50)));
        v.put("ackP99Ms", Latency.ms(h.getValueAtPercentile(99)));
        v.putAll(used);
        String what = o.receipts() ? "sends + a read receipt per delivered message" : "sends only";
        List<Measurement> rows = List.of(new Measurement("throughput, one node",
            Reports.labels("load", what, "inFlight", String.valueOf(o.inFlight())), acked.get(), v));
        Map<String, String> params = Reports.labels("conversations", String.valueOf(o.conversations()),
            "members", "2", "sockets", String.valueOf(fleet.size()), "inFlight", String.valueOf(o.inFlight()),
            "warmupSeconds", String.valueOf(o.warmupSeconds()), "seconds", String.valueOf(o.seconds()),
            "receipts", String.valueOf(o.receipts()), "rateLimits", "lifted (send/frame rates 100000)");
        List<TargetCheck> targets = new ArrayList<>();
        double rate = acked.get() / seconds;
        targets.add(new TargetCheck("≥ 5k durable messages/s on one node",
            String.format(Locale.ROOT, "%.0f msgs/s", rate), rate >= 5000));
        if (o.receipts()) {
          double r = receipts.get() / seconds;
          targets.add(new TargetCheck(
              "≥ 20k receipts/s absorbed (research target; one per delivered message here, bounded by the sends)",
              String.format(Locale.ROOT, "%.0f receipts/s", r), r >= 20000));
        }
        return new BenchReport(BenchReport.SCHEMA, o.receipts() ? "throughput-receipts" : "throughput",
            "Throughput of one node, " + what, started, (System.nanoTime() - t) / 1e9, server.machine(), params,
            rows, targets);
      }
    }
  }

  /** The receipt writer's committed rows and transactions so far, from the node's Prometheus text (operator port). */
  private static Map<String, Double> receiptMetrics(String managementUrl) {
    String metrics = BenchApi.metrics(managementUrl);
    Map<String, Double> m = new LinkedHashMap<>(Map.of("rows", 0.0, "flushes", 0.0));
    for (String line : metrics.split("\n")) {
      if (line.startsWith("parley_receipts_flush_rows_sum")) {
        m.put("rows", Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
      } else if (line.startsWith("parley_receipts_flush_seconds_count")) {
        m.put("flushes", Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
      }
    }
    return m;
  }
}

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
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * Send→deliver latency, open loop: one WebSocket per member of every conversation; a scheduler
 * sends on a Poisson (or fixed) schedule at the offered rate, each message from a member of the
 * next conversation in turn, whether or not earlier sends were answered. Latency runs from the
 * <em>intended</em> send time (so a stalled server or generator is never hidden) to the sender's
 * {@code ack} and to each other member's {@code message} frame: first, median and last recipient
 * per message. The rate steps up until two steps in a row fail; the knee is the highest step whose
 * last-recipient p99 held the SLO with every message acked and delivered, and the targets are read
 * in a separate run at half the knee.
 */
final class SendDeliver {
  /**
   * @param jitWarmupSeconds an unmeasured first step at the lowest rate (JIT, pools, caches)
   * @param warmupSeconds    unmeasured start of every step
   * @param sloP99Ms         last-recipient p99 a step must hold to count for the knee
   */
  record Options(int members, int conversations, List<Integer> rates, int jitWarmupSeconds, int warmupSeconds,
      int stepSeconds, double sloP99Ms, boolean poisson) {
    static Options full(int members) {
      return members == 2
          ? new Options(2, 500, List.of(250, 500, 1000, 1500, 2000, 2500, 3000, 4000, 5000), 30, 5, 15, 15, true)
          : new Options(members, 10, List.of(10, 25, 50, 75, 100, 150, 200, 300, 400, 500), 30, 5, 15, 25, true);
    }

    static Options smoke(int members) {
      return new Options(members, members == 2 ? 10 : 2, List.of(20, 40), 1, 1, 2, 1000, true);
    }
  }

  /**
   * The knee: the highest offered rate whose step held. One failed step can be a single stall in a
   * few hundred samples, so the search ends only after two failed steps in a row.
   */
  static final class KneeSearch {
    private int knee;
    private int failedInARow;

    /** Records a step; false when the search is over. */
    boolean stepped(int rate, boolean held) {
      if (held) {
        knee = Math.max(knee, rate);
        failedInARow = 0;
        return true;
      }
      return ++failedInARow < 2;
    }

    /** 0 when no step held. */
    int knee() {
      return knee;
    }
  }

  /** What one step measured. */
  private record StepResult(int rate, double achieved, long errors, long incomplete, Histogram ack,
      Histogram first, Histogram median, Histogram last, Map<String, Double> cpu, boolean pass) {}

  private final Options o;
  private final Fleet fleet;
  private final Cpu cpu;
  private int stepId;

  private SendDeliver(Options o, Fleet fleet, Cpu cpu) {
    this.o = o;
    this.fleet = fleet;
    this.cpu = cpu;
  }

  static BenchReport run(Options o) throws Exception {
    Instant started = Instant.now();
    long t = System.nanoTime();
    try (ServerNode server = ServerNode.start(Map.of())) {
      List<Population.Conversation> pop = server.populate(o.conversations(), o.members());
      try (Fleet fleet = Fleet.open(server.url(), pop)) {
        SendDeliver bench = new SendDeliver(o, fleet, Cpu.of(server.pid()));
        bench.step(o.rates().get(0), o.jitWarmupSeconds(), 1);
        List<StepResult> steps = new ArrayList<>();
        KneeSearch search = new KneeSearch();
        for (int rate : o.rates()) {
          StepResult s = bench.step(rate, o.warmupSeconds(), o.stepSeconds());
          steps.add(s);
          System.err.printf(Locale.ROOT, "%d-member, %d msgs/s: achieved %.0f, last p99 %.2f ms, errors %d, "
                  + "incomplete %d, node %.2f cores%n", o.members(), rate, s.achieved(),
              Latency.ms(s.last().getValueAtPercentile(99)), s.errors(), s.incomplete(), s.cpu().get("cpuNode"));
          if (!search.stepped(rate, s.pass())) {
            break;
          }
        }
        int knee = search.knee();
        StepResult half = knee == 0 ? null : bench.step(Math.max(1, knee / 2), o.warmupSeconds(), 2 * o.stepSeconds());
        return bench.report(started, (System.nanoTime() - t) / 1e9, server.machine(), steps, knee, half);
      }
    }
  }

  private StepResult step(int rate, int warmupSeconds, int measuredSeconds) throws InterruptedException {
    int id = ++stepId;
    // Room for the schedule with a Poisson surplus; the schedule ends at its end time, not a count.
    int total = (int) (rate * (warmupSeconds + measuredSeconds) * 1.2) + 100;
    int expected = o.members() - 1;
    int medianAt = (expected + 1) / 2;
    AtomicLongArray intended = new AtomicLongArray(total);
    AtomicIntegerArray arrivals = new AtomicIntegerArray(total);
    AtomicIntegerArray acked = new AtomicIntegerArray(total);
    Latency ack = new Latency();
    Latency first = new Latency();
    Latency median = new Latency();
    Latency last = new Latency();
    AtomicLong lastAckAt = new AtomicLong();
    long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
    long measuredFrom = start + TimeUnit.SECONDS.toNanos(warmupSeconds);
    long endAt = measuredFrom + TimeUnit.SECONDS.toNanos(measuredSeconds);
    String prefix = id + ":";
    long errorsBefore = fleet.errors.get();
    fleet.handler = (socket, frame, now) -> {
      switch (frame.path("type").asText()) {
        case "message" -> {
          JsonNode m = frame.path("message");
          int k = index(m.path("text").asText(), prefix);
          if (k < 0 || socket.user.equals(m.path("sender").asText())) {
            return;
          }
          int n = arrivals.incrementAndGet(k);
          long it = intended.get(k);
          if (it >= measuredFrom) {
            long latency = now - it;
            if (n == 1) {
              first.record(latency);
            }
            if (n == medianAt) {
              median.record(latency);
            }
            if (n == expected) {
              last.record(latency);
            }
          }
        }
        case "ack" -> {
          int k = index(frame.path("clientMsgId").asText(), prefix);
          if (k >= 0 && acked.getAndSet(k, 1) == 0 && intended.get(k) >= measuredFrom) {
            ack.record(now - intended.get(k));
            lastAckAt.accumulateAndGet(now, Math::max);
          }
        }
        default -> { }
      }
    };
    SplittableRandom random = new SplittableRandom(id);
    double interval = 1e9 / rate;
    long next = start;
    boolean measuring = false;
    int conversations = fleet.conversations.size();
    int sent = 0;
    for (int k = 0; k < total && next < endAt; k++, sent++) {
      if (!measuring && next >= measuredFrom) {
        measuring = true;
        cpu.start();
      }
      long wait = next - System.nanoTime();
      while (wait > 0) {
        LockSupport.parkNanos(wait);
        wait = next - System.nanoTime();
      }
      int c = k % conversations;
      List<BenchSocket> members = fleet.sockets.get(c);
      BenchSocket sender = members.get((k / conversations) % members.size());
      intended.set(k, next);
      sender.send("{\"type\":\"send\",\"conv\":\"" + fleet.conversations.get(c).id() + "\",\"clientMsgId\":\""
          + prefix + k + "\",\"text\":\"" + prefix + k + "\"}");
      next += o.poisson() ? (long) (-Math.log(1 - random.nextDouble()) * interval) : (long) interval;
    }
    if (!measuring) {
      cpu.start(); // a schedule that never reached its measured window (very low rates)
    }
    Map<String, Double> cpuUsed = cpu.stop();
    // Drain: everything sent gets up to 5 s to be acked and delivered everywhere.
    long drainUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < drainUntil && !complete(arrivals, acked, expected, sent)) {
      Thread.sleep(20);
    }
    fleet.handler = (s, f, at) -> { };
    long measured = 0;
    long ackedMeasured = 0;
    long incomplete = 0;
    for (int k = 0; k < sent; k++) {
      if (intended.get(k) >= measuredFrom) {
        measured++;
        ackedMeasured += acked.get(k);
        if (acked.get(k) == 0 || arrivals.get(k) < expected) {
          incomplete++;
        }
      }
    }
    double span = Math.max(measuredSeconds, (lastAckAt.get() - measuredFrom) / 1e9);
    double achieved = ackedMeasured / span;
    long errors = fleet.errors.get() - errorsBefore;
    Histogram lastH = last.total();
    boolean pass = measured > 0 && incomplete == 0 && errors == 0 && achieved >= 0.95 * measured / measuredSeconds
        && Latency.ms(lastH.getValueAtPercentile(99)) <= o.sloP99Ms();
    return new StepResult(rate, achieved, errors, incomplete, ack.total(), first.total(), median.total(), lastH,
        cpuUsed, pass);
  }

  private static boolean complete(AtomicIntegerArray arrivals, AtomicIntegerArray acked, int expected, int sent) {
    for (int k = sent - 1; k >= 0; k--) {
      if (arrivals.get(k) < expected || acked.get(k) == 0) {
        return false;
      }
    }
    return true;
  }

  /** k of a "step:k" id of this step, -1 for another step's message. */
  private static int index(String id, String prefix) {
    if (!id.startsWith(prefix)) {
      return -1;
    }
    try {
      return Integer.parseInt(id.substring(prefix.length()));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private BenchReport report(Instant started, double seconds, BenchReport.Machine machine, List<StepResult> steps,
      int knee, StepResult half) {
    String series = "send→deliver, " + o.members() + "-member conversations";
    List<Measurement> rows = new ArrayList<>();
    for (StepResult s : steps) {
      rows.addAll(latencyRows(series, "step", s));
    }
    if (half != null) {
      rows.addAll(latencyRows(series, "half the knee", half));
    }
    String load = "load steps, " + o.members() + "-member (CPU in cores of " + Runtime.getRuntime().availableProcessors()
        + ")";
    for (StepResult s : steps) {
      rows.add(loadRow(load, "step", s));
    }
    if (half != null) {
      rows.add(loadRow(load, "half the knee", half));
    }
    Map<String, String> params = new LinkedHashMap<>();
    params.put("members", String.valueOf(o.members()));
    params.put("conversations", String.valueOf(o.conversations()));
    params.put("sockets", String.valueOf(fleet.size()));
    params.put("rates", o.rates().toString());
    params.put("schedule", o.poisson() ? "Poisson" : "fixed");
    params.put("warmupSeconds", o.warmupSeconds() + " per step (+" + o.jitWarmupSeconds() + " before the first)");
    params.put("stepSeconds", String.valueOf(o.stepSeconds()));
    params.put("kneeSloP99Ms", String.valueOf(o.sloP99Ms()));
    params.put("knee", knee == 0 ? "none" : knee + " msgs/s");
    params.put("rateLimits", "lifted (send/frame rates 100000)");
    List<TargetCheck> targets = new ArrayList<>();
    Histogram last = half == null ? null : half.last();
    if (o.members() == 2) {
      targets.add(check("2-member send→deliver p50 ≤ 1 ms at half the knee", last, 50, 1));
      targets.add(check("2-member send→deliver p99 ≤ 5 ms at half the knee", last, 99, 5));
    } else {
      targets.add(check(o.members() + "-member last-recipient p99 ≤ 15 ms at half the knee", last, 99, 15));
    }
    return new BenchReport(BenchReport.SCHEMA, "send-deliver-" + o.members(),
        "Send→deliver, " + o.members() + "-member conversations, open loop", started, seconds,
        machine, params, rows, targets);
  }

  private List<Measurement> latencyRows(String series, String phase, StepResult s) {
    List<Measurement> rows = new ArrayList<>();
    rows.add(row(series, phase, s.rate(), "ack (persisted)", s.ack()));
    if (o.members() == 2) {
      rows.add(row(series, phase, s.rate(), "recipient", s.last()));
    } else {
      rows.add(row(series, phase, s.rate(), "first recipient", s.first()));
      rows.add(row(series, phase, s.rate(), "median recipient", s.median()));
      rows.add(row(series, phase, s.rate(), "last recipient", s.last()));
    }
    return rows;
  }

  private static Measurement row(String series, String phase, int rate, String what, Histogram h) {
    return new Measurement(series, Reports.labels("phase", phase, "rate", String.valueOf(rate), "latency", what),
        h.getTotalCount(), Latency.percentiles(h));
  }

  private static Measurement loadRow(String series, String phase, StepResult s) {
    Map<String, Double> v = new LinkedHashMap<>();
    v.put("offeredPerSec", (double) s.rate());
    v.put("achievedPerSec", s.achieved());
    v.put("errors", (double) s.errors());
    v.put("incomplete", (double) s.incomplete());
    v.put("lastP99Ms", Latency.ms(s.last().getValueAtPercentile(99)));
    v.put("withinSlo", s.pass() ? 1.0 : 0.0);
    v.putAll(s.cpu());
    return new Measurement(series, Reports.labels("phase", phase, "rate", String.valueOf(s.rate())),
        s.last().getTotalCount(), v);
  }

  private static TargetCheck check(String target, Histogram h, double percentile, double limitMs) {
    if (h == null || h.getTotalCount() == 0) {
      return new TargetCheck(target, null, null);
    }
    double v = Latency.ms(h.getValueAtPercentile(percentile));
    return new TargetCheck(target, String.format(Locale.ROOT, "%.2f ms", v), v <= limitMs);
  }
}

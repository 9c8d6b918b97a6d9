package dev.parley.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Latencies in nanoseconds, recorded from any thread into an HdrHistogram (1 µs to 10 min, 3
 * significant digits) and reported in milliseconds. Never averaged across intervals: one
 * histogram per measured span.
 */
final class Latency {
  private final Recorder recorder = new Recorder(3);
  private final Histogram total = new Histogram(1_000L, 600_000_000_000L, 3);

  void record(long nanos) {
    recorder.recordValue(Math.max(1_000L, Math.min(nanos, 600_000_000_000L)));
  }

  /** Everything recorded since the last call or {@link #reset()}, folded into the total. */
  Histogram take() {
    Histogram h = recorder.getIntervalHistogram();
    total.add(h);
    return h;
  }

  void reset() {
    recorder.reset();
    total.reset();
  }

  /** p50/p90/p99/p99.9/max in ms of everything recorded since the last reset. */
  Histogram total() {
    take();
    return total.copy();
  }

  static Map<String, Double> percentiles(Histogram h) {
    Map<String, Double> v = new LinkedHashMap<>();
    v.put("p50Ms", ms(h.getValueAtPercentile(50)));
    v.put("p90Ms", ms(h.getValueAtPercentile(90)));
    v.put("p99Ms", ms(h.getValueAtPercentile(99)));
    v.put("p999Ms", ms(h.getValueAtPercentile(99.9)));
    v.put("maxMs", ms(h.getMaxValue()));
    return v;
  }

  static double ms(long nanos) {
    return nanos / 1e6;
  }
}

package dev.parley.bench.inprocess;

import java.time.Duration;

/** A warm-up followed by a measured span; counts are taken as a baseline when the warm-up ends. */
final class Window {
  private final long warmUpEnd;
  private final long end;
  private long measuredFrom = -1;

  Window(Duration warmUp, Duration measured) {
    this.warmUpEnd = System.nanoTime() + warmUp.toNanos();
    this.end = warmUpEnd + measured.toNanos();
  }

  boolean over() {
    return System.nanoTime() >= end;
  }

  /** True exactly once: at the first call after the warm-up, when the caller takes its baseline. */
  boolean warmUpJustEnded() {
    if (measuredFrom < 0 && System.nanoTime() >= warmUpEnd) {
      measuredFrom = System.nanoTime();
      return true;
    }
    return false;
  }

  /** Seconds since the warm-up ended. */
  double seconds() {
    return (System.nanoTime() - measuredFrom) / 1e9;
  }
}

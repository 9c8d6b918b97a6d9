package dev.parley.client;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How a dropped socket waits before each reconnect attempt: exponential from {@code initial}, doubling
 * up to {@code max}, each delay drawn uniformly from [delay × (1 − jitter), delay] so that many clients
 * dropped by one node restart do not come back in step. After {@code maxAttempts} failed attempts in a
 * row (0: never give up) the socket closes for good.
 */
public record Backoff(Duration initial, Duration max, double jitter, int maxAttempts) {
  /** 0.5, 1, 2, 4 ... 30 s, half jitter, 20 attempts (about eight minutes). */
  public static final Backoff DEFAULT = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30), 0.5, 20);

  public Backoff {
    if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("need 0 < initial <= max, got " + initial + ", " + max);
    }
    if (jitter < 0 || jitter > 1) {
      throw new IllegalArgumentException("jitter is in [0, 1], got " + jitter);
    }
    if (maxAttempts < 0) {
      throw new IllegalArgumentException("maxAttempts >= 0, got " + maxAttempts);
    }
  }

  /** The longest wait before attempt {@code attempt} (1-based), before jitter. */
  public Duration ceiling(int attempt) {
    long ms = initial.toMillis();
    for (int i = 1; i < attempt && ms < max.toMillis(); i++) {
      ms *= 2;
    }
    return Duration.ofMillis(Math.min(ms, max.toMillis()));
  }

  /** The wait before attempt {@code attempt} (1-based), jittered. */
  public Duration delay(int attempt) {
    long ceiling = ceiling(attempt).toMillis();
    long floor = Math.round(ceiling * (1 - jitter));
    return Duration.ofMillis(floor >= ceiling ? ceiling : ThreadLocalRandom.current().nextLong(floor, ceiling + 1));
  }

  /** Whether attempt {@code attempt} (1-based) may still be made. */
  public boolean allows(int attempt) {
    return maxAttempts == 0 || attempt <= maxAttempts;
  }
}

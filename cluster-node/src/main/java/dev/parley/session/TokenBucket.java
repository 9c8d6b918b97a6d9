package dev.parley.session;

/**
 * A token bucket: {@code burst} tokens, refilled at {@code perSecond}. Not thread-safe; each owner
 * (a session actor, or a user's shared bucket under its own lock) uses it from one thread at a time.
 */
final class TokenBucket {
  private final double perNano;
  private final double burst;
  private double tokens;
  private long last;

  TokenBucket(double perSecond, int burst, long nowNanos) {
    this.perNano = perSecond / 1_000_000_000d;
    this.burst = burst;
    this.tokens = burst;
    this.last = nowNanos;
  }

  /** Takes one token: 0 when granted, else how many milliseconds until one will be available (at least 1). */
  synchronized long take(long nowNanos) {
    tokens = Math.min(burst, tokens + (nowNanos - last) * perNano);
    last = nowNanos;
    if (tokens >= 1) {
      tokens -= 1;
      return 0;
    }
    return Math.max(1, (long) Math.ceil((1 - tokens) / perNano / 1_000_000d));
  }
}

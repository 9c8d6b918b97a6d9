package dev.parley.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.util.ArrayDeque;

/**
 * Slows password guessing: after {@code maxFailures} failed logins for one key (the API uses
 * username and client address) within {@code window}, further logins for that key are refused (429)
 * until the oldest failure ages out, before any password is checked.
 *
 * <p>Atomic under concurrency: a login first {@link #reserve reserves} an attempt, which counts as a
 * failure at once, in one {@code compute} on the key's entry; only a reserved attempt may check the
 * password. So however many logins for one key arrive at the same moment, at most
 * {@code maxFailures} reach the password check within a window. A success forgets the key's
 * failures; an attempt that never reached the check (the hashing pool was full, the database was
 * down) is {@link #release released}.
 *
 * <p>Owns the recent failure times per key, in a Caffeine cache bounded to {@link #MAX_TRACKED} keys
 * whose entries expire {@code window} after their last failure (then they hold nothing that counts).
 * A flood of distinct names cannot grow it past the bound, and cannot flush a real victim either:
 * Caffeine's W-TinyLFU admission keeps the frequently failing (and frequently checked) key and
 * turns away one-off names. What it loses: a restart forgets every failure; when more than
 * {@link #MAX_TRACKED} keys fail within one window, the rarest are forgotten first. Per node and in
 * memory: an attacker spreading guesses over N nodes gets N times the budget.
 */
public final class LoginThrottle {
  /** Keys tracked at most (about 30 MB at 10 failures a key). */
  public static final int MAX_TRACKED = 100_000;

  private final int maxFailures;
  private final long windowNanos;
  private final Cache<String, ArrayDeque<Long>> failures;

  public LoginThrottle(int maxFailures, Duration window) {
    this(maxFailures, window, MAX_TRACKED, Ticker.systemTicker());
  }

  /** {@code ticker} must tell the same time as the {@code nowNanos} the callers pass (System.nanoTime in production). */
  LoginThrottle(int maxFailures, Duration window, int maxTracked, Ticker ticker) {
    this.maxFailures = maxFailures;
    this.windowNanos = window.toNanos();
    this.failures = Caffeine.newBuilder()
        .maximumSize(maxTracked)
        .expireAfterWrite(window)
        .ticker(ticker)
        .executor(Runnable::run) // eviction work on the caller's thread: no pool, deterministic in tests
        .build();
  }

  /** 0 when a login for this name may be tried now, else milliseconds until it may. */
  public long retryAfterMillis(String username, long nowNanos) {
    ArrayDeque<Long> times = failures.getIfPresent(key(username));
    if (times == null) {
      return 0;
    }
    synchronized (times) {
      prune(times, nowNanos);
      if (times.size() < maxFailures) {
        return 0;
      }
      return Math.max(1, (times.peekFirst() + windowNanos - nowNanos) / 1_000_000);
    }
  }

  /**
   * Reserves one login attempt for this key at {@code nowNanos}: 0 when reserved (the attempt now
   * counts as a failure until {@link #succeeded} or {@link #release}), else the milliseconds until an
   * attempt may be reserved again (nothing is reserved). Atomic per key.
   */
  public long reserve(String username, long nowNanos) {
    long[] wait = {0};
    failures.asMap().compute(key(username), (k, times) -> {
      ArrayDeque<Long> t = times != null ? times : new ArrayDeque<>();
      synchronized (t) {
        prune(t, nowNanos);
        if (t.size() >= maxFailures) {
          wait[0] = Math.max(1, (t.peekFirst() + windowNanos - nowNanos) / 1_000_000);
        } else {
          t.addLast(nowNanos);
        }
      }
      return t;
    });
    return wait[0];
  }

  /** Gives back an attempt reserved at {@code reservedAtNanos} that never reached the password check. */
  public void release(String username, long reservedAtNanos) {
    failures.asMap().computeIfPresent(key(username), (k, times) -> {
      synchronized (times) {
        times.removeFirstOccurrence(reservedAtNanos);
        return times.isEmpty() ? null : times;
      }
    });
  }

  public void succeeded(String username) {
    failures.invalidate(key(username));
  }

  /** Keys tracked now (approximate until pending evictions ran). */
  long tracked() {
    failures.cleanUp();
    return failures.estimatedSize();
  }

  private void prune(ArrayDeque<Long> times, long nowNanos) {
    while (!times.isEmpty() && nowNanos - times.peekFirst() > windowNanos) {
      times.pollFirst();
    }
  }

  private static String key(String username) {
    String u = username == null ? "" : username;
    return (u.length() > 128 ? u.substring(0, 128) : u).toLowerCase(java.util.Locale.ROOT);
  }
}

package dev.parley.auth;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slows password guessing: after {@code maxFailures} failed logins for one key (the API uses
 * username and client address) within {@code window}, further logins for that key are refused (429)
 * until the oldest failure ages out, before any password is checked. Per node and in memory: a restart forgets the failures, and an
 * attacker spreading guesses over N nodes gets N times the budget.
 */
public final class LoginThrottle {
  private static final int MAX_TRACKED = 100_000;
  private final int maxFailures;
  private final long windowNanos;
  private final Map<String, ArrayDeque<Long>> failures = new ConcurrentHashMap<>();

  public LoginThrottle(int maxFailures, Duration window) {
    this.maxFailures = maxFailures;
    this.windowNanos = window.toNanos();
  }

  /** 0 when a login for this name may be tried now, else milliseconds until it may. */
  public long retryAfterMillis(String username, long nowNanos) {
    ArrayDeque<Long> times = failures.get(key(username));
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

  public void failed(String username, long nowNanos) {
    if (failures.size() > MAX_TRACKED) {
      failures.clear(); // a flood of distinct names: forget rather than grow without bound
    }
    ArrayDeque<Long> times = failures.computeIfAbsent(key(username), k -> new ArrayDeque<>());
    synchronized (times) {
      prune(times, nowNanos);
      times.addLast(nowNanos);
    }
  }

  public void succeeded(String username) {
    failures.remove(key(username));
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

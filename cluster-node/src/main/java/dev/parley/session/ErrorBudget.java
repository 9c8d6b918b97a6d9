package dev.parley.session;

import dev.parley.protocol.ErrorCode;
import java.time.Duration;
import java.util.ArrayDeque;

/**
 * One socket's error replies in a sliding minute ({@code max-errors-per-minute}): client mistakes
 * and floods count; the server's own state ({@code unavailable}, {@code internal}, {@code overloaded},
 * {@code unknown_outcome}) does not. Owned by one session actor; not thread-safe; lost with the socket.
 */
final class ErrorBudget {
  private static final long MINUTE = Duration.ofMinutes(1).toNanos();
  private final ArrayDeque<Long> errors = new ArrayDeque<>();
  private final int maxPerMinute;

  ErrorBudget(int maxPerMinute) {
    this.maxPerMinute = maxPerMinute;
  }

  /** Counts an error reply with {@code code} at {@code nowNanos}; true once the budget is spent. */
  boolean spent(ErrorCode code, long nowNanos) {
    if (code == ErrorCode.UNAVAILABLE || code == ErrorCode.INTERNAL || code == ErrorCode.OVERLOADED
        || code == ErrorCode.UNKNOWN_OUTCOME) {
      return false;
    }
    errors.addLast(nowNanos);
    while (!errors.isEmpty() && nowNanos - errors.peekFirst() > MINUTE) {
      errors.pollFirst();
    }
    return errors.size() > maxPerMinute;
  }
}

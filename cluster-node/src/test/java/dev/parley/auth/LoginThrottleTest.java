package dev.parley.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The login throttle: the documented limit (also under concurrency), released attempts, expiry after
 * the window, and bounded memory under a name flood.
 */
class LoginThrottleTest {
  private static final Duration WINDOW = Duration.ofMinutes(5);

  private final AtomicLong clock = new AtomicLong(1_000_000_000L);

  private LoginThrottle throttle(int maxTracked) {
    return new LoginThrottle(10, WINDOW, maxTracked, clock::get);
  }

  @Test
  void tenFailuresWithinTheWindowRefuseUntilTheOldestAgesOut() {
    LoginThrottle t = throttle(LoginThrottle.MAX_TRACKED);
    for (int i = 0; i < 9; i++) {
      assertEquals(0, t.reserve("Ann@10.0.0.1", clock.get()));
      clock.addAndGet(Duration.ofSeconds(1).toNanos());
    }
    assertEquals(0, t.retryAfterMillis("ann@10.0.0.1", clock.get()), "nine failures: still allowed");
    assertEquals(0, t.reserve("ann@10.0.0.1", clock.get()));
    long wait = t.retryAfterMillis("ANN@10.0.0.1", clock.get());
    assertTrue(wait > 0 && wait <= WINDOW.toMillis(), "the tenth failure throttles (keys ignore case): " + wait);
    assertEquals(WINDOW.toMillis() - 9_000, wait, "until the oldest failure is a window old");
    clock.addAndGet(Duration.ofMillis(wait + 1).toNanos());
    assertEquals(0, t.retryAfterMillis("ann@10.0.0.1", clock.get()), "the oldest failure aged out");
  }

  @Test
  void concurrentAttemptsForOneKeyReserveAtMostTheLimit() throws Exception {
    LoginThrottle t = throttle(LoginThrottle.MAX_TRACKED);
    int attempts = 500;
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(16);
    java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.atomic.AtomicInteger reserved = new java.util.concurrent.atomic.AtomicInteger();
    java.util.List<java.util.concurrent.Future<?>> all = new java.util.ArrayList<>();
    for (int i = 0; i < attempts; i++) {
      all.add(pool.submit(() -> {
        go.await();
        if (t.reserve("dee@10.0.0.9", clock.get()) == 0) {
          reserved.incrementAndGet();
        }
        return null;
      }));
    }
    go.countDown();
    for (var f : all) {
      f.get();
    }
    pool.shutdown();
    assertEquals(10, reserved.get(), "exactly the limit may go on to check a password, however many race");
    assertTrue(t.retryAfterMillis("dee@10.0.0.9", clock.get()) > 0);
  }

  @Test
  void anAttemptThatNeverReachedThePasswordIsGivenBack() {
    LoginThrottle t = throttle(LoginThrottle.MAX_TRACKED);
    long at = clock.get();
    for (int i = 0; i < 10; i++) {
      assertEquals(0, t.reserve("eve@1", at));
    }
    assertTrue(t.reserve("eve@1", at) > 0, "the budget is spent");
    t.release("eve@1", at);
    assertEquals(0, t.reserve("eve@1", at), "a released attempt can be used again");
    assertTrue(t.reserve("eve@1", at) > 0);
  }

  @Test
  void aSuccessForgetsTheFailuresAndOtherKeysAreUnaffected() {
    LoginThrottle t = throttle(LoginThrottle.MAX_TRACKED);
    for (int i = 0; i < 10; i++) {
      t.reserve("bo@1", clock.get());
    }
    assertTrue(t.retryAfterMillis("bo@1", clock.get()) > 0);
    assertEquals(0, t.retryAfterMillis("bo@2", clock.get()), "another address has its own budget");
    t.succeeded("bo@1");
    assertEquals(0, t.retryAfterMillis("bo@1", clock.get()));
  }

  @Test
  void entriesExpireAWindowAfterTheirLastFailure() {
    LoginThrottle t = throttle(LoginThrottle.MAX_TRACKED);
    t.reserve("cy@1", clock.get());
    assertEquals(1, t.tracked());
    clock.addAndGet(WINDOW.plusSeconds(1).toNanos());
    assertEquals(0, t.tracked(), "nothing that counts is kept past the window");
  }

  @Test
  void aFloodOfDistinctNamesStaysBoundedAndDoesNotFreeTheVictim() {
    LoginThrottle t = throttle(LoginThrottle.MAX_TRACKED);
    String victim = "victim@203.0.113.7";
    for (int i = 0; i < 10; i++) {
      t.reserve(victim, clock.get());
      clock.addAndGet(1_000_000L);
    }
    assertTrue(t.retryAfterMillis(victim, clock.get()) > 0);
    // 200k one-off names (the old map cleared everything past 100k tracked names).
    for (int i = 0; i < 200_000; i++) {
      t.reserve("spray-" + i + "@198.51.100.1", clock.get());
      if (i % 10_000 == 0) {
        assertTrue(t.retryAfterMillis(victim, clock.get()) > 0, "the victim is still throttled after " + i + " names");
      }
    }
    assertTrue(t.tracked() <= LoginThrottle.MAX_TRACKED, "memory stays bounded: " + t.tracked());
    long wait = t.retryAfterMillis(victim, clock.get());
    assertTrue(wait > 0, "the victim's throttle still holds after the flood");
    assertTrue(wait <= WINDOW.toMillis(), "and still lifts within the documented window: " + wait);
  }
}

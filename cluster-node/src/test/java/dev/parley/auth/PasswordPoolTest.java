package dev.parley.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.protocol.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The password pool: bounded queue, per-address cap, coded refusals with a retry hint, slots given back. */
class PasswordPoolTest {

  private static AuthException refusal(CompletableFuture<?> f) throws Exception {
    try {
      f.get(5, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return assertInstanceOf(AuthException.class, e.getCause());
    }
    throw new AssertionError("expected a refusal");
  }

  @Test
  void aFullQueueRefusesAtOnceWithUnavailableAndARetryHint() throws Exception {
    PasswordPool pool = new PasswordPool(1, 2, 0);
    CountDownLatch release = new CountDownLatch(1);
    List<CompletableFuture<String>> held = new ArrayList<>();
    for (int i = 0; i < 3; i++) { // one running, two queued
      held.add(pool.submit("10.0.0." + i, () -> {
        await(release);
        return "done";
      }).toCompletableFuture());
    }
    AuthException busy = refusal(pool.submit("10.0.0.9", () -> "never").toCompletableFuture());
    assertEquals(ErrorCode.UNAVAILABLE, busy.code());
    assertTrue(busy.retryAfterMs() != null && busy.retryAfterMs() > 0, "with a retry hint");
    assertEquals(1, pool.refusedBusy());
    release.countDown();
    for (var f : held) {
      assertEquals("done", f.get(5, TimeUnit.SECONDS), "admitted work is never dropped");
    }
    assertEquals("again", pool.submit("10.0.0.9", () -> "again").toCompletableFuture().get(5, TimeUnit.SECONDS));
    pool.shutdown();
  }

  @Test
  void oneAddressHoldsAtMostItsShareAndOthersStillGetIn() throws Exception {
    PasswordPool pool = new PasswordPool(1, 100, 2);
    CountDownLatch release = new CountDownLatch(1);
    var a = pool.submit("198.51.100.1", () -> await(release)).toCompletableFuture();
    var b = pool.submit("198.51.100.1", () -> await(release)).toCompletableFuture();
    AuthException flooding = refusal(pool.submit("198.51.100.1", () -> "no").toCompletableFuture());
    assertEquals(ErrorCode.RATE_LIMITED, flooding.code());
    assertTrue(flooding.retryAfterMs() > 0);
    var other = pool.submit("203.0.113.5", () -> "yes").toCompletableFuture();
    release.countDown();
    assertEquals("yes", other.get(5, TimeUnit.SECONDS), "another address is not held up by the flood's refusals");
    a.get(5, TimeUnit.SECONDS);
    b.get(5, TimeUnit.SECONDS);
    assertEquals("free again", pool.submit("198.51.100.1", () -> "free again").toCompletableFuture()
        .get(5, TimeUnit.SECONDS), "finished work gives its address's slots back");
    assertEquals(1, pool.refusedPerAddress());
    pool.shutdown();
  }

  @Test
  void failuresOfTheWorkKeepTheirCodeAndFreeTheSlot() throws Exception {
    PasswordPool pool = new PasswordPool(1, 10, 1);
    AuthException e = refusal(pool.submit("192.0.2.1", () -> {
      throw new AuthException(ErrorCode.CONFLICT, "taken");
    }).toCompletableFuture());
    assertEquals(ErrorCode.CONFLICT, e.code());
    assertEquals(ErrorCode.INTERNAL, refusal(pool.submit("192.0.2.1", () -> {
      throw new IllegalStateException("bug");
    }).toCompletableFuture()).code());
    assertEquals("ok", pool.submit("192.0.2.1", () -> "ok").toCompletableFuture().get(5, TimeUnit.SECONDS));
    pool.shutdown();
  }

  private static String await(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
      return "done";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}

package dev.parley.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.protocol.ErrorCode;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Reconnect delays and the error mapping of refused requests. */
class BackoffTest {
  @Test
  void delaysDoubleUpToTheMaximumWithJitterBelowTheCeiling() {
    Backoff b = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(4), 0.5, 5);
    assertEquals(500, b.ceiling(1).toMillis());
    assertEquals(1000, b.ceiling(2).toMillis());
    assertEquals(4000, b.ceiling(4).toMillis());
    assertEquals(4000, b.ceiling(40).toMillis());
    for (int i = 0; i < 200; i++) {
      long d = b.delay(3).toMillis();
      assertTrue(d >= 1000 && d <= 2000, "delay " + d);
    }
    assertTrue(b.allows(5));
    assertFalse(b.allows(6));
    assertTrue(new Backoff(Duration.ofMillis(1), Duration.ofMillis(1), 0, 0).allows(1_000_000));
    assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), 0, 1));
  }

  @Test
  void restErrorsKeepTheServersCodeAndFallBackToTheStatus() {
    ParleyException body = ParleyException.ofHttp(403, "{\"code\":\"forbidden\",\"message\":\"not a member\"}");
    assertEquals(ErrorCode.FORBIDDEN, body.code());
    assertEquals("not a member", body.getMessage());
    ParleyException bare = ParleyException.ofHttp(429, "<html>busy</html>");
    assertEquals(ErrorCode.RATE_LIMITED, bare.code());
    assertEquals(429, bare.httpStatus());
    assertEquals(ErrorCode.BAD_REQUEST, ParleyException.ofHttp(405, "").code());
  }
}

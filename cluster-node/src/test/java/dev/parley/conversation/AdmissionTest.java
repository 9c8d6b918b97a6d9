package dev.parley.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.parley.protocol.ErrorCode;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;
import org.slf4j.helpers.NOPLogger;

/** The admission rules on a hand-driven clock (nanoseconds), and the answers they produce. */
class AdmissionTest {
  static final long MS = 1_000_000L;
  static final AdmissionSettings SETTINGS = new AdmissionSettings(Duration.ofMillis(100), 4, Duration.ofMillis(250));

  Admission admission = new Admission("c1", SETTINGS, NOPLogger.NOP_LOGGER);

  @Test
  void writesTakenUpWithinMaxWaitPass() {
    Object a = new Object();
    Object b = new Object();
    assertTrue(admission.admit(a, 0));
    assertTrue(admission.admit(b, 10 * MS));
    assertFalse(admission.late(a, 50 * MS));
    assertFalse(admission.late(b, 110 * MS), "b waited 100 ms: not more than max-wait");
    assertEquals(0, admission.waiting());
  }

  @Test
  void aFullQueueRefusesOnArrival() {
    for (int i = 0; i < 4; i++) {
      assertTrue(admission.admit(new Object(), i));
    }
    assertFalse(admission.admit(new Object(), 5), "max-queue 4 waiting");
    assertEquals(4, admission.waiting());
  }

  @Test
  void anOldHeadRefusesNewArrivalsUntilItIsTakenUp() {
    Object old = new Object();
    assertTrue(admission.admit(old, 0));
    assertFalse(admission.admit(new Object(), 101 * MS), "the oldest waited past max-wait");
    assertTrue(admission.late(old, 102 * MS), "taken up after max-wait: refused by the entity");
    assertTrue(admission.admit(new Object(), 103 * MS), "nothing old is waiting any more");
  }

  @Test
  void aWriteTakenUpAfterMaxWaitIsLate() {
    Object w = new Object();
    assertTrue(admission.admit(w, 0));
    assertTrue(admission.late(w, 101 * MS));
    assertEquals(0, admission.waiting());
  }

  @Test
  void outOfOrderTakesAreFoundAndTheHeadMovesOn() {
    Object a = new Object();
    Object b = new Object();
    Object c = new Object();
    admission.admit(a, 0);
    admission.admit(b, 1);
    admission.admit(c, 2);
    assertFalse(admission.late(b, 3));
    assertEquals(3, admission.waiting(), "b's slot stays until the head passes it");
    assertFalse(admission.late(a, 4));
    assertEquals(1, admission.waiting());
    assertFalse(admission.late(c, 5));
    assertEquals(0, admission.waiting());
  }

  @Test
  void aLostWriteIsForgottenAfterTwiceMaxWaitAndIsLateIfItShowsUpAfterAll() {
    Object lost = new Object();
    assertTrue(admission.admit(lost, 0));
    // Never taken up (dropped by a restart's stash, say): it blocks arrivals only until forgotten.
    assertFalse(admission.admit(new Object(), 150 * MS));
    Object next = new Object();
    assertTrue(admission.admit(next, 201 * MS));
    assertEquals(1, admission.waiting());
    assertTrue(admission.late(lost, 202 * MS), "an unknown arrival counts as waited too long");
    assertFalse(admission.late(next, 210 * MS));
  }

  @Test
  void theRingGrowsAndWrapsWithoutLosingOrder() {
    Admission big = new Admission("c2", new AdmissionSettings(Duration.ofSeconds(1), 100, Duration.ofSeconds(1)),
        NOPLogger.NOP_LOGGER);
    Object[] ws = new Object[100];
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 40; i++) {
        ws[i] = new Object();
        assertTrue(big.admit(ws[i], 0));
      }
      for (int i = 0; i < 40; i++) {
        assertFalse(big.late(ws[i], 1));
      }
      assertEquals(0, big.waiting());
    }
    for (int i = 0; i < 100; i++) {
      ws[i] = new Object();
      assertTrue(big.admit(ws[i], 0));
    }
    assertFalse(big.admit(new Object(), 0));
    for (int i = 99; i >= 0; i--) {
      assertFalse(big.late(ws[i], 1));
    }
    assertEquals(0, big.waiting());
  }

  @Test
  void aWrappedRingGrowsInArrivalOrder() {
    Admission ring = new Admission("c3", new AdmissionSettings(Duration.ofSeconds(1), 10, Duration.ofSeconds(1)),
        NOPLogger.NOP_LOGGER);
    Object[] w = new Object[7];
    for (int i = 0; i < w.length; i++) {
      w[i] = new Object();
    }
    ring.admit(w[0], 0);
    ring.admit(w[1], 1);
    ring.admit(w[2], 2);
    assertFalse(ring.late(w[0], 3));
    assertFalse(ring.late(w[1], 3));
    ring.admit(w[3], 4); // the last of the first 4 slots
    ring.admit(w[4], 5); // wraps to the first slot
    ring.admit(w[5], 6); // the ring is full now
    ring.admit(w[6], 6); // grows from the wrapped ring, keeping the order
    assertEquals(5, ring.waiting());
    for (int i = 2; i < w.length; i++) {
      assertFalse(ring.late(w[i], 7));
      assertEquals(w.length - 1 - i, ring.waiting(), "taken in order, the head moves on each time");
    }
  }

  @Test
  void theRefusalIsOverloadedWithItsWait() {
    StatusReply<Object> refusal = admission.refusal();
    assertTrue(refusal.isError());
    assertEquals(ErrorCode.OVERLOADED, Rejection.codeOf(refusal.getError()));
    assertEquals(250L, Rejection.retryAfterMsOf(new CompletionException(refusal.getError())));
    assertTrue(Rejection.messageOf(refusal.getError()).contains("nothing was stored"));
  }

  @Test
  void onlyOverloadedCarriesAWait() {
    assertNull(Rejection.retryAfterMsOf(Rejection.of(ErrorCode.FORBIDDEN, "retry after 5 ms").getError()));
    assertNull(Rejection.retryAfterMsOf(new TimeoutException()));
  }

  @Test
  void aWriteThatTimedOutHasAnUnknownOutcomeAndARejectionStaysWhatItIs() {
    assertEquals(ErrorCode.UNKNOWN_OUTCOME, Rejection.codeOf(Rejection.ofWrite(new CompletionException(
        new TimeoutException("ask timed out")))));
    assertEquals(ErrorCode.UNAVAILABLE, Rejection.codeOf(new TimeoutException("a read timed out")));
    assertEquals(ErrorCode.OVERLOADED, Rejection.codeOf(Rejection.ofWrite(admission.refusal().getError())));
  }

  @Test
  void theAskTimeoutMustOutlastTheLongestAdmittedWait() {
    var tooShort = ConfigFactory.parseString("parley.conversation.ask-timeout = 1500ms")
        .withFallback(ConfigFactory.load());
    assertThrows(IllegalArgumentException.class, () -> ConversationSettings.fromConfig(tooShort));
    var queueOverStash = ConfigFactory.parseString("parley.conversation.admission.max-queue = 4096")
        .withFallback(ConfigFactory.load());
    assertThrows(IllegalArgumentException.class, () -> ConversationSettings.fromConfig(queueOverStash));
    ConversationSettings defaults = ConversationSettings.fromConfig(ConfigFactory.load());
    assertEquals(Duration.ofSeconds(1), defaults.admission().maxWait());
    assertTrue(defaults.askTimeout().compareTo(defaults.admission().maxWait().plusSeconds(1)) >= 0);
  }
}

package dev.parley.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KneeSearchTest {
  @Test
  void theKneeIsTheHighestStepThatHeldAndOneStrayFailureDoesNotEndTheSearch() {
    SendDeliver.KneeSearch search = new SendDeliver.KneeSearch();
    assertTrue(search.stepped(10, true));
    assertTrue(search.stepped(25, false), "one failed step: keep going");
    assertTrue(search.stepped(50, true));
    assertTrue(search.stepped(75, false));
    assertFalse(search.stepped(100, false), "two failed steps in a row end it");
    assertEquals(50, search.knee());
  }

  @Test
  void noStepThatHeldMeansNoKnee() {
    SendDeliver.KneeSearch search = new SendDeliver.KneeSearch();
    assertTrue(search.stepped(10, false));
    assertFalse(search.stepped(25, false));
    assertEquals(0, search.knee());
  }
}

package dev.parley.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.protocol.ClientFrame;
import dev.parley.protocol.MessageView;
import dev.parley.protocol.ServerFrame;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The resume bookkeeping: cursors, duplicates, gaps and the frames a reconnect sends. */
class SubscriptionsTest {
  private final Subscriptions subs = new Subscriptions();

  @Test
  void aLiveOnlySubscriptionStartsAtLastSeqAndDropsWhatIsNotNewer() {
    subs.add("c", "r1", null);
    assertNull(subs.cursor("c"));
    subs.subscribed(new ServerFrame.SubscribedFrame("r1", "c", 5, null, false));
    assertEquals(5L, subs.cursor("c"));
    assertFalse(subs.deliver(message("c", 5)), "seq 5 was there before the subscription");
    assertTrue(subs.deliver(message("c", 6)));
    assertFalse(subs.deliver(message("c", 6)), "a replayed duplicate");
    assertTrue(subs.deliver(message("c", 7)));
    assertEquals(2, subs.duplicates());
    assertEquals(List.of(new ClientFrame.SubscribeFrame("c", 7L, "r1")), subs.resumeFrames());
  }

  @Test
  void aGapLeavesTheCursorForTheApplicationToPage() {
    subs.add("c", "r1", 3L);
    subs.subscribed(new ServerFrame.SubscribedFrame("r1", "c", 250, 151L, true));
    assertEquals(3L, subs.cursor("c"), "the gap is not skipped silently");
    assertTrue(subs.deliver(message("c", 151)));
    assertEquals(151L, subs.cursor("c"));
  }

  @Test
  void refsFindTheirSubscriptionAndOtherConversationsPass() {
    subs.add("c", "r1", 2L);
    subs.add("d", "r2", null);
    assertTrue(subs.isSubscriptionRef("r2"));
    assertEquals(new ClientFrame.SubscribeFrame("c", 2L, "r1"), subs.resumeFrame("r1"));
    subs.removeByRef("r1");
    assertNull(subs.resumeFrame("r1"));
    assertFalse(subs.isSubscriptionRef("r1"));
    assertTrue(subs.deliver(message("c", 1)), "not subscribed: nothing to dedup against");
    subs.add("d", "r3", 9L);
    assertFalse(subs.isSubscriptionRef("r2"), "subscribing again replaces the old ref");
    assertEquals(9L, subs.cursors().get("d"));
  }

  private static ServerFrame.MessageFrame message(String conv, long seq) {
    return new ServerFrame.MessageFrame(new MessageView(conv, seq, "m" + seq, "ann", "text " + seq, List.of(),
        Instant.EPOCH, null, false));
  }
}

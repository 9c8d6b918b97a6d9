package dev.parley.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ReadPositionsTest {

  @Test
  void positionsOnlyMoveForwardAndReadingImpliesDelivery() {
    ReadPositions p = new ReadPositions();
    p.track("ann", 0);
    assertTrue(p.markRead("ann", 5));
    assertFalse(p.markRead("ann", 3));
    assertEquals(5, p.readOf("ann"));
    assertEquals(5, p.deliveredOf("ann"));
    assertTrue(p.markDelivered("ann", 8));
    assertEquals(5, p.readOf("ann"));
    assertFalse(p.markRead("nobody", 3), "unknown members are ignored");
  }

  @Test
  void dirtyPositionsAreHandedOverOnceWithTheirLatestValues() {
    ReadPositions p = new ReadPositions();
    p.track("ann", 0);
    p.track("bo", 0);
    p.markRead("ann", 2);
    p.markRead("ann", 4);
    p.markDelivered("bo", 3);
    Map<String, PositionFlush.Moved> dirty = new java.util.HashMap<>();
    p.drainDirty().forEach(d -> dirty.put(d.user(), d));
    assertEquals(2, dirty.size());
    assertEquals(4, dirty.get("ann").read());
    assertEquals(3, dirty.get("bo").delivered());
    assertEquals(0, p.drainDirty().size());
  }

  @Test
  void aRestoreRaisesPositionsWithoutMakingThemDirtyAndCountsDepartedViews() {
    ReadPositions p = new ReadPositions();
    p.track("ann", 1);
    p.restore(Map.of("ann", new long[] {5, 7}, "gone", new long[] {4, 4}));
    assertEquals(5, p.readOf("ann"));
    assertEquals(7, p.deliveredOf("ann"));
    assertEquals(0, p.dirtyCount(), "restored positions are already stored");
    assertEquals(2, p.viewsAtLeast(4), "ann and the departed reader viewed seq 4");
    assertEquals(1, p.readersAtLeast(4));
    p.markRead("ann", 6);
    PositionFlush.Moved d = p.drainDirty().get(0);
    assertEquals(5, d.flushedRead(), "the next batch starts after what is stored");
  }

  @Test
  void aFailedHandOverMakesTheMembersDirtyAgain() {
    ReadPositions p = new ReadPositions();
    p.track("ann", 0);
    p.markRead("ann", 3);
    var batch = p.drainDirty();
    p.redirty(batch);
    assertEquals(1, p.dirtyCount());
    p.flushed(p.drainDirty());
    p.markRead("ann", 4);
    assertEquals(3, p.drainDirty().get(0).flushedRead());
  }

  @Test
  void viewsKeepDepartedReadersWhileSeenCountsDropThem() {
    ReadPositions p = new ReadPositions();
    for (String m : new String[] {"a", "b", "c"}) {
      p.track(m, 0);
      p.markRead(m, 10);
    }
    p.untrack("b");
    assertEquals(2, p.readersAtLeast(10));
    assertEquals(3, p.viewsAtLeast(10));
  }

  @Test
  void retainOnlyKeepsPresentMembersAtLeastAtTheirFloorAndDropsTheRest() {
    ReadPositions p = new ReadPositions();
    p.track("ann", 0);
    p.track("gone", 0);
    p.markRead("ann", 7);
    p.markRead("gone", 7);
    p.retainOnly(Map.of("ann", 3L, "new", 2L));
    assertEquals(7, p.readOf("ann"), "what this actor knew survives a restart in place");
    assertEquals(2, p.readOf("new"));
    assertEquals(0, p.readOf("gone"));
    assertEquals(1, p.readersAtLeast(7));
  }
}

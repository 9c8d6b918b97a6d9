package dev.parley.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SparseFenwickTest {

  @Test
  void countsMatchABruteForceTallyWhilePositionsMoveAndCapacityGrows() {
    Random random = new Random(42);
    int members = 300;
    long[] positions = new long[members];
    SparseFenwick tree = new SparseFenwick();
    for (int i = 0; i < members; i++) {
      tree.add(0, 1);
    }
    long lastSeq = 0;
    for (int step = 0; step < 20_000; step++) {
      lastSeq += random.nextInt(3); // grows well past the initial capacity of 1024
      int m = random.nextInt(members);
      long to = positions[m] + random.nextInt((int) Math.max(1, lastSeq - positions[m] + 1));
      tree.move(positions[m], to);
      positions[m] = to;
      if (step % 97 == 0) {
        for (long seq : new long[] {0, 1, lastSeq / 3, lastSeq / 2, lastSeq, lastSeq + 1}) {
          assertEquals(bruteAtLeast(positions, seq), tree.countAtLeast(seq), "count >= " + seq + " at step " + step);
        }
      }
    }
    assertEquals(members, tree.total());
  }

  @Test
  void removingHoldersDropsThemFromCounts() {
    SparseFenwick tree = new SparseFenwick();
    tree.add(5, 1);
    tree.add(7, 1);
    tree.add(5_000_000, 1);
    assertEquals(3, tree.countAtLeast(5));
    assertEquals(2, tree.countAtLeast(6));
    assertEquals(1, tree.countAtLeast(4_999_999));
    tree.add(7, -1);
    assertEquals(1, tree.countAtLeast(6));
    assertEquals(2, tree.countAtMost(5_000_000));
  }

  private static int bruteAtLeast(long[] positions, long seq) {
    int n = 0;
    for (long p : positions) {
      if (p >= seq) {
        n++;
      }
    }
    return n;
  }
}

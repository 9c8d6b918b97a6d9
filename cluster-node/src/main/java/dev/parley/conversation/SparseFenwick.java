package dev.parley.conversation;

import java.util.HashMap;

/**
 * Counts how many members hold each read (or delivered) position, and answers "how many are at
 * or past seq" in O(log seq) without looping over members.
 *
 * <p>A Fenwick tree indexed by position whose nodes are stored sparsely, so memory grows with the
 * number of distinct positions held (members × log seq), not with the conversation's length: a
 * channel with ten million messages and a thousand readers keeps a few tens of thousands of
 * nodes. The capacity doubles on demand; doubling only has to seed the new root with the total,
 * because every other new node covers positions no one holds yet.
 *
 * <p>Not thread-safe: owned by one conversation actor.
 */
final class SparseFenwick {
  private final HashMap<Long, Integer> nodes = new HashMap<>();
  private long capacity = 1024;
  private int total;

  /** Records {@code delta} more holders of {@code position} (negative to remove). */
  void add(long position, int delta) {
    if (position < 0) {
      throw new IllegalArgumentException("position must be >= 0: " + position);
    }
    long index = position + 1;
    while (index > capacity) {
      long root = capacity * 2;
      if (total != 0) {
        nodes.put(root, total);
      }
      capacity = root;
    }
    for (long i = index; i <= capacity; i += i & -i) {
      nodes.merge(i, delta, (a, b) -> a + b == 0 ? null : a + b);
    }
    total += delta;
  }

  /** Moves one holder from {@code from} to {@code to}. */
  void move(long from, long to) {
    if (from != to) {
      add(from, -1);
      add(to, 1);
    }
  }

  /** How many holders are at a position &lt;= {@code position}. */
  int countAtMost(long position) {
    if (position < 0) {
      return 0;
    }
    long index = Math.min(position + 1, capacity);
    int sum = 0;
    for (long i = index; i > 0; i -= i & -i) {
      Integer v = nodes.get(i);
      if (v != null) {
        sum += v;
      }
    }
    return sum;
  }

  /** How many holders are at a position &gt;= {@code position}. */
  int countAtLeast(long position) {
    return total - countAtMost(position - 1);
  }

  int total() {
    return total;
  }
}

package dev.parley.conversation;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Members' read and delivered positions in one conversation, held in the conversation actor's
 * memory. Marking read or delivered is an O(1) max() plus an O(log seq) index update; "how many
 * have read seq" is O(log seq) through {@link SparseFenwick}, never a loop over members.
 *
 * <p>Positions are deliberately not journal events (a 1000-member group would otherwise write a
 * journal row per read). They are remembered only here: what is lost when the node dies is every
 * advance not yet handed to the {@link PositionSink}. Positions changed since the last hand-off are
 * tracked in {@link #drainDirty()} for that sink. On recovery the actor rebuilds a floor for each
 * member from the journal (the last message they posted), a position they have really reached.
 *
 * <p>Positions here are explicit: what a member read or posted. A member who joins starts at 0, so
 * they are never counted as a reader of messages from before they joined unless they read them; the
 * entity adds the join seq as a floor when it counts their unread messages. Channel views survive a
 * viewer leaving: {@link #viewsAtLeast(long)} also counts the positions departed members had reached.
 *
 * <p>Not thread-safe: owned by one conversation actor.
 */
final class ReadPositions {
  private final Map<String, long[]> byMember = new HashMap<>();
  private final SparseFenwick read = new SparseFenwick();
  private final SparseFenwick delivered = new SparseFenwick();
  private final SparseFenwick departed = new SparseFenwick();
  private final Set<String> dirty = new HashSet<>();
  /** Positions known to be stored (restored from, or acknowledged by, the position sink): {read, delivered}. */
  private final Map<String, long[]> flushed = new HashMap<>();
  /** Departed members already counted in {@link #departed}, so a restore never counts them twice. */
  private final Map<String, Long> departedAt = new HashMap<>();

  private static final int READ = 0;
  private static final int DELIVERED = 1;

  /** Starts tracking a member at {@code floor} (read and delivered), or raises an existing member's floor. */
  void track(String member, long floor) {
    long[] p = byMember.get(member);
    if (p == null) {
      Long gone = departedAt.remove(member);
      if (gone != null) {
        departed.add(gone, -1);
      }
      byMember.put(member, new long[] {floor, floor});
      read.add(floor, 1);
      delivered.add(floor, 1);
    } else {
      advance(member, p, floor, true);
    }
  }

  /** Forgets a member who left; their position no longer counts towards "seen by", but still towards views. */
  void untrack(String member) {
    long[] p = byMember.remove(member);
    if (p != null) {
      read.add(p[READ], -1);
      delivered.add(p[DELIVERED], -1);
      if (p[READ] > 0 && !departedAt.containsKey(member)) {
        departedAt.put(member, p[READ]);
        departed.add(p[READ], 1);
      }
      dirty.remove(member);
    }
  }

  /**
   * After recovery: keeps exactly the given members, each at least at its floor. Positions of
   * members still present survive (a restart inside the same actor keeps what it knew); those of
   * members no longer present are dropped.
   */
  void retainOnly(Map<String, Long> floors) {
    for (String m : Set.copyOf(byMember.keySet())) {
      if (!floors.containsKey(m)) {
        untrack(m);
      }
    }
    floors.forEach(this::track);
  }

  /**
   * Raises a member's read position to {@code upTo} (reading implies delivery). Lower values are
   * ignored: positions only move forward. Returns whether anything changed.
   */
  boolean markRead(String member, long upTo) {
    long[] p = byMember.get(member);
    return p != null && advance(member, p, upTo, true);
  }

  /** Raises a member's delivered position to {@code upTo}; lower values are ignored. */
  boolean markDelivered(String member, long upTo) {
    long[] p = byMember.get(member);
    return p != null && advance(member, p, upTo, false);
  }

  private boolean advance(String member, long[] p, long upTo, boolean alsoRead) {
    boolean changed = false;
    if (alsoRead && upTo > p[READ]) {
      read.move(p[READ], upTo);
      p[READ] = upTo;
      changed = true;
    }
    if (upTo > p[DELIVERED]) {
      delivered.move(p[DELIVERED], upTo);
      p[DELIVERED] = upTo;
      changed = true;
    }
    if (changed) {
      dirty.add(member);
    }
    return changed;
  }

  long readOf(String member) {
    long[] p = byMember.get(member);
    return p == null ? 0 : p[READ];
  }

  long deliveredOf(String member) {
    long[] p = byMember.get(member);
    return p == null ? 0 : p[DELIVERED];
  }

  /** Members whose read position is at or past {@code seq}. */
  int readersAtLeast(long seq) {
    return read.countAtLeast(seq);
  }

  /** Views of {@code seq} in a channel: members at or past it, plus departed members who had reached it. */
  int viewsAtLeast(long seq) {
    return read.countAtLeast(seq) + departed.countAtLeast(seq);
  }

  /** Members whose delivered position is at or past {@code seq}. */
  int deliveredAtLeast(long seq) {
    return delivered.countAtLeast(seq);
  }

  /** Hands out the dirty members (and forgets that they are dirty until they move again or {@link #redirty}). */
  List<PositionFlush.Moved> drainDirty() {
    List<PositionFlush.Moved> out = new ArrayList<>(dirty.size());
    for (String m : dirty) {
      long[] p = byMember.get(m);
      long[] f = flushed.getOrDefault(m, NOTHING);
      out.add(new PositionFlush.Moved(m, p[READ], p[DELIVERED], f[READ], f[DELIVERED]));
    }
    dirty.clear();
    return out;
  }

  /** The sink stored these positions: later batches start their per-message rows after them. */
  void flushed(List<PositionFlush.Moved> stored) {
    for (PositionFlush.Moved d : stored) {
      flushed.merge(d.user(), new long[] {d.read(), d.delivered()},
          (a, b) -> new long[] {Math.max(a[READ], b[READ]), Math.max(a[DELIVERED], b[DELIVERED])});
    }
  }

  /** The sink failed or refused these: they are dirty again (their current, maybe newer, positions go next time). */
  void redirty(List<PositionFlush.Moved> failed) {
    for (PositionFlush.Moved d : failed) {
      if (byMember.containsKey(d.user())) {
        dirty.add(d.user());
      }
    }
  }

  /**
   * At start-up, after {@link #retainOnly}: raises members to their stored positions and counts
   * departed members' stored reads as channel views. Nothing becomes dirty: it is all stored.
   */
  void restore(Map<String, long[]> stored) {
    stored.forEach((user, s) -> {
      long[] p = byMember.get(user);
      if (p != null) {
        boolean wasDirty = dirty.contains(user);
        advance(user, p, s[READ], true);
        if (s[DELIVERED] > p[DELIVERED]) {
          delivered.move(p[DELIVERED], s[DELIVERED]);
          p[DELIVERED] = s[DELIVERED];
        }
        if (!wasDirty && p[READ] <= s[READ] && p[DELIVERED] <= s[DELIVERED]) {
          dirty.remove(user);
        }
      } else if (s[READ] > 0 && !departedAt.containsKey(user)) {
        departedAt.put(user, s[READ]);
        departed.add(s[READ], 1);
      }
      flushed.merge(user, new long[] {s[READ], s[DELIVERED]},
          (a, b) -> new long[] {Math.max(a[READ], b[READ]), Math.max(a[DELIVERED], b[DELIVERED])});
    });
  }

  private static final long[] NOTHING = {0, 0};

  int dirtyCount() {
    return dirty.size();
  }
}

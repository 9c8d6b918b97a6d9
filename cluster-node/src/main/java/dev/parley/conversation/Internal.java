package dev.parley.conversation;

import dev.parley.conversation.ConversationState.Active;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The messages a conversation sends itself: timers, answers of its ports piped back to it, death
 * watch. Never sent by another component and never crossing a node; losing one (a stop in between)
 * loses nothing the next start does not redo. Each says what it does to the parts held outside the
 * journal ({@link LiveFeed}, {@link WriteBehind}); none changes the state or replies.
 */
sealed interface Internal extends ConversationEntity.Command {

  /** Runs this message; true when the commands waiting for the stored read positions may now run. */
  boolean handle(Active s, LiveFeed live, WriteBehind writeBehind);

  /** The messages without data: timers (each its own timer key) and the cache's answers. */
  enum Signal implements Internal {
    /** Timer: expire typing signals and publish coalesced counts. */
    LIVE_TICK,
    /** Timer: hand the moved read positions to the position sink. */
    FLUSH_TICK,
    /** Timer: ask the position sink for the stored positions again, after a failure. */
    LOAD_POSITIONS,
    /** A cache write failed: rewrite the cached window until it succeeds. */
    CACHE_WRITE_FAILED,
    /** Timer: rewrite the cached window after a failed write. */
    CACHE_REPAIR,
    /** A cache rewrite succeeded. */
    CACHE_REPAIRED;

    @Override
    public boolean handle(Active s, LiveFeed live, WriteBehind writeBehind) {
      switch (this) {
        case LIVE_TICK -> live.tick(s);
        case FLUSH_TICK -> writeBehind.flush(s);
        case LOAD_POSITIONS -> writeBehind.loadPositions();
        case CACHE_WRITE_FAILED -> writeBehind.cacheWriteFailed();
        case CACHE_REPAIR -> writeBehind.repairCache(s);
        case CACHE_REPAIRED -> writeBehind.cacheRepaired();
      }
      return false;
    }
  }

  /** A subscribed hub's node is gone (death watch): its members go offline here. */
  record HubGone(ActorRef<Fanout> hub) implements Internal {
    @Override
    public boolean handle(Active s, LiveFeed live, WriteBehind writeBehind) {
      live.removeHub(s, hub);
      return false;
    }
  }

  /** The position sink stored ({@code ok}) or failed to store a flush of these members. */
  record FlushDone(List<PositionFlush.Moved> entries, boolean ok) implements Internal {
    @Override
    public boolean handle(Active s, LiveFeed live, WriteBehind writeBehind) {
      writeBehind.flushDone(s, this);
      return false;
    }
  }

  /** The stored positions arrived (or could not be read: {@code failure} non-null). */
  record PositionsLoaded(Map<String, long[]> stored, Throwable failure) implements Internal {
    @Override
    public boolean handle(Active s, LiveFeed live, WriteBehind writeBehind) {
      return writeBehind.restore(this);
    }
  }
}

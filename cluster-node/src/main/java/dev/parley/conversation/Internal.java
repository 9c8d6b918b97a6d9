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

  /** Timer: expire typing signals and publish coalesced counts. */
  enum LiveTick implements Internal {
    INSTANCE;

    @Override
    public boolean handle(Active s, LiveFeed live, WriteBehind writeBehind) {
      live.tick(s);
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

  /** Timer: hand the moved read positions to the position sink. */
  enum FlushTick implements Internal {
    INSTANCE;

    @Override
    public boolean handle(Active s, LiveFeed live, WriteBehind writeBehind) {
      writeBehind.flush(s);
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

  /** Timer: ask the position sink for the stored positions (again, after a failure). */
  enum LoadPositions implements Internal {
    INSTANCE;

    @Override
    public boolean handle(Active s, LiveFeed live, WriteBehind writeBehind) {
      writeBehind.loadPositions();
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

  /** A cache write failed: rewrite the cached window until it succeeds. */
  enum CacheWriteFailed implements Internal {
    INSTANCE;

    @Override
    public boolean handle(Active s, LiveFeed live, WriteBehind writeBehind) {
      writeBehind.cacheWriteFailed();
      return false;
    }
  }

  /** Timer: rewrite the cached window after a failed write. */
  enum CacheRepair implements Internal {
    INSTANCE;

    @Override
    public boolean handle(Active s, LiveFeed live, WriteBehind writeBehind) {
      writeBehind.repairCache(s);
      return false;
    }
  }

  /** A cache repair succeeded. */
  enum CacheRepaired implements Internal {
    INSTANCE;

    @Override
    public boolean handle(Active s, LiveFeed live, WriteBehind writeBehind) {
      writeBehind.cacheRepaired();
      return false;
    }
  }
}

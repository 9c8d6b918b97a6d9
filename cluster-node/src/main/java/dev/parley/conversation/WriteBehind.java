package dev.parley.conversation;

import dev.parley.conversation.ConversationEntity.Command;
import dev.parley.conversation.ConversationEntity.Message;
import dev.parley.conversation.ConversationState.Active;
import dev.parley.conversation.Internal.FlushDone;
import dev.parley.conversation.Internal.PositionsLoaded;
import dev.parley.conversation.Internal.Signal;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.slf4j.LoggerFactory;

/**
 * What one conversation keeps outside its journal and writes behind it, and when: its members' read
 * positions ({@link ReadPositions}, handed to the {@link PositionSink} every flush interval, at once
 * when {@code flushMax} members moved, and at stop; restored from it at start) and its entry in the
 * recent-message cache ({@link WindowCache}, written through after each persist, rewritten every
 * repair interval after a failed write until a rewrite succeeds).
 *
 * <p>What a hard crash loses: the positions that moved since the last successful flush (at most one
 * flush interval), and nothing of the cache that the next start does not rewrite.
 *
 * <p>Owned by one conversation actor and called only from it; the ports' answers come back as
 * {@link Internal} messages.
 */
final class WriteBehind {
  private final String conversationId;
  private final ActorContext<Command> ctx;
  private final ActorRef<Command> self;
  private final TimerScheduler<Command> timers;
  private final PositionSink sink;
  private final WindowCache cache;
  private final WriteBehindSettings settings;
  private final Clock clock;
  private final ReadPositions positions = new ReadPositions();
  /** False from recovery until the stored positions are restored; commands wait in the stash meanwhile. */
  private boolean positionsLoaded = true;
  private boolean flushInFlight;
  private boolean cacheStale;

  WriteBehind(String conversationId, ActorContext<Command> ctx, TimerScheduler<Command> timers, PositionSink sink,
      WindowCache cache, WriteBehindSettings settings, Clock clock) {
    this.conversationId = conversationId;
    this.ctx = ctx;
    this.self = ctx.getSelf();
    this.timers = timers;
    this.sink = sink;
    this.cache = cache;
    this.settings = settings;
    this.clock = clock;
  }

  ReadPositions positions() {
    return positions;
  }

  boolean positionsLoaded() {
    return positionsLoaded;
  }

  /**
   * After recovery. Also runs after a restart-with-backoff in this same instance: positions of
   * members still present are kept (and raised to their floor), those of departed ones dropped.
   * The cached entry may be stale (a failed write whose repair the previous incarnation did not
   * live to make): it is rewritten.
   */
  void recovered(ConversationState state) {
    Map<String, Long> floors = new HashMap<>();
    if (state instanceof Active a) {
      a.members().forEach((u, m) -> floors.put(u, m.lastPostedSeq()));
    }
    positions.retainOnly(floors);
    if (state instanceof Active a) {
      positionsLoaded = false;
      loadPositions();
      cacheStale = true;
      write(cache.rewrite(conversationId, a.recent(), a.lastSeq()), true);
    }
  }

  // -- read positions ---------------------------------------------------------------------------

  void loadPositions() {
    ctx.pipeToSelf(sink.positionsOf(conversationId), PositionsLoaded::new);
  }

  /** Restores the stored positions; false when they could not be read (retried in a second, commands keep waiting). */
  boolean restore(PositionsLoaded c) {
    if (c.failure() != null) {
      ctx.getLog().warn("Conversation {}: cannot restore read positions yet ({}); commands wait, retrying in 1s",
          conversationId, c.failure().toString());
      timers.startSingleTimer(Signal.LOAD_POSITIONS, Duration.ofSeconds(1));
      return false;
    }
    positions.restore(c.stored());
    positionsLoaded = true;
    return true;
  }

  /** After positions moved: flush now when many members are dirty, else within the flush interval. */
  void positionsChanged(Active s) {
    int dirty = positions.dirtyCount();
    if (dirty == 0) {
      return;
    }
    if (dirty >= settings.flushMax() && !flushInFlight) {
      flush(s);
    } else if (!timers.isTimerActive(Signal.FLUSH_TICK)) {
      timers.startSingleTimer(Signal.FLUSH_TICK, settings.flushInterval());
    }
  }

  /** Hands the moved positions to the sink; at most one flush of this conversation is in flight. */
  void flush(Active s) {
    if (flushInFlight) {
      return;
    }
    List<PositionFlush.Moved> moved = positions.drainDirty();
    if (moved.isEmpty()) {
      return;
    }
    flushInFlight = true;
    ctx.pipeToSelf(sink.flush(flushOf(s, moved)), (done, failure) -> {
      if (failure != null) {
        ctx.getLog().warn("Conversation {}: receipt flush failed ({}); kept for the next flush",
            conversationId, failure.toString());
      }
      return new FlushDone(moved, failure == null);
    });
  }

  /** Stored positions are the new baseline; failed ones are dirty again. */
  void flushDone(Active s, FlushDone c) {
    flushInFlight = false;
    if (c.ok()) {
      positions.flushed(c.entries());
    } else {
      positions.redirty(c.entries());
    }
    positionsChanged(s);
  }

  /** On stop: whatever moved goes to the sink, which outlives this actor (its answer is not awaited). */
  void flushOnStop(Active s) {
    List<PositionFlush.Moved> moved = positions.drainDirty();
    if (!moved.isEmpty()) {
      sink.flush(flushOf(s, moved)).whenComplete((done, failure) -> {
        if (failure != null) {
          LoggerFactory.getLogger(ConversationEntity.class).error(
              "Conversation {}: read positions of {} members lost at stop: {}", conversationId, moved.size(),
              failure.toString());
        }
      });
    }
  }

  private PositionFlush flushOf(Active s, List<PositionFlush.Moved> moved) {
    return new PositionFlush(conversationId, s.type(), clock.instant(), moved, new FlushWindow(s, positions));
  }

  /** The window as the sink sees it during the flush call. */
  private record FlushWindow(Active s, ReadPositions positions) implements PositionFlush.Window {
    @Override
    public long firstSeq() {
      return s.firstSeqInWindow();
    }

    @Override
    public Message messageAt(long seq) {
      return s.messageAt(seq);
    }

    @Override
    public long viewsOf(long seq) {
      return Reads.viewsOf(s, positions, seq);
    }
  }

  // -- cache ------------------------------------------------------------------------------------

  /** A message was persisted: append it, or rewrite the whole window while an earlier write is unrepaired. */
  void messagePosted(Active st, Message m) {
    write(cacheStale ? cache.rewrite(conversationId, st.recent(), st.lastSeq()) : cache.posted(conversationId, m),
        cacheStale);
  }

  /** An edit or deletion was persisted: the cached window is rewritten. */
  void windowChanged(Active st) {
    write(cache.rewrite(conversationId, st.recent(), st.lastSeq()), cacheStale);
  }

  void cacheWriteFailed() {
    cacheStale = true;
    if (!timers.isTimerActive(Signal.CACHE_REPAIR)) {
      timers.startSingleTimer(Signal.CACHE_REPAIR, settings.cacheRepairInterval());
    }
  }

  void repairCache(Active s) {
    if (cacheStale) {
      write(cache.rewrite(conversationId, s.recent(), s.lastSeq()), true);
    }
  }

  void cacheRepaired() {
    cacheStale = false;
  }

  /** Tells this actor when a cache write failed (or a repair succeeded); never blocks. */
  private void write(CompletionStage<Void> write, boolean repair) {
    write.whenComplete((v, failure) -> {
      if (failure != null) {
        self.tell(Signal.CACHE_WRITE_FAILED);
      } else if (repair) {
        self.tell(Signal.CACHE_REPAIRED);
      }
    });
  }
}

package dev.parley.conversation;

import dev.parley.conversation.ConversationEntity.Command;
import dev.parley.conversation.ConversationEntity.WriteCommand;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;

/**
 * Admission control of one conversation's writes (send, edit, delete): which of them may wait for
 * the entity, and which are refused with {@code overloaded} before anything is persisted.
 *
 * <p>A conversation persists one event at a time; while a persist is in flight, pekko stashes every
 * command that arrives. Offered more writes than it can persist, the stash would grow until pekko
 * drops commands unanswered, and the writes it keeps would be persisted long after their askers
 * gave up and told the client {@code unavailable}. Instead, the {@link Gate} in front of the entity
 * records when each write arrives (a ring of command and arrival time: no allocation per write
 * once the ring has grown to the burst size) and refuses a new one at once when {@code max-queue} writes are waiting
 * or the oldest has waited longer than {@code max-wait}; and the entity refuses, instead of
 * persisting, a write that it takes up after more than {@code max-wait} (see {@link #late}). So
 * every write is decided within {@code max-wait} of its arrival, and the caller's ask timeout is
 * longer than that (see {@link ConversationSettings}).
 *
 * <p>Owned by one entity incarnation and used only on its thread; lost (with the stash) when the
 * entity stops. A write whose arrival was forgotten (it waited more than twice {@code max-wait},
 * or its message was dropped by a restart's stash) is treated as late.
 */
final class Admission {
  private static final int INITIAL_CAPACITY = 4;
  private static final Object[] NONE = {};
  private static final long[] NO_TIMES = {};
  private static final long LOG_EVERY_NANOS = 10_000_000_000L;

  private final String conversationId;
  private final long maxWaitNanos;
  private final long forgetNanos;
  private final int maxQueue;
  private final long retryAfterMs;
  private final Logger log;

  /**
   * The writes waiting, oldest at {@code head}; a null slot is one taken up out of order. Allocated
   * at the first write and grown by doubling up to {@code max-queue}, never shrunk (an idle
   * conversation holds none; one that had a burst keeps its slots until it passivates).
   */
  private Object[] waiting = NONE;
  private long[] arrived = NO_TIMES;
  private int head;
  private int count;

  private long refusedSinceLog;
  private long lastLog = Long.MIN_VALUE;

  Admission(String conversationId, AdmissionSettings settings, Logger log) {
    this.conversationId = conversationId;
    this.maxWaitNanos = settings.maxWait().toNanos();
    this.forgetNanos = 2 * maxWaitNanos;
    this.maxQueue = settings.maxQueue();
    this.retryAfterMs = settings.retryAfter().toMillis();
    this.log = log;
  }

  /** Whether the write arriving now may wait; if so it is recorded. False: refuse it with {@link #refusal()}. */
  boolean admit(Object write, long now) {
    trim(now);
    if (count >= maxQueue || (count > 0 && now - arrived[head] > maxWaitNanos)) {
      return false;
    }
    if (count == waiting.length) {
      grow();
    }
    int slot = (head + count) % waiting.length;
    waiting[slot] = write;
    arrived[slot] = now;
    count++;
    return true;
  }

  /**
   * The entity takes up {@code write}: forgets it, and says whether it waited longer than
   * {@code max-wait} (or was forgotten), in which case the entity refuses it with {@link #refusal()}.
   */
  boolean late(Object write, long now) {
    int len = waiting.length;
    for (int i = 0; i < count; i++) {
      int slot = (head + i) % len;
      if (waiting[slot] == write) {
        waiting[slot] = null;
        boolean late = now - arrived[slot] > maxWaitNanos;
        trim(now);
        return late;
      }
    }
    return true;
  }

  /** Writes waiting now (tests and logs). */
  int waiting() {
    return count;
  }

  /** The answer to a refused write (counted for the log): nothing was stored, retry after the configured wait. */
  <R> org.apache.pekko.pattern.StatusReply<R> refusal() {
    refused(System.nanoTime());
    return Rejection.overloaded("conversation " + conversationId + " has too many messages waiting; nothing was stored",
        retryAfterMs);
  }

  /** Drops slots taken up out of order at the head, and writes that waited past forgetting. */
  private void trim(long now) {
    while (count > 0 && (waiting[head] == null || now - arrived[head] > forgetNanos)) {
      waiting[head] = null;
      head = (head + 1) % waiting.length;
      count--;
    }
    if (count == 0) {
      head = 0;
    }
  }

  private void grow() {
    int capacity = Math.min(Math.max(INITIAL_CAPACITY, waiting.length * 2), maxQueue);
    Object[] w = new Object[capacity];
    long[] a = new long[capacity];
    for (int i = 0; i < count; i++) {
      int slot = (head + i) % waiting.length;
      w[i] = waiting[slot];
      a[i] = arrived[slot];
    }
    waiting = w;
    arrived = a;
    head = 0;
  }

  /** Counts a refusal; logs at most one line per 10 s while refusing. */
  private void refused(long now) {
    refusedSinceLog++;
    if (lastLog == Long.MIN_VALUE || now - lastLog >= LOG_EVERY_NANOS) {
      log.warn("conversation {} is overloaded: refused {} writes since the last report ({} waiting)",
          conversationId, refusedSinceLog, count);
      refusedSinceLog = 0;
      lastLog = now;
    }
  }

  /** The entity behind its gate: every write passes {@link #admit} on arrival, before the stash. */
  static Behavior<Command> guard(Admission admission, Behavior<Command> entity) {
    return Behaviors.intercept(() -> new Gate(admission), entity);
  }

  /**
   * Sees every command as it leaves the mailbox, before pekko stashes it behind a persist: a write
   * that may not wait is answered {@code overloaded} here and never reaches the entity.
   */
  private static final class Gate extends BehaviorInterceptor<Command, Command> {
    private final Admission admission;

    Gate(Admission admission) {
      super(Command.class);
      this.admission = admission;
    }

    @Override
    public Behavior<Command> aroundReceive(TypedActorContext<Command> ctx, Command msg,
        BehaviorInterceptor.ReceiveTarget<Command> target) {
      if (msg instanceof WriteCommand<?> w && !admission.admit(w, System.nanoTime())) {
        refuse(w);
        return Behaviors.same();
      }
      return target.apply(ctx, msg);
    }

    private <R> void refuse(WriteCommand<R> w) {
      w.replyTo().tell(admission.refusal());
    }
  }
}

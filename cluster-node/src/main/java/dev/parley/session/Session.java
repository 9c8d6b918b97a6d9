package dev.parley.session;

import dev.parley.auth.SessionStore;
import dev.parley.conversation.ConversationEntity;
import dev.parley.conversation.ConversationEntity.HistorySlice;
import dev.parley.conversation.ConversationEntity.Message;
import dev.parley.conversation.Rejection;
import dev.parley.protocol.ClientFrame;
import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.HistoryPage;
import dev.parley.protocol.ProtocolCodec;
import dev.parley.protocol.ProtocolException;
import dev.parley.protocol.ServerFrame;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.pattern.StatusReply;

/**
 * One client WebSocket connection of one authenticated user. It owns the connection's
 * subscriptions and, per subscribed conversation, the last seq it delivered: messages reach the
 * client once and in seq order, whether they come live from the node's {@link FanoutHub}, from the
 * replay after {@code subscribe(sinceSeq)}, or from a history fetch that repairs a gap. It applies
 * the limits (per-user send rate, per-connection frame rate, errors per minute, subscriptions) and
 * re-checks its token periodically.
 *
 * <p>What it loses when it stops (client gone, slow consumer, policy close, node down): frames
 * queued for the client and not yet written. Nothing acknowledged is lost: an {@code ack} is only
 * sent after the conversation persisted the message, and a client that reconnects resumes with
 * {@code subscribe(conv, sinceSeq)}.
 */
public final class Session extends AbstractBehavior<Session.Command> {

  /** Close codes (RFC 6455 and Parley's own, documented in docs/protocol.md). */
  public static final int CLOSE_GOING_AWAY = 1001;
  public static final int CLOSE_POLICY = 1008;
  public static final int CLOSE_INTERNAL = 1011;
  public static final int CLOSE_SLOW_CONSUMER = 4008;

  public sealed interface Command {}

  /** A complete client frame (text). */
  public record Inbound(String text) implements Command {}

  /** The socket ended (by the client, by us, or by the network). */
  public record Closed(int code, String reason) implements Command {}

  /** Close the socket with this code. */
  public record Close(int code, String reason) implements Command {}

  /** A frame from the hub; {@code seq} &gt; 0 for a message, 0 for anything else. */
  public record Deliver(String conv, long seq, OutboundFrame frame) implements Command {}

  /** The hub's subscription for this session took effect. */
  public record Joined(String conv, ConversationEntity.Subscription subscription) implements Command {}

  /** The subscription was refused (forbidden, not_found, unavailable). */
  public record JoinFailed(String conv, ErrorCode code, String message) implements Command {}

  /** The user was removed from the conversation. */
  public record Removed(String conv) implements Command {}

  /** The conversation's newest seq as the hub just learned it; a live subscription behind it catches up. */
  public record Sync(String conv, long lastSeq) implements Command {}

  private record RetryRepair(String conv, long generation) implements Command {}

  private record Reply(ServerFrame frame) implements Command {}

  private record Fetched(String conv, long generation, HistorySlice slice, Throwable failure) implements Command {}

  private enum CheckToken implements Command {
    INSTANCE
  }

  private record TokenChecked(Optional<String> user, Throwable failure) implements Command {}

  /** Everything a session needs from its node. */
  public record Context(
      SessionSettings settings,
      ClusterSharding sharding,
      ActorRef<FanoutHub.Command> hub,
      SessionStore sessionStore,
      SessionRegistry registry,
      dev.parley.query.ConversationQueries history) {}

  public static Behavior<Command> create(Context node, String user, String token, ClientSocket socket) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Session(ctx, timers, node, user, token, socket)));
  }

  private enum Phase { JOINING, REPLAYING, LIVE }

  /** One subscribed conversation. */
  private static final class Sub {
    final String ref;
    final Long sinceSeq;
    Phase phase = Phase.JOINING;
    long delivered;
    long generation;
    boolean repairing;
    List<String> online;
    long lastSeq;
    /** The newest seq known to exist (from the subscription, messages, syncs); above delivered = a hole. */
    long knownLast;
    final TreeMap<Long, OutboundFrame> pending = new TreeMap<>();
    /** Non-message frames (typing, presence, receipts, edits) that arrive before the subscription is live. */
    final ArrayDeque<OutboundFrame> early = new ArrayDeque<>();
    int repairAttempts;

    Sub(String ref, Long sinceSeq) {
      this.ref = ref;
      this.sinceSeq = sinceSeq;
    }
  }

  private static final int MAX_PENDING = 10_000;
  private static final int MAX_EARLY = 100;
  private static final int MAX_REPAIR_ATTEMPTS = 3;

  private final TimerScheduler<Command> timers;
  private final Context node;
  private final SessionSettings settings;
  private final String user;
  private final String token;
  private final ClientSocket socket;
  private final ErrorBudget errors;
  private final TokenBucket frames;
  private final TokenBucket sends;
  /** Per limiter: when the client was last told it may try again (System.nanoTime); see rateLimited. */
  private long framesRetryAt, sendsRetryAt;
  private final Map<String, Sub> subs = new HashMap<>();
  private final Map<String, Long> lastTyping = new HashMap<>();
  private boolean closing;
  /** Distinguishes history answers across all of this socket's subscriptions, old and new. */
  private long generations;

  private Session(ActorContext<Command> ctx, TimerScheduler<Command> timers, Context node, String user, String token,
      ClientSocket socket) {
    super(ctx);
    this.timers = timers;
    this.node = node;
    this.settings = node.settings();
    this.user = user;
    this.token = token;
    this.socket = socket;
    this.errors = new ErrorBudget(settings.maxErrorsPerMinute());
    this.frames = new TokenBucket(settings.frameRate(), settings.frameBurst(), System.nanoTime());
    this.sends = node.registry().sendBucket(user);
    node.registry().register(ctx.getSelf(), token);
    // A logout revokes the token, then closes the sockets registered under it. One that lands between
    // the upgrade's token check and the registration above would miss this socket until the next
    // periodic check; checking once now, after registering, leaves no such window.
    ctx.getSelf().tell(CheckToken.INSTANCE);
    timers.startTimerWithFixedDelay(CheckToken.INSTANCE, settings.tokenCheckInterval());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Inbound.class, this::onInbound)
        .onMessage(Reply.class, r -> {
          send(r.frame());
          return this;
        })
        .onMessage(Deliver.class, this::onDeliver)
        .onMessage(Joined.class, this::onJoined)
        .onMessage(JoinFailed.class, f -> {
          Sub sub = subs.remove(f.conv());
          if (sub != null) {
            error(f.code(), f.message(), sub.ref);
          }
          return this;
        })
        .onMessage(Removed.class, r -> {
          if (subs.remove(r.conv()) != null) {
            send(new ServerFrame.ErrorFrame(ErrorCode.FORBIDDEN,
                "you are no longer a member of " + r.conv() + "; the subscription ended", null));
          }
          return this;
        })
        .onMessage(Fetched.class, this::onFetched)
        .onMessage(Sync.class, y -> {
          Sub sub = subs.get(y.conv());
          if (sub != null && y.lastSeq() > sub.knownLast) {
            sub.knownLast = y.lastSeq();
            if (sub.phase == Phase.LIVE) {
              drain(y.conv(), sub);
            }
          }
          return this;
        })
        .onMessage(RetryRepair.class, r -> {
          Sub sub = subs.get(r.conv());
          if (sub != null && sub.generation == r.generation() && sub.repairing) {
            sub.repairing = false;
            drain(r.conv(), sub);
          }
          return this;
        })
        .onMessage(Close.class, c -> {
          close(c.code(), c.reason());
          return this;
        })
        .onMessage(Closed.class, c -> {
          closing = true;
          return Behaviors.stopped();
        })
        .onMessage(CheckToken.class, c -> {
          getContext().pipeToSelf(node.sessionStore().resolve(token), TokenChecked::new);
          return this;
        })
        .onMessage(TokenChecked.class, t -> {
          // A store outage is not the user's fault: keep the socket, check again next time. A token
          // that no longer resolves (or a store that says unauthorized) ends the socket with an
          // `unauthorized` error frame, then close 1008.
          ErrorCode problem = t.failure() != null ? Rejection.codeOf(t.failure())
              : t.user().map(user::equals).orElse(false) ? null : ErrorCode.UNAUTHORIZED;
          if (problem == ErrorCode.UNAUTHORIZED && !closing) {
            socket.send(ProtocolCodec.write(new ServerFrame.ErrorFrame(ErrorCode.UNAUTHORIZED,
                "session expired or revoked; log in again", null)));
            close(CLOSE_POLICY, "session expired or revoked");
          }
          return this;
        })
        .onSignal(PostStop.class, s -> {
          // Stopped without closing (a bug surfaced as an exception): never leave a dead socket open.
          if (!closing) {
            closing = true;
            socket.close(CLOSE_INTERNAL, "internal error");
          }
          node.registry().unregister(getContext().getSelf());
          node.registry().closed(user);
          return this;
        })
        .build();
  }

  // -- client frames ----------------------------------------------------------------------------

  private Behavior<Command> onInbound(Inbound in) {
    socket.processed();
    if (closing) {
      return this;
    }
    long now = System.nanoTime();
    long wait = frames.take(now);
    if (wait > 0) {
      rateLimited(wait, null, "too many frames on this connection", now < framesRetryAt);
      framesRetryAt = now + wait * 1_000_000;
      return this;
    }
    ClientFrame frame;
    try {
      frame = ProtocolCodec.readClientFrame(in.text());
    } catch (ProtocolException e) {
      error(e.code(), e.getMessage(), null);
      return this;
    }
    if (frame instanceof ClientFrame.SendFrame
        || frame instanceof ClientFrame.EditFrame
        || frame instanceof ClientFrame.DeleteFrame) {
      long sendWait = sends.take(now);
      if (sendWait > 0) {
        rateLimited(sendWait, frame.ref(), "too many messages, edits and deletes from this user", now < sendsRetryAt);
        sendsRetryAt = now + sendWait * 1_000_000;
        return this;
      }
    }
    handle(frame);
    return this;
  }

  private void handle(ClientFrame frame) {
    String conv = frame.conv();
    if (!ConversationEntity.isValidId(conv)) {
      error(ErrorCode.BAD_REQUEST, ConversationEntity.INVALID_ID, frame.ref());
      return;
    }
    EntityRef<ConversationEntity.Command> entity = node.sharding().entityRefFor(ConversationEntity.ENTITY_KEY, conv);
    if (frame instanceof ClientFrame.SendFrame f) {
      ask(entity, ConversationEntity.MessageAccepted.class,
          r -> new ConversationEntity.PostMessage(user, f.clientMsgId(), f.text(), f.attachments(), r),
          a -> new ServerFrame.AckFrame(f.ref(), conv, a.clientMsgId(), a.seq(), a.messageId(), a.at(), a.duplicate()),
          f.ref(), true);
    } else if (frame instanceof ClientFrame.ReadFrame f) {
      ask(entity, ConversationEntity.ReadPosition.class,
          r -> new ConversationEntity.MarkRead(user, f.upTo(), r),
          p -> new ServerFrame.UnreadFrame(conv, p.unread(), p.lastSeq()), f.ref(), false);
    } else if (frame instanceof ClientFrame.DeliveredFrame f) {
      ask(entity, ConversationEntity.ReadPosition.class,
          r -> new ConversationEntity.MarkDelivered(user, f.upTo(), r), p -> null, f.ref(), false);
    } else if (frame instanceof ClientFrame.SubscribeFrame f) {
      subscribe(f);
    } else if (frame instanceof ClientFrame.UnsubscribeFrame f) {
      if (subs.remove(conv) != null) {
        node.hub().tell(new FanoutHub.Leave(conv, getContext().getSelf()));
      }
    } else if (frame instanceof ClientFrame.HistoryFrame f) {
      if (f.beforeSeq() != null && f.afterSeq() != null) {
        error(ErrorCode.BAD_REQUEST, "give beforeSeq or afterSeq, not both", f.ref());
        return;
      }
      // Cache, then SQL and the archive, then the entity's window (see ConversationQueries).
      getContext().pipeToSelf(node.history().page(user, conv, f.beforeSeq(), f.afterSeq(),
              f.limit() == null ? 0 : f.limit()),
          (page, failure) -> failure == null
              ? new Reply(new ServerFrame.HistoryPageFrame(f.ref(), page))
              : new Reply(new ServerFrame.ErrorFrame(Rejection.codeOf(failure), Rejection.messageOf(failure), f.ref())));
    } else if (frame instanceof ClientFrame.TypingFrame f) {
      long now = System.nanoTime();
      Long last = lastTyping.get(conv);
      if (last != null && now - last < settings.typingThrottle().toNanos()) {
        return;
      }
      if (lastTyping.size() > settings.maxSubscriptions()) {
        lastTyping.clear();
      }
      lastTyping.put(conv, now);
      ask(entity, org.apache.pekko.Done.class, r -> new ConversationEntity.Typing(user, r), d -> null, f.ref(), false);
    } else if (frame instanceof ClientFrame.EditFrame f) {
      // The editor always gets an answer carrying its ref; subscribers (the editor's other sockets
      // included) get the fan-out copy without one.
      ask(entity, Message.class, r -> new ConversationEntity.EditMessage(user, f.seq(), f.text(), r),
          m -> new ServerFrame.EditedFrame(f.ref(), conv, m.seq(), m.text(), user,
              m.editedAt() != null ? m.editedAt() : m.at()), f.ref(), true);
    } else if (frame instanceof ClientFrame.DeleteFrame f) {
      ask(entity, Message.class, r -> new ConversationEntity.DeleteMessage(user, f.seq(), r),
          m -> new ServerFrame.DeletedFrame(f.ref(), conv, m.seq(), user, m.editedAt() != null ? m.editedAt() : m.at()),
          f.ref(), true);
    }
  }

  /**
   * Asks the conversation and answers the client with {@code toFrame(reply)} (nothing when null) or an
   * error frame. For a {@code write} (send, edit, delete) a timeout is {@code unknown_outcome}.
   */
  private <R> void ask(EntityRef<ConversationEntity.Command> entity, Class<R> type,
      Function<ActorRef<StatusReply<R>>, ConversationEntity.Command> command,
      Function<R, ServerFrame> toFrame, String ref, boolean write) {
    org.slf4j.Logger log = getContext().getLog();
    String conv = entity.getEntityId();
    BiFunction<R, Throwable, Command> adapt = (r, answer) -> {
      if (answer == null) {
        return new Reply(toFrame.apply(r));
      }
      Throwable failure = write ? Rejection.ofWrite(answer) : answer;
      ErrorCode code = Rejection.codeOf(failure);
      if (code == ErrorCode.FORBIDDEN) {
        // Audit trail for authorization failures (who tried what on which conversation).
        log.info("forbidden: user {} {} on conversation {}: {}", user, type.getSimpleName(), conv,
            Rejection.messageOf(failure));
      }
      return new Reply(new ServerFrame.ErrorFrame(code, Rejection.messageOf(failure), ref,
          Rejection.retryAfterMsOf(failure)));
    };
    getContext().askWithStatus(type, entity, settings.askTimeout(), command::apply, adapt::apply);
  }

  // -- subscriptions ----------------------------------------------------------------------------

  private void subscribe(ClientFrame.SubscribeFrame f) {
    Sub existing = subs.get(f.conv());
    if (existing != null) {
      if (existing.phase == Phase.LIVE) {
        send(new ServerFrame.SubscribedFrame(f.ref(), f.conv(), existing.delivered, null, false, existing.online));
      } else {
        error(ErrorCode.CONFLICT, "a subscription to " + f.conv() + " is already being set up", f.ref());
      }
      return;
    }
    if (subs.size() >= settings.maxSubscriptions()) {
      error(ErrorCode.LIMIT_EXCEEDED, "at most " + settings.maxSubscriptions() + " subscriptions per connection", f.ref());
      return;
    }
    subs.put(f.conv(), new Sub(f.ref(), f.sinceSeq()));
    node.hub().tell(new FanoutHub.Join(f.conv(), user, getContext().getSelf()));
  }

  private Behavior<Command> onJoined(Joined j) {
    Sub sub = subs.get(j.conv());
    if (sub == null || sub.phase != Phase.JOINING) {
      return this;
    }
    long lastSeq = j.subscription().lastSeq();
    sub.online = j.subscription().online();
    sub.lastSeq = lastSeq;
    sub.knownLast = Math.max(sub.knownLast, lastSeq);
    if (sub.sinceSeq == null || sub.sinceSeq >= lastSeq) {
      sub.delivered = lastSeq;
      send(new ServerFrame.SubscribedFrame(sub.ref, j.conv(), lastSeq, null, false, sub.online));
      goLive(j.conv(), sub);
      return this;
    }
    // Replay (sinceSeq, lastSeq]: the newest replay-limit of them, from the conversation's window.
    sub.phase = Phase.REPLAYING;
    sub.delivered = sub.sinceSeq;
    int limit = (int) Math.min(lastSeq - sub.sinceSeq, settings.replayLimit());
    fetch(j.conv(), sub, lastSeq + 1, null, limit);
    return this;
  }

  private void fetch(String conv, Sub sub, Long beforeSeq, Long afterSeq, int limit) {
    long generation = ++generations;
    sub.generation = generation;
    getContext().askWithStatus(HistorySlice.class,
        node.sharding().entityRefFor(ConversationEntity.ENTITY_KEY, conv), settings.askTimeout(),
        r -> new ConversationEntity.GetHistory(user, beforeSeq, afterSeq, limit, r),
        (slice, failure) -> new Fetched(conv, generation, slice, failure));
  }

  private Behavior<Command> onFetched(Fetched f) {
    Sub sub = subs.get(f.conv());
    if (sub == null || f.generation() != sub.generation) {
      return this;
    }
    if (sub.phase == Phase.REPLAYING) {
      if (f.failure() != null) {
        subs.remove(f.conv());
        node.hub().tell(new FanoutHub.Leave(f.conv(), getContext().getSelf()));
        error(Rejection.codeOf(f.failure()), Rejection.messageOf(f.failure()), sub.ref);
        return this;
      }
      List<Message> replay = f.slice().messages().stream().filter(m -> m.seq() > sub.sinceSeq).toList();
      Long replayedFrom = replay.isEmpty() ? null : replay.get(0).seq();
      long firstMissing = sub.sinceSeq + 1;
      boolean gap = replayedFrom == null ? sub.lastSeq >= firstMissing : replayedFrom > firstMissing;
      send(new ServerFrame.SubscribedFrame(sub.ref, f.conv(), sub.lastSeq, replayedFrom, gap, sub.online));
      for (Message m : replay) {
        socket.send(ProtocolCodec.write(new ServerFrame.MessageFrame(m.view(f.conv()))));
      }
      sub.delivered = Math.max(sub.delivered, sub.lastSeq);
      goLive(f.conv(), sub);
      return this;
    }
    // A gap repair in a live subscription.
    if (f.failure() != null && Rejection.codeOf(f.failure()) != ErrorCode.NOT_IN_MEMORY
        && ++sub.repairAttempts <= MAX_REPAIR_ATTEMPTS) {
      // Not an answer about the messages (a timeout during a hand-off, say): ask again shortly.
      timers.startSingleTimer("repair-" + f.conv(), new RetryRepair(f.conv(), sub.generation),
          Duration.ofMillis(250L << sub.repairAttempts));
      return this;
    }
    sub.repairing = false;
    boolean progressed = false;
    if (f.failure() == null) {
      for (Message m : f.slice().messages()) {
        if (m.seq() == sub.delivered + 1) {
          socket.send(ProtocolCodec.write(new ServerFrame.MessageFrame(m.view(f.conv()))));
          sub.delivered = m.seq();
          progressed = true;
        }
      }
    }
    if (!progressed && hasHole(sub)) {
      // The conversation no longer holds the missing messages: say so, never skip silently. The
      // client pages history before replayedFrom (or before lastSeq + 1 when nothing follows).
      Long next = sub.pending.isEmpty() ? null : sub.pending.firstKey();
      long newest = Math.max(sub.knownLast, sub.pending.isEmpty() ? 0 : sub.pending.lastKey());
      send(new ServerFrame.SubscribedFrame(null, f.conv(), newest, next, true, null));
      sub.delivered = next == null ? sub.knownLast : next - 1;
    }
    sub.repairAttempts = 0;
    drain(f.conv(), sub);
    return this;
  }

  /** Messages between what was delivered and what is known to exist are missing. */
  private static boolean hasHole(Sub sub) {
    return !sub.pending.isEmpty() ? sub.pending.firstKey() > sub.delivered + 1 : sub.knownLast > sub.delivered;
  }

  /** The subscription is live: frames that came early go out now, then buffered messages in order. */
  private void goLive(String conv, Sub sub) {
    sub.phase = Phase.LIVE;
    while (!sub.early.isEmpty()) {
      socket.send(sub.early.pollFirst());
    }
    drain(conv, sub);
  }

  private Behavior<Command> onDeliver(Deliver d) {
    Sub sub = subs.get(d.conv());
    if (sub == null) {
      return this;
    }
    if (d.seq() == 0) {
      if (sub.phase == Phase.LIVE) {
        socket.send(d.frame());
      } else {
        if (sub.early.size() >= MAX_EARLY) {
          sub.early.pollFirst();
        }
        sub.early.addLast(d.frame());
      }
      return this;
    }
    if (sub.phase == Phase.LIVE && !sub.repairing && d.seq() == sub.delivered + 1 && sub.pending.isEmpty()) {
      sub.delivered = d.seq();
      sub.knownLast = Math.max(sub.knownLast, d.seq());
      socket.send(d.frame());
      return this;
    }
    sub.knownLast = Math.max(sub.knownLast, d.seq());
    if (d.seq() > sub.delivered) {
      if (sub.pending.size() >= MAX_PENDING) {
        sub.pending.pollFirstEntry();
      }
      sub.pending.put(d.seq(), d.frame());
    }
    if (sub.phase == Phase.LIVE) {
      drain(d.conv(), sub);
    }
    return this;
  }

  /** Sends pending messages that continue the delivered seq; starts a repair fetch when there is a hole. */
  private void drain(String conv, Sub sub) {
    while (!sub.pending.isEmpty()) {
      var first = sub.pending.firstEntry();
      if (first.getKey() <= sub.delivered) {
        sub.pending.pollFirstEntry();
      } else if (first.getKey() == sub.delivered + 1) {
        sub.pending.pollFirstEntry();
        sub.delivered = first.getKey();
        socket.send(first.getValue());
      } else {
        break;
      }
    }
    if (hasHole(sub) && !sub.repairing) {
      sub.repairing = true;
      long upTo = sub.pending.isEmpty() ? sub.knownLast : sub.pending.firstKey() - 1;
      int missing = (int) Math.min(upTo - sub.delivered, settings.replayLimit());
      fetch(conv, sub, null, sub.delivered, missing);
    }
  }

  // -- output -----------------------------------------------------------------------------------

  private void send(ServerFrame frame) {
    if (frame == null || closing) {
      return;
    }
    if (frame instanceof ServerFrame.ErrorFrame e) {
      countError(e.code());
    }
    if (!closing) {
      socket.send(ProtocolCodec.write(frame));
    }
  }

  private void error(ErrorCode code, String message, String ref) {
    send(new ServerFrame.ErrorFrame(code, message, ref));
  }

  /** A {@code rate_limited} answer; it counts as an error only when the client came back before the
   * retryAfterMs it was last given: a client that waits as told is never closed for being limited. */
  private void rateLimited(long retryAfterMs, String ref, String what, boolean ignoredRetry) {
    ServerFrame.ErrorFrame e = new ServerFrame.ErrorFrame(ErrorCode.RATE_LIMITED,
        what + "; retry after " + retryAfterMs + " ms", ref, retryAfterMs);
    if (ignoredRetry) {
      send(e);
    } else if (!closing) {
      socket.send(ProtocolCodec.write(e));
    }
  }

  private void countError(ErrorCode code) {
    if (errors.spent(code, System.nanoTime())) {
      socket.send(ProtocolCodec.write(new ServerFrame.ErrorFrame(code, "too many errors; closing", null)));
      close(CLOSE_POLICY, "too many errors");
    }
  }

  private void close(int code, String reason) {
    if (!closing) {
      closing = true;
      socket.close(code, reason);
    }
  }
}

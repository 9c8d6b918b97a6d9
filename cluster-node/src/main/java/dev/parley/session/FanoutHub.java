package dev.parley.session;

import dev.parley.conversation.ConversationEntity;
import dev.parley.conversation.Fanout;
import dev.parley.conversation.Rejection;
import dev.parley.protocol.ErrorCode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * The node's fan-out hub: one per node. It owns which local sessions are subscribed to which
 * conversation and subscribes to each such conversation once for the whole node, so a message
 * crosses the network once per node. Each message arrives already serialized; the hub renders the
 * WebSocket frame once and hands the same frame to every local session.
 *
 * <p>It tracks the last seq it saw per conversation; when a conversation restarts (it announces
 * {@link Fanout.Started}) the hub subscribes again from that seq, so nothing posted in between is
 * lost. Everything here is memory: if the hub's node dies, its sessions die with it and their
 * clients reconnect elsewhere with {@code subscribe(conv, sinceSeq)}.
 */
public final class FanoutHub extends AbstractBehavior<FanoutHub.Command> {

  /** Hubs register under this key; conversations announce restarts to every registered hub. */
  public static final ServiceKey<Fanout> KEY = ServiceKey.create(Fanout.class, "parley-fanout-hub");

  public sealed interface Command {}

  /** A session subscribes {@code user} to {@code conv}; answered with {@link Session.Joined} or {@link Session.JoinFailed}. */
  public record Join(String conv, String user, ActorRef<Session.Command> session) implements Command {}

  /** A session unsubscribes. */
  public record Leave(String conv, ActorRef<Session.Command> session) implements Command {}

  private record FromConversation(Fanout fanout) implements Command {}

  /** The answer to one subscribe: for {@code joiner}'s join, or (joiner null) a resubscribe of every local user. */
  private record Subscribed(String conv, List<String> users, ActorRef<Session.Command> joiner,
      ConversationEntity.Subscription sub, Throwable failure) implements Command {}

  private record SessionGone(ActorRef<Session.Command> session) implements Command {}

  private record RetrySubscribe(String conv) implements Command {}

  public static Behavior<Command> create(Duration askTimeout) {
    // A bug surfacing as an exception must not drop every subscription of the node: keep the state.
    return Behaviors.supervise(Behaviors.<Command>setup(ctx -> Behaviors.withTimers(timers ->
        new FanoutHub(ctx, timers, askTimeout)))).onFailure(SupervisorStrategy.resume());
  }

  /** One conversation's local subscribers. */
  private static final class Local {
    final Map<ActorRef<Session.Command>, String> sessions = new HashMap<>();
    final Map<String, Integer> perUser = new HashMap<>();
    /** The last seq this hub saw published (or, before any, where its first subscription started). */
    long lastSeq;
    /** The conversation accepted at least one subscribe from this hub (so it holds state to clean up). */
    boolean confirmed;
    int failedResubscribes;
  }

  private static final int MAX_RESUBSCRIBE_ATTEMPTS = 10;

  private final TimerScheduler<Command> timers;
  private final Duration askTimeout;
  private final ClusterSharding sharding;
  private final ActorRef<Fanout> self;
  private final Map<String, Local> locals = new HashMap<>();
  private final Map<ActorRef<Session.Command>, Set<String>> convsOf = new HashMap<>();

  private FanoutHub(ActorContext<Command> ctx, TimerScheduler<Command> timers, Duration askTimeout) {
    super(ctx);
    this.timers = timers;
    this.askTimeout = askTimeout;
    this.sharding = ClusterSharding.get(ctx.getSystem());
    this.self = ctx.messageAdapter(Fanout.class, FromConversation::new);
    ctx.getSystem().receptionist().tell(Receptionist.register(KEY, self));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Join.class, this::onJoin)
        .onMessage(Leave.class, l -> {
          leave(l.conv(), l.session());
          return this;
        })
        .onMessage(SessionGone.class, g -> {
          Set<String> convs = convsOf.remove(g.session());
          if (convs != null) {
            List.copyOf(convs).forEach(c -> leave(c, g.session()));
          }
          return this;
        })
        .onMessage(Subscribed.class, this::onSubscribed)
        .onMessage(RetrySubscribe.class, r -> {
          resubscribe(r.conv());
          return this;
        })
        .onMessage(FromConversation.class, f -> onFanout(f.fanout()))
        .build();
  }

  private Behavior<Command> onJoin(Join j) {
    Local local = locals.computeIfAbsent(j.conv(), c -> new Local());
    if (local.sessions.put(j.session(), j.user()) == null) {
      local.perUser.merge(j.user(), 1, Integer::sum);
      if (convsOf.computeIfAbsent(j.session(), s -> new HashSet<>()).isEmpty()) {
        getContext().watchWith(j.session(), new SessionGone(j.session()));
      }
      convsOf.get(j.session()).add(j.conv());
    }
    // Every join asks the conversation: it checks membership and (idempotently) registers the user
    // online. Only this joiner gets the answer; messages published meanwhile already flow to it, and the
    // session holds them back until it knows where its subscription starts.
    subscribe(j.conv(), List.of(j.user()), null, j.session());
    return this;
  }

  private void subscribe(String conv, List<String> users, Long sinceSeq, ActorRef<Session.Command> joiner) {
    getContext().askWithStatus(ConversationEntity.Subscription.class,
        sharding.entityRefFor(ConversationEntity.ENTITY_KEY, conv), askTimeout,
        replyTo -> new ConversationEntity.Subscribe(self, users, sinceSeq, replyTo),
        (sub, failure) -> new Subscribed(conv, users, joiner, sub, failure));
  }

  private Behavior<Command> onSubscribed(Subscribed s) {
    Local local = locals.get(s.conv());
    if (local == null) {
      return this; // everyone left meanwhile; the leave already unsubscribed
    }
    ActorRef<Session.Command> joiner = s.joiner();
    if (s.failure() != null) {
      ErrorCode code = Rejection.codeOf(s.failure());
      if (joiner != null) {
        if (local.sessions.containsKey(joiner)) {
          joiner.tell(new Session.JoinFailed(s.conv(), code, Rejection.messageOf(s.failure())));
          leave(s.conv(), joiner);
        }
      } else if (code != ErrorCode.NOT_FOUND && ++local.failedResubscribes <= MAX_RESUBSCRIBE_ATTEMPTS) {
        timers.startSingleTimer(s.conv(), new RetrySubscribe(s.conv()),
            Duration.ofMillis(200L << Math.min(local.failedResubscribes, 5)));
      } else {
        // The conversation is gone or keeps failing: end the local subscriptions explicitly.
        for (var session : List.copyOf(local.sessions.keySet())) {
          session.tell(new Session.JoinFailed(s.conv(), code, Rejection.messageOf(s.failure())));
          leave(s.conv(), session);
        }
      }
      return this;
    }
    if (!local.confirmed) {
      local.confirmed = true;
      local.lastSeq = Math.max(local.lastSeq, s.sub().lastSeq());
    }
    local.failedResubscribes = 0;
    if (joiner != null) {
      String user = local.sessions.get(joiner);
      if (user != null && s.sub().notMembers().contains(user)) {
        joiner.tell(new Session.JoinFailed(s.conv(), ErrorCode.FORBIDDEN, "not a member of this conversation"));
        leave(s.conv(), joiner);
      } else if (user != null) {
        joiner.tell(new Session.Joined(s.conv(), s.sub()));
      }
    } else {
      for (var e : List.copyOf(local.sessions.entrySet())) {
        if (s.sub().notMembers().contains(e.getValue())) {
          e.getKey().tell(new Session.Removed(s.conv()));
          leave(s.conv(), e.getKey());
        }
      }
    }
    // Sessions compare their position with the conversation's: one that missed the last message
    // (published while this hub was not subscribed) fetches it instead of waiting for the next one.
    Session.Sync sync = new Session.Sync(s.conv(), s.sub().lastSeq());
    for (var session : local.sessions.keySet()) {
      if (session != joiner) {
        session.tell(sync);
      }
    }
    return this;
  }

  private void resubscribe(String conv) {
    Local local = locals.get(conv);
    if (local != null) {
      subscribe(conv, List.copyOf(local.perUser.keySet()), local.lastSeq, null);
    }
  }

  private void leave(String conv, ActorRef<Session.Command> session) {
    Set<String> convs = convsOf.get(session);
    if (convs != null) {
      convs.remove(conv);
      if (convs.isEmpty()) {
        convsOf.remove(session);
        getContext().unwatch(session);
      }
    }
    Local local = locals.get(conv);
    if (local == null) {
      return;
    }
    String user = local.sessions.remove(session);
    if (user == null) {
      return;
    }
    var entity = sharding.entityRefFor(ConversationEntity.ENTITY_KEY, conv);
    // Never tell a conversation that did not accept us (an unknown id would be started again).
    if (local.perUser.computeIfPresent(user, (u, n) -> n > 1 ? n - 1 : null) == null && local.confirmed) {
      entity.tell(new ConversationEntity.SetPresence(self, user, false));
    }
    if (local.sessions.isEmpty()) {
      locals.remove(conv);
      timers.cancel(conv);
      if (local.confirmed) {
        entity.tell(new ConversationEntity.Unsubscribe(self));
      }
    }
  }

  private Behavior<Command> onFanout(Fanout f) {
    Local local = locals.get(f.conversationId());
    if (local == null) {
      if (!(f instanceof Fanout.Started)) {
        // Nobody here listens any more: stop the flow from that conversation.
        sharding.entityRefFor(ConversationEntity.ENTITY_KEY, f.conversationId())
            .tell(new ConversationEntity.Unsubscribe(self));
      }
      return this;
    }
    if (f instanceof Fanout.Published p) {
      local.lastSeq = Math.max(local.lastSeq, p.seq());
      deliver(local, p.conversationId(), p.seq(), OutboundFrame.text(p.json()), null, null);
    } else if (f instanceof Fanout.Updated u) {
      deliver(local, u.conversationId(), 0, OutboundFrame.text(u.json()), null, u.exceptUser());
    } else if (f instanceof Fanout.ForMember m) {
      deliver(local, m.conversationId(), 0, OutboundFrame.text(m.json()), m.userId(), null);
    } else if (f instanceof Fanout.MemberLeft m) {
      for (var e : List.copyOf(local.sessions.entrySet())) {
        if (e.getValue().equals(m.userId())) {
          e.getKey().tell(new Session.Removed(m.conversationId()));
          leave(m.conversationId(), e.getKey());
        }
      }
    } else if (f instanceof Fanout.Started st) {
      resubscribe(st.conversationId());
    }
    return this;
  }

  private static void deliver(Local local, String conv, long seq, OutboundFrame frame, String onlyUser,
      String exceptUser) {
    Session.Deliver d = new Session.Deliver(conv, seq, frame);
    for (var e : local.sessions.entrySet()) {
      if ((onlyUser == null || onlyUser.equals(e.getValue())) && !e.getValue().equals(exceptUser)) {
        e.getKey().tell(d);
      }
    }
  }
}

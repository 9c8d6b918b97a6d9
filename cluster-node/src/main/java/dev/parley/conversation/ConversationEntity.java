package dev.parley.conversation;

import dev.parley.CborSerializable;
import dev.parley.conversation.ConversationState.Active;
import dev.parley.conversation.ConversationState.NotCreated;
import dev.parley.conversation.ConversationState.Sent;
import dev.parley.conversation.Decisions.Decision;
import dev.parley.protocol.Attachment;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.MessageView;
import dev.parley.protocol.Role;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandlerBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One conversation, sharded by its id: its message protocol and its behaviour. It owns the members
 * and roles, the tier, the gap-free message sequence, the recent window and the idempotent-send
 * memory ({@link ConversationState}, ruled by {@link Decisions}); read positions and the cache entry
 * are written behind the journal ({@link WriteBehind}); subscribed hubs are fed by {@link LiveFeed}.
 *
 * <p>What survives a crash: every event is journaled before any reply (an acknowledged message is
 * never lost; a retried send after a restart or a move still gets the original ack), and snapshots
 * every {@code snapshot-every} events keep recovery short. Lost: read positions moved since the last
 * flush (see {@link WriteBehind}) and the live feed (hubs subscribe again).
 *
 * <p>Under overload a send, edit or delete is refused with {@code overloaded} before it is persisted
 * ({@link Admission}): each is either stored and acknowledged, or refused and not stored, within
 * {@code admission.max-wait} of its arrival plus its persist.
 */
public final class ConversationEntity
    extends EventSourcedBehaviorWithEnforcedReplies<ConversationEntity.Command, ConversationEntity.Event,
        ConversationState> {

  public static final EntityTypeKey<Command> ENTITY_KEY =
      EntityTypeKey.create(Command.class, "Conversation");

  /** Events are tagged {@code conversation-0..N-1} so projections can run in parallel; never change N with live data. */
  public static final int TAG_COUNT = 8;

  private static final java.util.regex.Pattern ID = java.util.regex.Pattern.compile("[A-Za-z0-9:_.\\-]{1,128}");
  public static final String INVALID_ID = "a conversation id is 1 to 128 letters, digits, ':', '_', '.' or '-'";

  /** Whether a client-supplied conversation id is well-formed (checked at the edge, before any entity starts). */
  public static boolean isValidId(String id) {
    return id != null && ID.matcher(id).matches();
  }

  // ------------------------------------------------------------------------------------------
  // Commands (imperative). Every fallible command replies with a StatusReply; the entity's own
  // timers, port answers and death watch are the {@link Internal} family.

  public sealed interface Command extends CborSerializable
      permits ReplyingCommand, Passivate, Unsubscribe, SetPresence, Internal {}

  /** A command that answers; {@link #replyTo()} lets one place reject any of them. */
  public sealed interface ReplyingCommand<R> extends Command {
    ActorRef<StatusReply<R>> replyTo();
  }

  /**
   * Creates the conversation; the owner is always a member. Repeating it is a no-op when the
   * conversation already has that type and those members (a PRIVATE one exactly those two, asked for
   * by either of them; a group the same owner and members that are all still in it).
   */
  public record Create(String owner, ConversationType type, String name, List<String> members,
      ActorRef<StatusReply<Summary>> replyTo)
      implements ReplyingCommand<Summary> {}

  /** Adds members (as MEMBER or, by the owner only, ADMIN). Existing members are skipped. */
  public record AddMembers(
      String requester, List<String> userIds, Role role, ActorRef<StatusReply<Summary>> replyTo)
      implements ReplyingCommand<Summary> {}

  /** Removes a member: the member themself (leave), or an owner/admin. */
  public record RemoveMember(
      String requester, String userId, ActorRef<StatusReply<Summary>> replyTo)
      implements ReplyingCommand<Summary> {}

  /**
   * A write clients make at their own pace (send, edit, delete): refused with {@code overloaded},
   * before anything is persisted, when it would wait too long ({@link Admission}).
   */
  public sealed interface WriteCommand<R> extends ReplyingCommand<R> {}

  /** Posts a message; (sender, clientMsgId) makes it idempotent. */
  public record PostMessage(String sender, String clientMsgId, String text, List<Attachment> attachments,
      ActorRef<StatusReply<MessageAccepted>> replyTo)
      implements WriteCommand<MessageAccepted> {}

  /** Replaces the text of one's own message in the recent window. */
  public record EditMessage(
      String requester, long seq, String text, ActorRef<StatusReply<Message>> replyTo)
      implements WriteCommand<Message> {}

  /** Deletes one's own message (or any, for an owner/admin) in the recent window; a tombstone keeps its seq. */
  public record DeleteMessage(String requester, long seq, ActorRef<StatusReply<Message>> replyTo)
      implements WriteCommand<Message> {}

  /** Raises the user's read position to upTo (clamped to the last seq); lower values are ignored. */
  public record MarkRead(String user, long upTo, ActorRef<StatusReply<ReadPosition>> replyTo)
      implements ReplyingCommand<ReadPosition> {}

  /** Raises the user's delivered position to upTo (clamped to the last seq); lower values are ignored. */
  public record MarkDelivered(String user, long upTo, ActorRef<StatusReply<ReadPosition>> replyTo)
      implements ReplyingCommand<ReadPosition> {}

  /**
   * A page of history from the in-memory window: messages before {@code beforeSeq} (newest page
   * when both bounds are null) or after {@code afterSeq}, ascending. {@code limit} &lt;= 0 means the
   * default page of 50; larger limits are capped at {@code max-history-page}.
   */
  public record GetHistory(String requester, Long beforeSeq, Long afterSeq, int limit,
      ActorRef<StatusReply<HistorySlice>> replyTo)
      implements ReplyingCommand<HistorySlice> {}

  /** The user's unread count and positions. */
  public record GetUnread(String user, ActorRef<StatusReply<ReadPosition>> replyTo)
      implements ReplyingCommand<ReadPosition> {}

  /** Who has seen / received one message, in the form the tier shows. */
  public record GetReceipts(String requester, long seq, ActorRef<StatusReply<Receipts>> replyTo)
      implements ReplyingCommand<Receipts> {}

  /** The conversation's summary: tier, owner, counts, last message. */
  public record GetSummary(String requester, ActorRef<StatusReply<Summary>> replyTo)
      implements ReplyingCommand<Summary> {}

  /** A page of members in user-id order, after {@code afterUserId} (null = first page). */
  public record GetMembers(
      String requester, String afterUserId, int limit, ActorRef<StatusReply<MembersPage>> replyTo)
      implements ReplyingCommand<MembersPage> {}

  /** Sent by sharding when the entity idles; stops it. */
  public enum Passivate implements Command {
    INSTANCE
  }

  /**
   * A node's fan-out hub subscribes on behalf of {@code users} (members with a session on that node
   * that subscribed). From this command on, every new message goes to the hub. With {@code sinceSeq}
   * (a hub subscribing again after this conversation restarted) the messages after it that are still
   * in the window are sent to the hub first. Users who are not members are named in the reply's
   * {@code notMembers} and are not registered.
   */
  public record Subscribe(
      ActorRef<Fanout> hub, List<String> users, Long sinceSeq, ActorRef<StatusReply<Subscription>> replyTo)
      implements ReplyingCommand<Subscription> {}

  /** The hub has no subscribers left for this conversation. */
  public record Unsubscribe(ActorRef<Fanout> hub) implements Command {}

  /** A member's last session on that hub left ({@code online} false), or another one came (true). */
  public record SetPresence(ActorRef<Fanout> hub, String userId, boolean online) implements Command {}

  /** The member is typing; shown for a few seconds (by name in small tiers, as a count in LARGE_GROUP, never in CHANNEL). */
  public record Typing(String user, ActorRef<StatusReply<Done>> replyTo) implements ReplyingCommand<Done> {}

  // ------------------------------------------------------------------------------------------
  // Replies (nouns).

  /** One message as the conversation holds it; a deleted message keeps its seq with no text. */
  public record Message(long seq, String messageId, String sender, String clientMsgId, String text,
      List<Attachment> attachments, Instant at, Instant editedAt, boolean deleted)
      implements CborSerializable {
    /** The message as clients see it. */
    public MessageView view(String conversationId) {
      return new MessageView(conversationId, seq, messageId, sender, text, attachments, at, editedAt, deleted);
    }
  }

  public record MemberInfo(String userId, Role role) implements CborSerializable {}

  public record Summary(String conversationId, ConversationType type, String name, String owner,
      int memberCount, long messageCount, long lastSeq, Instant createdAt, Message lastMessage)
      implements CborSerializable {}

  /** Members in user-id order; {@code nextAfter} is the cursor for the next page (null on the last one). */
  public record MembersPage(
      String conversationId, int memberCount, List<MemberInfo> members, String nextAfter)
      implements CborSerializable {}

  /** The ack of a send: the message's seq, id and time; {@code duplicate} when it repeats an earlier send. */
  public record MessageAccepted(String conversationId, String clientMsgId, long seq, String messageId,
      Instant at, boolean duplicate)
      implements CborSerializable {}

  /** A member's positions and unread count (messages after their read position, not sent by them, not deleted). */
  public record ReadPosition(
      String conversationId, String user, long readSeq, long deliveredSeq, long lastSeq, long unread)
      implements CborSerializable {}

  /**
   * A hub's subscription took effect at {@code lastSeq}: every later message goes to it. {@code online}
   * lists members online now (PRIVATE and SMALL_GROUP; null otherwise); {@code notMembers} the
   * requested users who are not members (not registered).
   */
  public record Subscription(
      String conversationId, ConversationType type, long lastSeq, List<String> online, List<String> notMembers)
      implements CborSerializable {}

  /** Messages in ascending seq; {@code hasMoreBefore} when older messages exist (in memory or in the store). */
  public record HistorySlice(String conversationId, List<Message> messages, boolean hasMoreBefore)
      implements CborSerializable {}

  /**
   * Receipts for one message, by tier: names in PRIVATE and SMALL_GROUP ({@code seenBy},
   * {@code deliveredTo}), exact counts in LARGE_GROUP ({@code seenCount}, {@code deliveredCount}),
   * a view count in CHANNEL ({@code views}). The sender is never counted.
   */
  public record Receipts(String conversationId, long seq, ConversationType type, List<String> seenBy,
      List<String> deliveredTo, Integer seenCount, Integer deliveredCount, Long views)
      implements CborSerializable {}

  // ------------------------------------------------------------------------------------------
  // Events (past tense), persisted before any reply.

  public sealed interface Event extends CborSerializable {}

  public record ConversationCreated(String conversationId, ConversationType type, String name, String owner,
      List<String> members, Instant at)
      implements Event {}

  /** Members joined when the conversation's last seq was {@code atSeq}: they start with everything up to it read. */
  public record MembersAdded(List<String> userIds, Role role, String by, long atSeq, Instant at)
      implements Event {}

  /** A member left or was removed; when the owner leaves, {@code newOwner} takes over (null if nobody is left). */
  public record MemberRemoved(String userId, String by, String newOwner, Instant at)
      implements Event {}

  public record TierChanged(ConversationType from, ConversationType to, int memberCount, Instant at)
      implements Event {}

  public record MessagePosted(long seq, String messageId, String sender, String clientMsgId, String text,
      List<Attachment> attachments, Instant at)
      implements Event {}

  public record MessageEdited(long seq, String by, String text, Instant at) implements Event {}

  public record MessageDeleted(long seq, String by, Instant at) implements Event {}

  // ------------------------------------------------------------------------------------------
  // Sharding and construction.

  /** Starts (or joins) the conversation shard region on this node. */
  public static ActorRef<ShardingEnvelope<Command>> init(ActorSystem<?> system, ConversationSettings settings,
      ConversationServices services, Clock clock) {
    Entity<Command, ShardingEnvelope<Command>> entity =
        Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId(), settings, services, clock, ctx.getShard()))
            .withStopMessage(Passivate.INSTANCE);
    if (!settings.shardingRole().isEmpty()) {
      entity = entity.withRole(settings.shardingRole());
    }
    return ClusterSharding.get(system).init(entity);
  }

  /** The entity outside sharding (tests); an unknown id then simply stays idle instead of asking to be passivated. */
  public static Behavior<Command> create(String conversationId, ConversationSettings settings, Clock clock) {
    return create(conversationId, settings, ConversationServices.none(), clock, null);
  }

  /** The entity outside sharding with the given services (tests of flushing and restoring). */
  public static Behavior<Command> create(String conversationId, ConversationSettings settings,
      ConversationServices services, Clock clock) {
    return create(conversationId, settings, services, clock, null);
  }

  static Behavior<Command> create(String conversationId, ConversationSettings settings,
      ConversationServices services, Clock clock, ActorRef<ClusterSharding.ShardCommand> shard) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      Admission admission = new Admission(conversationId, settings.admission(), ctx.getLog());
      return Admission.guard(admission,
          new ConversationEntity(conversationId, settings, services, clock, ctx, timers, shard, admission));
    }));
  }

  public static PersistenceId persistenceIdOf(String conversationId) {
    return PersistenceId.of(ENTITY_KEY.name(), conversationId);
  }

  /** The conversation id of a persistence id made by {@link #persistenceIdOf} ({@code Conversation|<id>}). */
  public static String conversationIdOf(String persistenceId) {
    return persistenceId.substring(persistenceId.indexOf(PersistenceId.DefaultSeparator()) + 1);
  }

  private final String conversationId;
  private final ConversationSettings settings;
  private final Clock clock;
  private final ActorContext<Command> ctx;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final Set<String> tags;
  private final LiveFeed live;
  private final WriteBehind writeBehind;
  private final ReadPositions positions;
  private final Admission admission;

  private ConversationEntity(String conversationId, ConversationSettings settings, ConversationServices services,
      Clock clock, ActorContext<Command> ctx, TimerScheduler<Command> timers,
      ActorRef<ClusterSharding.ShardCommand> shard, Admission admission) {
    super(persistenceIdOf(conversationId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.conversationId = conversationId;
    this.settings = settings;
    this.clock = clock;
    this.ctx = ctx;
    this.shard = shard;
    this.admission = admission;
    this.tags = Set.of("conversation-" + Math.floorMod(conversationId.hashCode(), TAG_COUNT));
    this.writeBehind = new WriteBehind(conversationId, ctx, timers, services.receipts(), services.cache(),
        services.writeBehind(), clock);
    this.positions = writeBehind.positions();
    this.live = new LiveFeed(conversationId, services.live(), services.hubs(), clock, positions, ctx, timers);
  }

  @Override
  public ConversationState emptyState() {
    return NotCreated.INSTANCE;
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return tags;
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), settings.snapshotsToKeep());
  }

  @Override
  public SignalHandler<ConversationState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.class, (state, signal) -> {
          writeBehind.recovered(state);
          live.recovered(state);
        })
        .build();
  }

  // ------------------------------------------------------------------------------------------
  // Behaviour.

  @Override
  public EventHandler<ConversationState, Event> eventHandler() {
    EventHandlerBuilder<ConversationState, Event> b = newEventHandlerBuilder();
    b.forStateType(Active.class)
        .onEvent(MessagePosted.class, (s, e) -> s.posted(e, settings.recentWindow(), settings.dedupWindow()))
        .onEvent(MessageEdited.class, Active::edited)
        .onEvent(MessageDeleted.class, Active::deleted)
        .onEvent(MembersAdded.class, Active::membersAdded)
        .onEvent(MemberRemoved.class, Active::memberRemoved)
        .onEvent(TierChanged.class, Active::tierChanged);
    b.forStateType(NotCreated.class)
        .onEvent(ConversationCreated.class, (s, e) -> Active.created(e));
    return b.build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, ConversationState> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, ConversationState> b = newCommandHandlerWithReplyBuilder();
    b.forStateType(Active.class)
        .onCommand(PostMessage.class, this::onPost)
        .onCommand(MarkRead.class, this::onRead)
        .onCommand(MarkDelivered.class, this::onDelivered)
        .onCommand(Create.class, (s, c) -> decided(c, Decisions.createAgain(s, c), Active::summary))
        .onCommand(AddMembers.class, (s, c) -> decided(c, Decisions.add(s, c, settings, clock.instant()),
            Active::summary))
        .onCommand(RemoveMember.class, (s, c) -> decided(c, Decisions.remove(s, c, clock.instant()), Active::summary))
        .onCommand(EditMessage.class, (s, c) -> decided(c, Decisions.edit(s, c, settings, clock.instant()),
            a -> a.messageAt(c.seq())))
        .onCommand(DeleteMessage.class, (s, c) -> decided(c, Decisions.delete(s, c, clock.instant()),
            a -> a.messageAt(c.seq())))
        .onCommand(GetUnread.class, (s, c) -> s.isMember(c.user())
            ? reply(c, Reads.positionOf(s, positions, c.user())) : notAMember(c))
        .onCommand(GetHistory.class, (s, c) -> s.isMember(c.requester())
            ? answer(c, Reads.history(s, c, settings.maxHistoryPage())) : notAMember(c))
        .onCommand(GetReceipts.class, (s, c) -> s.isMember(c.requester())
            ? answer(c, Reads.receipts(s, positions, c.seq())) : notAMember(c))
        .onCommand(GetSummary.class, (s, c) -> s.isMember(c.requester()) ? reply(c, s.summary()) : notAMember(c))
        .onCommand(GetMembers.class, (s, c) -> s.isMember(c.requester()) ? reply(c, Reads.members(s, c)) : notAMember(c))
        .onCommand(Subscribe.class, (s, c) -> reply(c, live.subscribe(s, c)))
        .onCommand(Unsubscribe.class, (s, c) -> {
          live.unsubscribe(s, c.hub());
          return Effect().noReply();
        })
        .onCommand(SetPresence.class, (s, c) -> {
          live.setPresence(s, c.hub(), c.userId(), c.online());
          return Effect().noReply();
        })
        .onCommand(Typing.class, (s, c) -> {
          if (!s.isMember(c.user())) {
            return notAMember(c);
          }
          live.typing(s, c.user());
          return reply(c, Done.getInstance());
        })
        .onCommand(Passivate.class, (s, c) -> {
          // Passivation, shard hand-off and coordinated shutdown all end here: hand over what moved.
          writeBehind.flushOnStop(s);
          return Effect().stop().thenNoReply();
        })
        .onCommand(Internal.class, (s, c) -> c.handle(s, live, writeBehind)
            // thenUnstashAll() is typed as a plain Effect; pekko's effects are all builders, so say "no reply" on it.
            ? ((EffectBuilder<Event, ConversationState>) Effect().none().thenUnstashAll()).thenNoReply()
            : Effect().noReply());
    b.forStateType(NotCreated.class)
        .onCommand(Create.class, (s, c) -> decided(c, Decisions.create(conversationId, c, settings, clock.instant()),
            Active::summary))
        .onCommand(Passivate.class, (s, c) -> Effect().stop().thenNoReply())
        // A one-way command to a never-created conversation: nothing to do, no reason to stay in memory.
        .onAnyCommand((s, c) -> c instanceof ReplyingCommand<?> r ? notFound(r)
            : Effect().none().thenRun(st -> passivateSelf()).thenNoReply());
    CommandHandlerWithReply<Command, Event, ConversationState> handler = b.build();
    return (state, command) -> {
      // Until the stored positions are back, every command but the load's own and passivation waits.
      if (!writeBehind.positionsLoaded() && state instanceof Active
          && !(command instanceof Internal.PositionsLoaded || command == Internal.Signal.LOAD_POSITIONS
              || command instanceof Passivate)) {
        return Effect().stash();
      }
      // A write taken up after waiting too long is refused unstored, unless its answer stores nothing anyway.
      if (command instanceof WriteCommand<?> w && admission.late(w, System.nanoTime()) && state instanceof Active a
          && !(w instanceof PostMessage p && Decisions.earlierSend(a, p) != null)) {
        return overloaded(w);
      }
      return handler.apply(state, command);
    };
  }

  private <R> ReplyEffect<Event, ConversationState> overloaded(WriteCommand<R> c) {
    return Effect().reply(c.replyTo(), admission.refusal());
  }

  private ReplyEffect<Event, ConversationState> onPost(Active s, PostMessage c) {
    Sent earlier = Decisions.earlierSend(s, c);
    if (earlier != null) {
      return reply(c, s.ackOf(earlier, true));
    }
    Decision d = Decisions.post(s, c, settings, clock.instant());
    if (d.rejected()) {
      return reject(c, d.code(), d.message());
    }
    MessagePosted posted = (MessagePosted) d.events().get(0);
    return Effect().persist(posted)
        .thenRun(st -> {
          Active a = (Active) st;
          positions.markRead(posted.sender(), posted.seq()); // a sender has read their own message
          live.messagePosted(a, posted.seq());
          writeBehind.messagePosted(a, a.messageAt(posted.seq()));
          writeBehind.positionsChanged(a);
        })
        .thenReply(c.replyTo(), st -> StatusReply.success(new MessageAccepted(conversationId, posted.clientMsgId(),
            posted.seq(), posted.messageId(), posted.at(), false)));
  }

  /** Raises the read position in memory (O(1)); the live feed shows it, the write-behind stores it later. */
  private ReplyEffect<Event, ConversationState> onRead(Active s, MarkRead c) {
    Decision bad = Decisions.checkMark(s, c.user(), c.upTo());
    if (bad != null) {
      return reject(c, bad.code(), bad.message());
    }
    long before = positions.readOf(c.user());
    positions.markRead(c.user(), Math.min(c.upTo(), s.lastSeq()));
    ReadPosition now = Reads.positionOf(s, positions, c.user());
    if (positions.readOf(c.user()) > before) {
      live.read(s, now);
    }
    writeBehind.positionsChanged(s);
    return reply(c, now);
  }

  private ReplyEffect<Event, ConversationState> onDelivered(Active s, MarkDelivered c) {
    Decision bad = Decisions.checkMark(s, c.user(), c.upTo());
    if (bad != null) {
      return reject(c, bad.code(), bad.message());
    }
    positions.markDelivered(c.user(), Math.min(c.upTo(), s.lastSeq()));
    writeBehind.positionsChanged(s);
    return reply(c, Reads.positionOf(s, positions, c.user()));
  }

  /** Persists the decision's events (if any), follows them outside the state, then replies from the new state. */
  private <R> ReplyEffect<Event, ConversationState> decided(ReplyingCommand<R> c, Decision d,
      Function<Active, R> reply) {
    if (d.rejected()) {
      return reject(c, d.code(), d.message());
    }
    if (d.events().isEmpty()) {
      return Effect().none().thenReply(c.replyTo(), st -> StatusReply.success(reply.apply((Active) st)));
    }
    return Effect().persist(d.events())
        .thenRun(st -> {
          Active a = (Active) st;
          d.events().forEach(e -> persisted(a, e));
          writeBehind.positionsChanged(a);
        })
        .thenReply(c.replyTo(), st -> StatusReply.success(reply.apply((Active) st)));
  }

  /**
   * What follows a persisted event outside the state. Joiners start with nothing read (unread counts
   * from the join seq; not readers of older messages until they read them); leavers stop counting as
   * readers (a channel keeps their views) and are cut off; edits and deletions go to hubs and cache.
   */
  private void persisted(Active st, Event e) {
    if (e instanceof ConversationCreated created) {
      created.members().forEach(u -> positions.track(u, 0));
    } else if (e instanceof MembersAdded added) {
      added.userIds().forEach(u -> positions.track(u, 0));
    } else if (e instanceof MemberRemoved removed) {
      positions.untrack(removed.userId());
      live.memberRemoved(st, removed.userId());
    } else if (e instanceof MessageEdited edited) {
      live.messageEdited(edited);
      writeBehind.windowChanged(st);
    } else if (e instanceof MessageDeleted deleted) {
      live.messageDeleted(deleted);
      writeBehind.windowChanged(st);
    }
  }

  /** Answers not_found and asks the shard to passivate this never-created entity, so probing ids costs no memory. */
  private <R> ReplyEffect<Event, ConversationState> notFound(ReplyingCommand<R> c) {
    return Effect().none()
        .thenRun(st -> passivateSelf())
        .thenReply(c.replyTo(), st -> Rejection.of(ErrorCode.NOT_FOUND, "no conversation " + conversationId));
  }

  private void passivateSelf() {
    if (shard != null) {
      shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
    }
  }

  private <R> ReplyEffect<Event, ConversationState> reply(ReplyingCommand<R> c, R value) {
    return Effect().reply(c.replyTo(), StatusReply.success(value));
  }

  private <R> ReplyEffect<Event, ConversationState> answer(ReplyingCommand<R> c, Reads.Answer<R> a) {
    return a.code() == null ? reply(c, a.reply()) : reject(c, a.code(), a.message());
  }

  private <R> ReplyEffect<Event, ConversationState> notAMember(ReplyingCommand<R> c) {
    return reject(c, ErrorCode.FORBIDDEN, Decisions.NOT_A_MEMBER);
  }

  private <R> ReplyEffect<Event, ConversationState> reject(ReplyingCommand<R> c, ErrorCode code, String message) {
    return Effect().reply(c.replyTo(), Rejection.of(code, message));
  }
}

package dev.parley.conversation;

import dev.parley.conversation.ConversationEntity.Command;
import dev.parley.conversation.ConversationEntity.Subscribe;
import dev.parley.conversation.ConversationEntity.Subscription;
import dev.parley.conversation.ConversationState.Active;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.ProtocolCodec;
import dev.parley.protocol.ServerFrame;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The live side of one conversation actor: which node hubs are subscribed, which members are online
 * through which hub, who is typing, and the receipt counts waiting to be published. It turns
 * persisted events and read marks into frames, serializes each frame once and tells each subscribed
 * hub once.
 *
 * <p>All of it is memory only and is lost when the actor stops; that is by design: on restart the
 * actor announces {@link Fanout.Started} to every hub and the hubs with subscribers subscribe again
 * (with the last seq they saw, so messages posted in between are replayed to them). Typing and
 * unpublished coalesced receipt counts are simply dropped.
 *
 * <p>It watches the hubs it feeds (a hub's node gone arrives as {@link Internal.HubGone}) and keeps
 * the {@link Internal.Signal#LIVE_TICK} timer running while typing signals or coalesced counts are pending.
 */
final class LiveFeed {
  private final String conversationId;
  private final LiveSettings settings;
  /** Every node's hub, told when this conversation (re)starts. */
  private final HubDirectory allHubs;
  private final Clock clock;
  private final ReadPositions positions;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  /** Hub to the members online through it (members with a subscribed session on that node). */
  private final Map<ActorRef<Fanout>, Set<String>> hubs = new HashMap<>();
  /** Member to the number of hubs they are online through. */
  private final Map<String, Integer> online = new HashMap<>();
  private final TreeMap<String, Instant> typing = new TreeMap<>();
  private boolean typingDirty;
  private long receiptSeq;

  LiveFeed(String conversationId, LiveSettings settings, HubDirectory allHubs, Clock clock, ReadPositions positions,
      ActorContext<Command> ctx, TimerScheduler<Command> timers) {
    this.conversationId = conversationId;
    this.settings = settings;
    this.allHubs = allHubs;
    this.clock = clock;
    this.positions = positions;
    this.ctx = ctx;
    this.timers = timers;
  }

  /** Registers the hub (watching it from its first entitled user on) and answers with who is online and who is no member. */
  Subscription subscribe(Active s, Subscribe c) {
    boolean watched = hubs.containsKey(c.hub());
    List<String> notMembers = c.users().stream().filter(u -> !s.isMember(u)).toList();
    subscribe(s, c.hub(), c.users(), c.sinceSeq());
    if (!watched && hubs.containsKey(c.hub())) {
      ctx.watchWith(c.hub(), new Internal.HubGone(c.hub()));
    }
    return new Subscription(conversationId, s.type(), s.lastSeq(), onlineMembers(s), notMembers);
  }

  /** The hub has no subscribers left here. */
  void unsubscribe(Active s, ActorRef<Fanout> hub) {
    removeHub(s, hub);
    ctx.unwatch(hub);
  }

  /** Registers the hub and its online users; replays messages after {@code sinceSeq} held in the window to it. */
  private void subscribe(Active s, ActorRef<Fanout> hub, Collection<String> users, Long sinceSeq) {
    // A hub subscribing again (sinceSeq set) may still have sessions of users removed while it was
    // away: cut them off before anything is replayed (tells to one hub arrive in order). A first
    // subscribe is answered per user in the reply instead.
    if (sinceSeq != null) {
      for (String u : users) {
        if (!s.isMember(u)) {
          hub.tell(new Fanout.MemberLeft(conversationId, u));
        }
      }
    }
    if (!hubs.containsKey(hub) && users.stream().noneMatch(s::isMember)) {
      return; // nobody entitled listens through this hub
    }
    Set<String> atHub = hubs.computeIfAbsent(hub, h -> new HashSet<>());
    for (String u : users) {
      if (s.isMember(u) && atHub.add(u)) {
        goOnline(s, u);
      }
    }
    if (sinceSeq != null && sinceSeq < s.lastSeq()) {
      for (long seq = Math.max(sinceSeq + 1, s.firstSeqInWindow()); seq <= s.lastSeq(); seq++) {
        ConversationEntity.Message m = s.messageAt(seq);
        if (m != null) {
          hub.tell(new Fanout.Published(conversationId, seq, messageJson(m)));
        }
      }
    }
  }

  void setPresence(Active s, ActorRef<Fanout> hub, String user, boolean on) {
    Set<String> atHub = hubs.get(hub);
    if (atHub == null) {
      return;
    }
    if (on && s.isMember(user) && atHub.add(user)) {
      goOnline(s, user);
    } else if (!on && atHub.remove(user)) {
      goOffline(s, user);
    }
  }

  /** The hub left (unsubscribed, or its node is gone): its users go offline unless online elsewhere. */
  void removeHub(Active s, ActorRef<Fanout> hub) {
    Set<String> atHub = hubs.remove(hub);
    if (atHub != null) {
      atHub.forEach(u -> goOffline(s, u));
    }
  }

  /** Members online now, for the {@code subscribed} frame; null in tiers without presence. */
  private List<String> onlineMembers(Active s) {
    if (!hasPresence(s.type())) {
      return null;
    }
    List<String> users = new ArrayList<>(online.keySet());
    users.sort(null);
    return users;
  }

  void messagePosted(Active s, long seq) {
    ConversationEntity.Message m = s.messageAt(seq);
    if (typing.remove(m.sender()) != null) {
      typingDirty = true;
      publishTypingNowIfSmall(s);
    }
    if (!hubs.isEmpty()) {
      publish(new Fanout.Published(conversationId, seq, messageJson(m)));
    }
  }

  void messageEdited(ConversationEntity.MessageEdited e) {
    if (!hubs.isEmpty()) {
      String json = ProtocolCodec.write(new ServerFrame.EditedFrame(conversationId, e.seq(), e.text(), e.by(), e.at()));
      publish(new Fanout.Updated(conversationId, json));
    }
  }

  void messageDeleted(ConversationEntity.MessageDeleted e) {
    if (!hubs.isEmpty()) {
      String json = ProtocolCodec.write(new ServerFrame.DeletedFrame(conversationId, e.seq(), e.by(), e.at()));
      publish(new Fanout.Updated(conversationId, json));
    }
  }

  /** Sessions of a removed member stop receiving; the member counts as offline here. */
  void memberRemoved(Active s, String user) {
    typing.remove(user);
    for (Set<String> atHub : hubs.values()) {
      atHub.remove(user);
    }
    if (online.remove(user) != null && hasPresence(s.type())) {
      publishPresence(user, false);
    }
    publish(new Fanout.MemberLeft(conversationId, user));
  }

  /**
   * A member's read position advanced: their other sessions get the new unread count at once;
   * receipts of the message they reached go out at once in PRIVATE / SMALL_GROUP (names) and
   * coalesced in larger tiers (counts, at the next tick).
   */
  void read(Active s, ConversationEntity.ReadPosition position) {
    if (hubs.isEmpty() || position.readSeq() <= 0 || s.messageAt(position.readSeq()) == null) {
      return;
    }
    publish(new Fanout.ForMember(conversationId, position.user(), ProtocolCodec.write(
        new ServerFrame.UnreadFrame(conversationId, position.unread(), position.lastSeq()))));
    if (s.namesReaders()) {
      publish(new Fanout.Updated(conversationId, ProtocolCodec.write(
          receiptFrame(Reads.receiptsOf(s, positions, position.readSeq())))));
      return;
    }
    receiptSeq = Math.max(receiptSeq, position.readSeq());
    scheduleTick();
  }

  /** Records a typing signal (never shown in a CHANNEL); it expires at a later tick. */
  void typing(Active s, String user) {
    if (s.type() == ConversationType.CHANNEL) {
      return;
    }
    Instant previous = typing.put(user, clock.instant().plus(settings.typingTimeout()));
    if (previous == null) {
      typingDirty = true;
      publishTypingNowIfSmall(s);
    }
    scheduleTick();
  }

  /** Publishes the coalesced receipt count, expires typing signals, and ticks again while any are left. */
  void tick(Active s) {
    long due = receiptSeq;
    receiptSeq = 0;
    if (due > 0 && s.messageAt(due) != null && !hubs.isEmpty()) {
      publish(new Fanout.Updated(conversationId, ProtocolCodec.write(receiptFrame(Reads.receiptsOf(s, positions, due)))));
    }
    Instant now = clock.instant();
    if (typing.values().removeIf(expiry -> !expiry.isAfter(now))) {
      typingDirty = true;
    }
    if (typingDirty && !hubs.isEmpty()) {
      publish(new Fanout.Updated(conversationId, ProtocolCodec.write(typingFrame(s))));
    }
    typingDirty = false;
    if (!typing.isEmpty()) {
      scheduleTick();
    }
  }

  private void scheduleTick() {
    if (!timers.isTimerActive(Internal.Signal.LIVE_TICK)) {
      timers.startSingleTimer(Internal.Signal.LIVE_TICK, settings.coalesceInterval());
    }
  }

  /** After recovery: tells every hub that this conversation (re)started so those with subscribers subscribe again. */
  void recovered(ConversationState state) {
    if (state instanceof Active) {
      Fanout.Started started = new Fanout.Started(conversationId);
      allHubs.hubs().forEach(h -> h.tell(started));
    }
  }

  private void publishTypingNowIfSmall(Active s) {
    if (s.type() == ConversationType.PRIVATE || s.type() == ConversationType.SMALL_GROUP) {
      if (!hubs.isEmpty()) {
        publish(new Fanout.Updated(conversationId, ProtocolCodec.write(typingFrame(s))));
      }
      typingDirty = false;
    }
  }

  private ServerFrame.TypingIndicatorFrame typingFrame(Active s) {
    if (s.type() == ConversationType.LARGE_GROUP) {
      return new ServerFrame.TypingIndicatorFrame(conversationId, null, typing.size());
    }
    return new ServerFrame.TypingIndicatorFrame(conversationId, List.copyOf(typing.keySet()), null);
  }

  private ServerFrame.ReceiptFrame receiptFrame(ConversationEntity.Receipts r) {
    return switch (r.type()) {
      case PRIVATE, SMALL_GROUP -> ServerFrame.ReceiptFrame.named(conversationId, r.seq(), r.seenBy());
      case LARGE_GROUP -> ServerFrame.ReceiptFrame.counted(conversationId, r.seq(), r.seenCount());
      case CHANNEL -> ServerFrame.ReceiptFrame.viewed(conversationId, r.seq(), r.views());
    };
  }

  private void goOnline(Active s, String user) {
    if (online.merge(user, 1, Integer::sum) == 1 && hasPresence(s.type())) {
      publishPresence(user, true);
    }
  }

  private void goOffline(Active s, String user) {
    Integer left = online.computeIfPresent(user, (u, n) -> n > 1 ? n - 1 : null);
    if (left == null && hasPresence(s.type())) {
      publishPresence(user, false);
    }
  }

  private void publishPresence(String user, boolean on) {
    if (!hubs.isEmpty()) {
      publish(new Fanout.Updated(conversationId,
          ProtocolCodec.write(new ServerFrame.PresenceFrame(conversationId, user, on, clock.instant())), user));
    }
  }

  private void publish(Fanout f) {
    hubs.keySet().forEach(h -> h.tell(f));
  }

  private static boolean hasPresence(ConversationType type) {
    return type == ConversationType.PRIVATE || type == ConversationType.SMALL_GROUP;
  }

  private String messageJson(ConversationEntity.Message m) {
    return ProtocolCodec.write(new ServerFrame.MessageFrame(m.view(conversationId)));
  }
}

package dev.parley.conversation;

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
 */
final class LiveFeed {
  private final String conversationId;
  private final LiveSettings settings;
  private final Clock clock;
  /** Hub to the members online through it (members with a subscribed session on that node). */
  private final Map<ActorRef<Fanout>, Set<String>> hubs = new HashMap<>();
  /** Member to the number of hubs they are online through. */
  private final Map<String, Integer> online = new HashMap<>();
  private final TreeMap<String, Instant> typing = new TreeMap<>();
  private boolean typingDirty;
  private long receiptSeq;

  LiveFeed(String conversationId, LiveSettings settings, Clock clock) {
    this.conversationId = conversationId;
    this.settings = settings;
    this.clock = clock;
  }

  LiveSettings settings() {
    return settings;
  }

  boolean isWatched(ActorRef<Fanout> hub) {
    return hubs.containsKey(hub);
  }

  /** Registers the hub and its online users; replays messages after {@code sinceSeq} held in the window to it. */
  void subscribe(ConversationEntity.Active s, ActorRef<Fanout> hub, Collection<String> users, Long sinceSeq) {
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

  void setPresence(ConversationEntity.Active s, ActorRef<Fanout> hub, String user, boolean on) {
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
  void removeHub(ConversationEntity.Active s, ActorRef<Fanout> hub) {
    Set<String> atHub = hubs.remove(hub);
    if (atHub != null) {
      atHub.forEach(u -> goOffline(s, u));
    }
  }

  /** Members online now, for the {@code subscribed} frame; null in tiers without presence. */
  List<String> onlineMembers(ConversationEntity.Active s) {
    if (!hasPresence(s.type())) {
      return null;
    }
    List<String> users = new ArrayList<>(online.keySet());
    users.sort(null);
    return users;
  }

  void messagePosted(ConversationEntity.Active s, long seq) {
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
  void memberRemoved(ConversationEntity.Active s, String user) {
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
   * A member read up to {@code readSeq}: their other sessions get the new unread count at once;
   * receipts go out at once in PRIVATE / SMALL_GROUP (names) and coalesced in larger tiers (counts).
   * Returns true when a coalesced publish is pending and the caller must schedule a tick.
   */
  boolean read(ConversationEntity.Active s, ConversationEntity.ReadPosition position,
      ConversationEntity.Receipts receiptsNow) {
    if (hubs.isEmpty()) {
      return false;
    }
    publish(new Fanout.ForMember(conversationId, position.user(), ProtocolCodec.write(
        new ServerFrame.UnreadFrame(conversationId, position.unread(), position.lastSeq()))));
    if (receiptsNow != null) {
      publish(new Fanout.Updated(conversationId, ProtocolCodec.write(receiptFrame(receiptsNow))));
      return false;
    }
    receiptSeq = Math.max(receiptSeq, position.readSeq());
    return true;
  }

  /** The seq whose coalesced receipt count is due, or 0 when none is. */
  long takeDueReceiptSeq() {
    long seq = receiptSeq;
    receiptSeq = 0;
    return seq;
  }

  void publishReceipts(ConversationEntity.Receipts r) {
    if (!hubs.isEmpty()) {
      publish(new Fanout.Updated(conversationId, ProtocolCodec.write(receiptFrame(r))));
    }
  }

  /** Records a typing signal; returns true when a tick must be scheduled (expiry or coalesced count). */
  boolean typing(ConversationEntity.Active s, String user) {
    if (s.type() == ConversationType.CHANNEL) {
      return false;
    }
    Instant previous = typing.put(user, clock.instant().plus(settings.typingTimeout()));
    if (previous == null) {
      typingDirty = true;
      publishTypingNowIfSmall(s);
    }
    return true;
  }

  /** Expires typing signals and publishes what was coalesced; returns true while another tick is needed. */
  boolean tick(ConversationEntity.Active s) {
    Instant now = clock.instant();
    if (typing.values().removeIf(expiry -> !expiry.isAfter(now))) {
      typingDirty = true;
    }
    if (typingDirty && !hubs.isEmpty()) {
      publish(new Fanout.Updated(conversationId, ProtocolCodec.write(typingFrame(s))));
    }
    typingDirty = false;
    return !typing.isEmpty();
  }

  /** Tells every hub that this conversation (re)started so those with subscribers subscribe again. */
  void announceStart(Collection<ActorRef<Fanout>> allHubs) {
    Fanout.Started started = new Fanout.Started(conversationId);
    allHubs.forEach(h -> h.tell(started));
  }

  private void publishTypingNowIfSmall(ConversationEntity.Active s) {
    if (s.type() == ConversationType.PRIVATE || s.type() == ConversationType.SMALL_GROUP) {
      if (!hubs.isEmpty()) {
        publish(new Fanout.Updated(conversationId, ProtocolCodec.write(typingFrame(s))));
      }
      typingDirty = false;
    }
  }

  private ServerFrame.TypingIndicatorFrame typingFrame(ConversationEntity.Active s) {
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

  private void goOnline(ConversationEntity.Active s, String user) {
    if (online.merge(user, 1, Integer::sum) == 1 && hasPresence(s.type())) {
      publishPresence(user, true);
    }
  }

  private void goOffline(ConversationEntity.Active s, String user) {
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

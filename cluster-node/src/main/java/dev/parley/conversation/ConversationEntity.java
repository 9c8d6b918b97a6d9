package dev.parley.conversation;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.util.StdConverter;
import dev.parley.CborSerializable;
import dev.parley.cache.CacheSettings;
import dev.parley.cache.MessageCache;
import dev.parley.receipts.ReceiptBatch;
import dev.parley.receipts.ReceiptSettings;
import dev.parley.receipts.ReceiptSink;
import dev.parley.protocol.Attachment;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.MessageView;
import dev.parley.protocol.Role;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.pcollections.HashTreePMap;
import org.pcollections.PMap;
import org.pcollections.PSortedMap;
import org.pcollections.PVector;
import org.pcollections.TreePMap;
import org.pcollections.TreePVector;

/**
 * One conversation, sharded by its id: it owns the member list and roles, the tier policy
 * (PRIVATE / SMALL_GROUP / LARGE_GROUP / CHANNEL), the gap-free message sequence, the window of
 * recent messages, the idempotent-send memory and its members' read positions.
 *
 * <p>What survives a crash: every event is in the journal before any reply (an acknowledged message
 * is never lost), and snapshots every {@code snapshot-every} events make recovery a snapshot plus a
 * short tail. The idempotent-send window and the recent messages live in the state, so a retried send
 * after a restart or a move to another node still returns the original ack.
 *
 * <p>Read and delivered positions are not journal events. They live in {@link ReadPositions} in
 * this actor's memory; the members that moved are handed to the {@link ReceiptSink} every
 * {@code flush-interval} (or at once when {@code flush-max} members are dirty), and on passivation
 * and shard hand-off (which coordinated shutdown goes through). On start the stored positions are
 * restored (commands wait in the stash meanwhile). A hard crash loses the positions that moved
 * since the last hand-off: at most one flush interval. After a restore each member is also at
 * least at the last message they posted, known from the journal.
 *
 * <p>After each persisted message, edit or deletion the entity writes the recent-message cache
 * through ({@link MessageCache}); a failed cache write is repaired by rewriting the whole cached
 * window until it succeeds.
 */
public final class ConversationEntity
    extends EventSourcedBehaviorWithEnforcedReplies<
        ConversationEntity.Command, ConversationEntity.Event, ConversationEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY =
      EntityTypeKey.create(Command.class, "Conversation");

  /** Events are tagged {@code conversation-0..N-1} so projections can run in parallel; never change N with live data. */
  public static final int TAG_COUNT = 8;

  static final int DEFAULT_HISTORY_PAGE = 50;

  private static final java.util.regex.Pattern ID = java.util.regex.Pattern.compile("[A-Za-z0-9:_.\\-]{1,128}");
  public static final String INVALID_ID = "a conversation id is 1 to 128 letters, digits, ':', '_', '.' or '-'";

  /** Whether a client-supplied conversation id is well-formed (checked at the edge, before any entity starts). */
  public static boolean isValidId(String id) {
    return id != null && ID.matcher(id).matches();
  }
  static final int MAX_MEMBERS_PAGE = 1000;

  // ------------------------------------------------------------------------------------------
  // Commands (imperative). Every fallible command replies with a StatusReply.

  public sealed interface Command extends CborSerializable {}

  /** A command that answers; {@link #replyTo()} lets one place reject any of them. */
  public sealed interface ReplyingCommand<R> extends Command {
    ActorRef<StatusReply<R>> replyTo();
  }

  /**
   * Creates the conversation; the owner is always a member. Repeating it is a no-op when the
   * conversation already has that type and those members (a PRIVATE one exactly those two, asked for
   * by either of them; a group the same owner and members that are all still in it).
   */
  public record Create(
      String owner,
      ConversationType type,
      String name,
      List<String> members,
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

  /** Posts a message; (sender, clientMsgId) makes it idempotent. */
  public record PostMessage(
      String sender,
      String clientMsgId,
      String text,
      List<Attachment> attachments,
      ActorRef<StatusReply<MessageAccepted>> replyTo)
      implements ReplyingCommand<MessageAccepted> {}

  /** Replaces the text of one's own message in the recent window. */
  public record EditMessage(
      String requester, long seq, String text, ActorRef<StatusReply<Message>> replyTo)
      implements ReplyingCommand<Message> {}

  /** Deletes one's own message (or any, for an owner/admin) in the recent window; a tombstone keeps its seq. */
  public record DeleteMessage(String requester, long seq, ActorRef<StatusReply<Message>> replyTo)
      implements ReplyingCommand<Message> {}

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
  public record GetHistory(
      String requester,
      Long beforeSeq,
      Long afterSeq,
      int limit,
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

  /** A subscribed hub's node is gone (death watch): its members go offline here. */
  public record HubGone(ActorRef<Fanout> hub) implements Command {}

  /** Timer: expire typing signals and publish coalesced counts. */
  public enum LiveTick implements Command {
    INSTANCE
  }

  /** Timer: hand the dirty read positions to the receipt sink. */
  public enum FlushTick implements Command {
    INSTANCE
  }

  /** Timer: ask the receipt sink for the stored positions (again, after a failure). */
  public enum LoadPositions implements Command {
    INSTANCE
  }

  /** The stored positions arrived (or could not be read: {@code failure} non-null). */
  public record PositionsLoaded(Map<String, long[]> stored, Throwable failure) implements Command {}

  /** The receipt sink stored ({@code ok}) or failed to store a batch. */
  public record FlushDone(List<ReadPositions.Dirty> entries, boolean ok) implements Command {}

  /** A cache write failed: rewrite the cached window until it succeeds. */
  public enum CacheWriteFailed implements Command {
    INSTANCE
  }

  /** Timer: rewrite the cached window after a failed write. */
  public enum CacheRepair implements Command {
    INSTANCE
  }

  /** A cache repair succeeded. */
  public enum CacheRepaired implements Command {
    INSTANCE
  }

  // ------------------------------------------------------------------------------------------
  // Replies (nouns).

  /** One message as the conversation holds it; a deleted message keeps its seq with no text. */
  public record Message(
      long seq,
      String messageId,
      String sender,
      String clientMsgId,
      String text,
      List<Attachment> attachments,
      Instant at,
      Instant editedAt,
      boolean deleted)
      implements CborSerializable {
    Message edited(String newText, Instant when) {
      return new Message(seq, messageId, sender, clientMsgId, newText, attachments, at, when, false);
    }

    Message tombstone(Instant when) {
      return new Message(seq, messageId, sender, clientMsgId, null, List.of(), at, when, true);
    }

    /** The message as clients see it. */
    public MessageView view(String conversationId) {
      return new MessageView(conversationId, seq, messageId, sender, text, attachments, at, editedAt, deleted);
    }
  }

  public record MemberInfo(String userId, Role role) implements CborSerializable {}

  public record Summary(
      String conversationId,
      ConversationType type,
      String name,
      String owner,
      int memberCount,
      long messageCount,
      long lastSeq,
      Instant createdAt,
      Message lastMessage)
      implements CborSerializable {}

  /** Members in user-id order; {@code nextAfter} is the cursor for the next page (null on the last one). */
  public record MembersPage(
      String conversationId, int memberCount, List<MemberInfo> members, String nextAfter)
      implements CborSerializable {}

  /** The ack of a send: the message's seq, id and time; {@code duplicate} when it repeats an earlier send. */
  public record MessageAccepted(
      String conversationId,
      String clientMsgId,
      long seq,
      String messageId,
      Instant at,
      boolean duplicate)
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
  public record Receipts(
      String conversationId,
      long seq,
      ConversationType type,
      List<String> seenBy,
      List<String> deliveredTo,
      Integer seenCount,
      Integer deliveredCount,
      Long views)
      implements CborSerializable {}

  // ------------------------------------------------------------------------------------------
  // Events (past tense), persisted before any reply.

  public sealed interface Event extends CborSerializable {}

  public record ConversationCreated(
      String conversationId,
      ConversationType type,
      String name,
      String owner,
      List<String> members,
      Instant at)
      implements Event {}

  /** Members joined when the conversation's last seq was {@code atSeq}: they start with everything up to it read. */
  public record MembersAdded(List<String> userIds, Role role, String by, long atSeq, Instant at)
      implements Event {}

  /** A member left or was removed; when the owner leaves, {@code newOwner} takes over (null if nobody is left). */
  public record MemberRemoved(String userId, String by, String newOwner, Instant at)
      implements Event {}

  public record TierChanged(ConversationType from, ConversationType to, int memberCount, Instant at)
      implements Event {}

  public record MessagePosted(
      long seq,
      String messageId,
      String sender,
      String clientMsgId,
      String text,
      List<Attachment> attachments,
      Instant at)
      implements Event {}

  public record MessageEdited(long seq, String by, String text, Instant at) implements Event {}

  public record MessageDeleted(long seq, String by, Instant at) implements Event {}

  // ------------------------------------------------------------------------------------------
  // State: immutable; persistent collections keep each event's update O(log n).

  public sealed interface State extends CborSerializable {}

  /** Before ConversationCreated: every command but Create answers not_found and persists nothing. */
  public enum NotCreated implements State {
    INSTANCE
  }

  /**
   * A member's role, the seq at which they joined (their unread count starts there), and the seq
   * of their last post (a read position they have certainly reached, known from the journal alone).
   */
  public record Member(Role role, long joinedSeq, long lastPostedSeq) {}

  /** What an idempotent resend needs to answer with the original ack. */
  public record Sent(String sender, String clientMsgId, long seq, String messageId, Instant at) {
    String key() {
      return dedupKey(sender, clientMsgId);
    }
  }

  static String dedupKey(String sender, String clientMsgId) {
    return sender + '\u0000' + clientMsgId;
  }

  /**
   * A created conversation. {@code members} is sorted by user id (for paging); {@code recent} holds
   * the last messages with consecutive seqs (deleted ones as tombstones); {@code sent} indexes the
   * client message ids of the last {@code dedup-window} messages, {@code sentOrder} is the same
   * entries oldest first (for eviction); {@code deletedSeqs} every deleted seq, ascending, so unread
   * counts skip them.
   */
  @JsonSerialize(converter = ActiveToSnapshot.class)
  @JsonDeserialize(converter = SnapshotToActive.class)
  public record Active(
      String id,
      ConversationType type,
      String name,
      String owner,
      Instant createdAt,
      PSortedMap<String, Member> members,
      long lastSeq,
      long messageCount,
      PVector<Message> recent,
      PMap<String, Sent> sent,
      PVector<Sent> sentOrder,
      PVector<Long> deletedSeqs)
      implements State {

    static Active created(ConversationCreated e) {
      PSortedMap<String, Member> members = TreePMap.empty();
      for (String m : e.members()) {
        members = members.plus(m, new Member(m.equals(e.owner()) ? Role.OWNER : Role.MEMBER, 0, 0));
      }
      return new Active(
          e.conversationId(), e.type(), e.name(), e.owner(), e.at(), members, 0, 0,
          TreePVector.empty(), HashTreePMap.empty(), TreePVector.empty(), TreePVector.empty());
    }

    Active apply(Event event, int recentWindow, int dedupWindow) {
      if (event instanceof MessagePosted e) {
        Message m = new Message(e.seq(), e.messageId(), e.sender(), e.clientMsgId(), e.text(),
            e.attachments(), e.at(), null, false);
        PVector<Message> r = recent.plus(m);
        while (r.size() > recentWindow) {
          r = r.minus(0);
        }
        PSortedMap<String, Member> ms = members;
        Member sender = members.get(e.sender());
        if (sender != null) {
          ms = ms.plus(e.sender(), new Member(sender.role(), sender.joinedSeq(), e.seq()));
        }
        Sent posted = new Sent(e.sender(), e.clientMsgId(), e.seq(), e.messageId(), e.at());
        PMap<String, Sent> index = sent.plus(posted.key(), posted);
        PVector<Sent> order = sentOrder.plus(posted);
        while (order.size() > dedupWindow) {
          Sent evicted = order.get(0);
          order = order.minus(0);
          Sent indexed = index.get(evicted.key());
          if (indexed != null && indexed.seq() == evicted.seq()) {
            index = index.minus(evicted.key());
          }
        }
        return new Active(id, type, name, owner, createdAt, ms, e.seq(), messageCount + 1, r,
            index, order, deletedSeqs);
      } else if (event instanceof MessageEdited e) {
        int i = indexInWindow(e.seq());
        PVector<Message> r = i < 0 ? recent : recent.with(i, recent.get(i).edited(e.text(), e.at()));
        return withRecent(r);
      } else if (event instanceof MessageDeleted e) {
        int i = indexInWindow(e.seq());
        PVector<Message> r = i < 0 ? recent : recent.with(i, recent.get(i).tombstone(e.at()));
        int at = firstAtLeast(deletedSeqs, e.seq());
        boolean already = at < deletedSeqs.size() && deletedSeqs.get(at) == e.seq();
        PVector<Long> d = already ? deletedSeqs : deletedSeqs.plus(at, e.seq());
        return new Active(id, type, name, owner, createdAt, members, lastSeq,
            already ? messageCount : messageCount - 1, r, sent, sentOrder, d);
      } else if (event instanceof MembersAdded e) {
        PSortedMap<String, Member> ms = members;
        for (String u : e.userIds()) {
          ms = ms.plus(u, new Member(e.role(), e.atSeq(), 0));
        }
        return withMembers(ms, owner);
      } else if (event instanceof MemberRemoved e) {
        PSortedMap<String, Member> ms = members.minus(e.userId());
        String newOwner = e.userId().equals(owner) ? null : owner;
        Member heir = e.newOwner() == null ? null : ms.get(e.newOwner());
        if (heir != null) {
          ms = ms.plus(e.newOwner(), new Member(Role.OWNER, heir.joinedSeq(), heir.lastPostedSeq()));
          newOwner = e.newOwner();
        }
        return withMembers(ms, newOwner);
      } else if (event instanceof TierChanged e) {
        return new Active(id, e.to(), name, owner, createdAt, members, lastSeq, messageCount,
            recent, sent, sentOrder, deletedSeqs);
      }
      throw new IllegalStateException("unexpected event for a created conversation: " + event);
    }

    private Active withRecent(PVector<Message> r) {
      return new Active(id, type, name, owner, createdAt, members, lastSeq, messageCount, r, sent,
          sentOrder, deletedSeqs);
    }

    private Active withMembers(PSortedMap<String, Member> ms, String newOwner) {
      return new Active(id, type, name, newOwner, createdAt, ms, lastSeq, messageCount, recent,
          sent, sentOrder, deletedSeqs);
    }

    // -- queries ------------------------------------------------------------------------------

    boolean isMember(String user) {
      return user != null && members.containsKey(user);
    }

    boolean moderates(String user) {
      Member m = user == null ? null : members.get(user);
      return m != null && m.role().moderates();
    }

    long firstSeqInWindow() {
      return recent.isEmpty() ? lastSeq + 1 : recent.get(0).seq();
    }

    int indexInWindow(long seq) {
      long i = seq - firstSeqInWindow();
      return i < 0 || i >= recent.size() ? -1 : (int) i;
    }

    Message messageAt(long seq) {
      int i = indexInWindow(seq);
      return i < 0 ? null : recent.get(i);
    }

    Sent sentBy(String sender, String clientMsgId) {
      return sent.get(dedupKey(sender, clientMsgId));
    }

    /** Deleted messages after {@code seq}: O(log² d) over the (usually empty) deleted list. */
    long deletedAfter(long seq) {
      return deletedSeqs.size() - firstAtLeast(deletedSeqs, seq + 1);
    }

    /** Index of the first element &gt;= {@code seq} in an ascending vector (its size if none); O(log² n), no iteration. */
    private static int firstAtLeast(PVector<Long> ascending, long seq) {
      int lo = 0;
      int hi = ascending.size();
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (ascending.get(mid) < seq) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      return lo;
    }

    /** The read position a member counts from for unread: their explicit reads, or where they joined. */
    long unreadFloor(String user) {
      Member m = members.get(user);
      return m == null ? 0 : m.joinedSeq();
    }

    Summary summary() {
      return new Summary(id, type, name, owner, members.size(), messageCount, lastSeq, createdAt,
          recent.isEmpty() ? null : recent.get(recent.size() - 1));
    }

    /** Members in user-id order after {@code after} (exclusive; null = from the start). */
    MembersPage membersAfter(String after, int limit) {
      var tail = (after == null ? members : members.tailMap(after, false)).entrySet().iterator();
      List<MemberInfo> page = new ArrayList<>();
      while (page.size() < limit && tail.hasNext()) {
        Map.Entry<String, Member> en = tail.next();
        page.add(new MemberInfo(en.getKey(), en.getValue().role()));
      }
      String next = tail.hasNext() ? page.get(page.size() - 1).userId() : null;
      return new MembersPage(id, members.size(), page, next);
    }

    MessageAccepted ackOf(Sent s, boolean duplicate) {
      return new MessageAccepted(id, s.clientMsgId(), s.seq(), s.messageId(), s.at(), duplicate);
    }

    // -- decisions ----------------------------------------------------------------------------

    static Decision decideCreate(String id, Create c, ConversationSettings cfg, Instant now) {
      if (c.type() == null) {
        return Decision.reject(ErrorCode.BAD_REQUEST, "a conversation needs a type");
      }
      String bad = checkId(c.owner(), "owner", cfg);
      if (bad != null) {
        return Decision.reject(ErrorCode.BAD_REQUEST, bad);
      }
      if (c.name() != null && c.name().length() > cfg.maxNameLength()) {
        return Decision.reject(ErrorCode.TOO_LARGE,
            "a conversation name has at most " + cfg.maxNameLength() + " characters");
      }
      List<String> requested = c.members() == null ? List.of() : c.members();
      if (requested.size() > cfg.maxMembersPerRequest()) {
        return Decision.reject(ErrorCode.BAD_REQUEST,
            "name at most " + cfg.maxMembersPerRequest() + " members per request; add more afterwards");
      }
      Set<String> all = new LinkedHashSet<>();
      all.add(c.owner());
      for (String m : requested) {
        bad = checkId(m, "member id", cfg);
        if (bad != null) {
          return Decision.reject(ErrorCode.BAD_REQUEST, bad);
        }
        all.add(m);
      }
      if (c.type() == ConversationType.PRIVATE && all.size() != 2) {
        return Decision.reject(ErrorCode.BAD_REQUEST,
            "a PRIVATE conversation has exactly two members, the owner and one other");
      }
      List<Event> events = new ArrayList<>(2);
      events.add(new ConversationCreated(id, c.type(), c.name(), c.owner(), List.copyOf(all), now));
      Decision tier = tierFor(c.type(), all.size(), cfg, now);
      if (tier.rejected()) {
        return tier;
      }
      events.addAll(tier.events());
      return Decision.accept(events);
    }

    /** Nothing when the count fits the tier; a TierChanged when a small group outgrows its limit; else a rejection. */
    private static Decision tierFor(ConversationType type, int count, ConversationSettings cfg, Instant now) {
      if (count <= cfg.limitOf(type)) {
        return Decision.none();
      }
      if (type == ConversationType.SMALL_GROUP && count <= cfg.limitOf(ConversationType.LARGE_GROUP)) {
        return Decision.accept(List.of(
            new TierChanged(ConversationType.SMALL_GROUP, ConversationType.LARGE_GROUP, count, now)));
      }
      ConversationType effective = type == ConversationType.SMALL_GROUP ? ConversationType.LARGE_GROUP : type;
      return Decision.reject(ErrorCode.LIMIT_EXCEEDED,
          "a " + effective + " holds at most " + cfg.limitOf(effective) + " members; this would make " + count);
    }

    Decision decideCreateAgain(Create c) {
      Set<String> asked = new LinkedHashSet<>();
      asked.add(c.owner());
      if (c.members() != null) {
        asked.addAll(c.members());
      }
      boolean sameTier = type == c.type()
          || (c.type() == ConversationType.SMALL_GROUP && type == ConversationType.LARGE_GROUP);
      boolean same = type == ConversationType.PRIVATE
          ? sameTier && asked.equals(members.keySet())
          : sameTier && c.owner() != null && c.owner().equals(owner) && members.keySet().containsAll(asked);
      return same ? Decision.none()
          : Decision.reject(ErrorCode.CONFLICT, "conversation " + id + " already exists with other members or type");
    }

    Decision decideAdd(AddMembers c, ConversationSettings cfg, Instant now) {
      if (!isMember(c.requester())) {
        return notMember();
      }
      if (type == ConversationType.PRIVATE) {
        return Decision.reject(ErrorCode.LIMIT_EXCEEDED, "a PRIVATE conversation has exactly two members");
      }
      Role role = c.role() == null ? Role.MEMBER : c.role();
      if (role == Role.OWNER) {
        return Decision.reject(ErrorCode.BAD_REQUEST, "a conversation has one owner; add members as MEMBER or ADMIN");
      }
      if (role == Role.ADMIN && !c.requester().equals(owner)) {
        return Decision.reject(ErrorCode.FORBIDDEN, "only the owner adds admins");
      }
      if (type == ConversationType.CHANNEL && !moderates(c.requester())) {
        return Decision.reject(ErrorCode.FORBIDDEN, "only the owner and admins add members to a CHANNEL");
      }
      List<String> ids = c.userIds() == null ? List.of() : c.userIds();
      if (ids.isEmpty()) {
        return Decision.reject(ErrorCode.BAD_REQUEST, "name at least one user to add");
      }
      if (ids.size() > cfg.maxMembersPerRequest()) {
        return Decision.reject(ErrorCode.BAD_REQUEST, "add at most " + cfg.maxMembersPerRequest() + " members per request");
      }
      Set<String> fresh = new LinkedHashSet<>();
      for (String u : ids) {
        String bad = checkId(u, "user id", cfg);
        if (bad != null) {
          return Decision.reject(ErrorCode.BAD_REQUEST, bad);
        }
        if (!members.containsKey(u)) {
          fresh.add(u);
        }
      }
      if (fresh.isEmpty()) {
        return Decision.none();
      }
      Decision tier = tierFor(type, members.size() + fresh.size(), cfg, now);
      if (tier.rejected()) {
        return tier;
      }
      List<Event> events = new ArrayList<>(2);
      events.add(new MembersAdded(List.copyOf(fresh), role, c.requester(), lastSeq, now));
      events.addAll(tier.events());
      return Decision.accept(events);
    }

    Decision decideRemove(RemoveMember c, Instant now) {
      if (!isMember(c.requester())) {
        return notMember();
      }
      Member target = c.userId() == null ? null : members.get(c.userId());
      if (target == null) {
        return Decision.reject(ErrorCode.NOT_FOUND, "user " + c.userId() + " is not a member");
      }
      if (type == ConversationType.PRIVATE) {
        return Decision.reject(ErrorCode.FORBIDDEN, "members of a PRIVATE conversation cannot be removed");
      }
      boolean self = c.requester().equals(c.userId());
      if (!self) {
        Role by = members.get(c.requester()).role();
        if (!by.moderates()) {
          return Decision.reject(ErrorCode.FORBIDDEN, "only the owner and admins remove other members");
        }
        if (target.role() == Role.OWNER || (target.role() == Role.ADMIN && by != Role.OWNER)) {
          return Decision.reject(ErrorCode.FORBIDDEN, "an admin cannot remove the owner or another admin");
        }
      }
      String heir = target.role() == Role.OWNER ? heirExcept(c.userId()) : null;
      return Decision.accept(List.of(new MemberRemoved(c.userId(), c.requester(), heir, now)));
    }

    /** The next owner when the owner leaves: the longest-standing admin, else the longest-standing member. */
    private String heirExcept(String leaving) {
      Comparator<Map.Entry<String, Member>> seniority =
          Comparator.comparing((Map.Entry<String, Member> en) -> en.getValue().role() != Role.ADMIN)
              .thenComparingLong(en -> en.getValue().joinedSeq())
              .thenComparing(Map.Entry::getKey);
      return members.entrySet().stream()
          .filter(en -> !en.getKey().equals(leaving))
          .min(seniority)
          .map(Map.Entry::getKey)
          .orElse(null);
    }

    Decision decidePost(PostMessage c, ConversationSettings cfg, Instant now) {
      if (!isMember(c.sender())) {
        return notMember();
      }
      if (type == ConversationType.CHANNEL && !moderates(c.sender())) {
        return Decision.reject(ErrorCode.FORBIDDEN, "only the owner and admins post in a CHANNEL");
      }
      String bad = checkId(c.clientMsgId(), "clientMsgId", cfg);
      if (bad != null) {
        return Decision.reject(ErrorCode.BAD_REQUEST, bad);
      }
      List<Attachment> attachments = c.attachments() == null ? List.of() : c.attachments();
      Decision content = checkContent(c.text(), attachments, cfg);
      if (content != null) {
        return content;
      }
      return Decision.accept(List.of(new MessagePosted(lastSeq + 1, UUID.randomUUID().toString(),
          c.sender(), c.clientMsgId(), c.text() == null ? "" : c.text(), List.copyOf(attachments), now)));
    }

    Decision decideEdit(EditMessage c, ConversationSettings cfg, Instant now) {
      Decision target = checkTarget(c.requester(), c.seq(), "edited");
      if (target != null) {
        return target;
      }
      Message m = messageAt(c.seq());
      if (!m.sender().equals(c.requester())) {
        return Decision.reject(ErrorCode.FORBIDDEN, "only the sender edits a message");
      }
      if (m.deleted()) {
        return Decision.reject(ErrorCode.NOT_EDITABLE, "message " + c.seq() + " was deleted");
      }
      Decision content = checkContent(c.text(), m.attachments(), cfg);
      if (content != null) {
        return content;
      }
      String text = c.text() == null ? "" : c.text();
      if (text.equals(m.text())) {
        return Decision.none();
      }
      return Decision.accept(List.of(new MessageEdited(c.seq(), c.requester(), text, now)));
    }

    Decision decideDelete(DeleteMessage c, Instant now) {
      Decision target = checkTarget(c.requester(), c.seq(), "deleted");
      if (target != null) {
        return target;
      }
      Message m = messageAt(c.seq());
      if (!m.sender().equals(c.requester()) && !moderates(c.requester())) {
        return Decision.reject(ErrorCode.FORBIDDEN, "only the sender, the owner or an admin deletes a message");
      }
      if (m.deleted()) {
        return Decision.none();
      }
      return Decision.accept(List.of(new MessageDeleted(c.seq(), c.requester(), now)));
    }

    /** Null when the requester is a member and seq names a message in the recent window; else why it cannot be changed. */
    private Decision checkTarget(String requester, long seq, String verb) {
      if (!isMember(requester)) {
        return notMember();
      }
      if (seq < 1 || seq > lastSeq) {
        return Decision.reject(ErrorCode.NOT_FOUND, "no message with seq " + seq);
      }
      if (indexInWindow(seq) < 0) {
        return Decision.reject(ErrorCode.NOT_EDITABLE,
            "only the last " + recent.size() + " messages can be " + verb);
      }
      return null;
    }

    private static Decision checkContent(String text, List<Attachment> attachments, ConversationSettings cfg) {
      String t = text == null ? "" : text;
      if (t.isBlank() && attachments.isEmpty()) {
        return Decision.reject(ErrorCode.BAD_REQUEST, "a message needs text or an attachment");
      }
      if (t.length() > cfg.maxTextLength() && t.codePointCount(0, t.length()) > cfg.maxTextLength()) {
        return Decision.reject(ErrorCode.TOO_LARGE,
            "message text has at most " + cfg.maxTextLength() + " characters");
      }
      if (attachments.size() > cfg.maxAttachments()) {
        return Decision.reject(ErrorCode.BAD_REQUEST,
            "a message has at most " + cfg.maxAttachments() + " attachments");
      }
      for (Attachment a : attachments) {
        if (a == null || a.url() == null
            || !(a.url().startsWith("https://") || a.url().startsWith("http://"))) {
          return Decision.reject(ErrorCode.BAD_REQUEST, "an attachment url must be http or https");
        }
        if (a.url().length() > cfg.maxUrlLength()) {
          return Decision.reject(ErrorCode.TOO_LARGE, "an attachment url has at most " + cfg.maxUrlLength() + " characters");
        }
        if (a.mime() == null || a.mime().indexOf('/') <= 0 || a.mime().length() > MAX_MIME_LENGTH || a.size() < 0) {
          return Decision.reject(ErrorCode.BAD_REQUEST,
              "an attachment needs a media type like image/png and a size >= 0");
        }
      }
      return null;
    }

    private static String checkId(String value, String what, ConversationSettings cfg) {
      if (value == null || value.isBlank()) {
        return "missing " + what;
      }
      if (value.length() > cfg.maxIdLength()) {
        return what + " has at most " + cfg.maxIdLength() + " characters";
      }
      return null;
    }

    private static Decision notMember() {
      return Decision.reject(ErrorCode.FORBIDDEN, NOT_A_MEMBER);
    }
  }

  static final String NOT_A_MEMBER = "not a member of this conversation";

  /** Longest media type accepted (RFC 6838 caps type and subtype at 127 characters each). */
  static final int MAX_MIME_LENGTH = 255;

  /** What a command leads to: events to persist (possibly none), or a rejection that persists nothing. */
  record Decision(List<Event> events, ErrorCode code, String message) {
    static Decision accept(List<Event> events) {
      return new Decision(events, null, null);
    }

    static Decision none() {
      return new Decision(List.of(), null, null);
    }

    static Decision reject(ErrorCode code, String message) {
      return new Decision(List.of(), code, message);
    }

    boolean rejected() {
      return code != null;
    }
  }

  // -- snapshot form: plain lists, so a snapshot does not depend on the in-memory collections ---

  /** The serialized form of {@link Active}. */
  public record ActiveSnapshot(
      String id,
      ConversationType type,
      String name,
      String owner,
      Instant createdAt,
      List<SnapshotMember> members,
      long lastSeq,
      long messageCount,
      List<Message> recent,
      List<SnapshotSent> sent,
      List<Long> deletedSeqs) {}

  public record SnapshotMember(String userId, Role role, long joinedSeq, long lastPostedSeq) {}

  public record SnapshotSent(String sender, String clientMsgId, long seq, String messageId, Instant at) {}

  static final class ActiveToSnapshot extends StdConverter<Active, ActiveSnapshot> {
    @Override
    public ActiveSnapshot convert(Active a) {
      List<SnapshotMember> ms = new ArrayList<>(a.members().size());
      a.members().forEach((u, m) -> ms.add(new SnapshotMember(u, m.role(), m.joinedSeq(), m.lastPostedSeq())));
      List<SnapshotSent> sent = new ArrayList<>(a.sentOrder().size());
      a.sentOrder().forEach(x -> sent.add(new SnapshotSent(x.sender(), x.clientMsgId(), x.seq(), x.messageId(), x.at())));
      return new ActiveSnapshot(a.id(), a.type(), a.name(), a.owner(), a.createdAt(), ms,
          a.lastSeq(), a.messageCount(), List.copyOf(a.recent()), sent, List.copyOf(a.deletedSeqs()));
    }
  }

  static final class SnapshotToActive extends StdConverter<ActiveSnapshot, Active> {
    @Override
    public Active convert(ActiveSnapshot s) {
      PSortedMap<String, Member> ms = TreePMap.empty();
      for (SnapshotMember m : s.members()) {
        ms = ms.plus(m.userId(), new Member(m.role(), m.joinedSeq(), m.lastPostedSeq()));
      }
      PMap<String, Sent> index = HashTreePMap.empty();
      List<Sent> order = new ArrayList<>(s.sent().size());
      for (SnapshotSent x : s.sent()) {
        Sent sent = new Sent(x.sender(), x.clientMsgId(), x.seq(), x.messageId(), x.at());
        order.add(sent);
        index = index.plus(sent.key(), sent);
      }
      return new Active(s.id(), s.type(), s.name(), s.owner(), s.createdAt(), ms, s.lastSeq(),
          s.messageCount(), TreePVector.from(s.recent()), index, TreePVector.from(order),
          TreePVector.from(s.deletedSeqs()));
    }
  }

  // ------------------------------------------------------------------------------------------
  // Sharding and construction.

  /**
   * What an entity uses besides its journal: the live feed's settings and the node's hubs, where
   * receipts go (and are restored from), and the recent-message cache.
   */
  public record Services(LiveSettings live, HubDirectory hubs, ReceiptSink receipts, ReceiptSettings receiptSettings,
      MessageCache cache, CacheSettings cacheSettings) {
    /** For tests of the entity alone: no hubs, receipts and cache writes go nowhere. */
    public static Services none() {
      return new Services(LiveSettings.DEFAULTS, HubDirectory.NONE, ReceiptSink.NONE, ReceiptSettings.DEFAULTS,
          MessageCache.NONE, CacheSettings.DEFAULTS);
    }
  }

  /** Starts (or joins) the conversation shard region on this node. */
  public static ActorRef<ShardingEnvelope<Command>> init(ActorSystem<?> system, ConversationSettings settings,
      Services services, Clock clock) {
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
    return create(conversationId, settings, Services.none(), clock, null);
  }

  /** The entity outside sharding with the given services (tests of flushing and restoring). */
  public static Behavior<Command> create(String conversationId, ConversationSettings settings, Services services,
      Clock clock) {
    return create(conversationId, settings, services, clock, null);
  }

  static Behavior<Command> create(String conversationId, ConversationSettings settings, Services services,
      Clock clock, ActorRef<ClusterSharding.ShardCommand> shard) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new ConversationEntity(
        conversationId, settings, clock, ctx, timers, new LiveFeed(conversationId, services.live(), clock),
        services, shard)));
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
  private final ActorRef<Command> self;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final ReadPositions positions = new ReadPositions();
  private final Set<String> tags;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final LiveFeed live;
  private final HubDirectory hubDirectory;
  private final ReceiptSink receipts;
  private final ReceiptSettings receiptSettings;
  private final MessageCache cache;
  private final CacheSettings cacheSettings;
  /** False from recovery until the stored positions are restored; commands wait in the stash meanwhile. */
  private boolean positionsLoaded = true;
  private boolean flushInFlight;
  private boolean cacheStale;

  private ConversationEntity(String conversationId, ConversationSettings settings, Clock clock,
      ActorContext<Command> ctx, TimerScheduler<Command> timers, LiveFeed live, Services services,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    super(persistenceIdOf(conversationId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.conversationId = conversationId;
    this.settings = settings;
    this.clock = clock;
    this.self = ctx.getSelf();
    this.ctx = ctx;
    this.timers = timers;
    this.live = live;
    this.hubDirectory = services.hubs();
    this.receipts = services.receipts();
    this.receiptSettings = services.receiptSettings();
    this.cache = services.cache();
    this.cacheSettings = services.cacheSettings();
    this.shard = shard;
    this.tags = Set.of("conversation-" + Math.floorMod(conversationId.hashCode(), TAG_COUNT));
  }

  @Override
  public State emptyState() {
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
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.class, (state, signal) -> {
          // Also runs after a restart-with-backoff in this same instance: positions of members
          // still present are kept (and raised to their floor), those of departed ones dropped.
          Map<String, Long> floors = new java.util.HashMap<>();
          if (state instanceof Active a) {
            a.members().forEach((u, m) -> floors.put(u, m.lastPostedSeq()));
          }
          positions.retainOnly(floors);
          if (state instanceof Active a) {
            positionsLoaded = false;
            loadPositions();
            live.announceStart(hubDirectory.hubs());
            // The cached entry may be stale: a write that failed while Redis was down, and whose
            // repair this conversation's previous incarnation did not live to make. Rewrite it.
            cacheStale = true;
            writeCache(cache.replaced(conversationId, windowViews(a), a.lastSeq()), true);
          }
        })
        .build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> b = newCommandHandlerWithReplyBuilder();
    b.forStateType(NotCreated.class)
        .onCommand(Create.class, (s, c) -> decided(c,
            Active.decideCreate(conversationId, c, settings, clock.instant()), Active::summary))
        .onCommand(Passivate.class, (s, c) -> Effect().stop().thenNoReply())
        .onAnyCommand((s, c) -> c instanceof ReplyingCommand<?> r ? notFound(r) : passivateUnknown());
    b.forStateType(Active.class)
        .onCommand(Create.class, (s, c) -> decided(c, s.decideCreateAgain(c), Active::summary))
        .onCommand(AddMembers.class, (s, c) -> decided(c, s.decideAdd(c, settings, clock.instant()), Active::summary))
        .onCommand(RemoveMember.class, (s, c) -> decided(c, s.decideRemove(c, clock.instant()), Active::summary))
        .onCommand(PostMessage.class, this::onPost)
        .onCommand(EditMessage.class, (s, c) -> decided(c, s.decideEdit(c, settings, clock.instant()),
            a -> a.messageAt(c.seq())))
        .onCommand(DeleteMessage.class, (s, c) -> decided(c, s.decideDelete(c, clock.instant()),
            a -> a.messageAt(c.seq())))
        .onCommand(MarkRead.class, (s, c) -> onMark(s, c, c.user(), c.upTo(), true))
        .onCommand(MarkDelivered.class, (s, c) -> onMark(s, c, c.user(), c.upTo(), false))
        .onCommand(GetUnread.class, (s, c) -> s.isMember(c.user())
            ? Effect().reply(c.replyTo(), StatusReply.success(positionOf(s, c.user())))
            : notAMember(c))
        .onCommand(GetHistory.class, this::onHistory)
        .onCommand(GetReceipts.class, this::onReceipts)
        .onCommand(GetSummary.class, (s, c) -> s.isMember(c.requester())
            ? Effect().reply(c.replyTo(), StatusReply.success(s.summary()))
            : notAMember(c))
        .onCommand(GetMembers.class, (s, c) -> s.isMember(c.requester())
            ? Effect().reply(c.replyTo(), StatusReply.success(s.membersAfter(c.afterUserId(),
                c.limit() <= 0 ? MAX_MEMBERS_PAGE : Math.min(c.limit(), MAX_MEMBERS_PAGE))))
            : notAMember(c))
        .onCommand(Subscribe.class, this::onSubscribe)
        .onCommand(Unsubscribe.class, (s, c) -> {
          live.removeHub(s, c.hub());
          ctx.unwatch(c.hub());
          return Effect().noReply();
        })
        .onCommand(SetPresence.class, (s, c) -> {
          live.setPresence(s, c.hub(), c.userId(), c.online());
          return Effect().noReply();
        })
        .onCommand(HubGone.class, (s, c) -> {
          live.removeHub(s, c.hub());
          return Effect().noReply();
        })
        .onCommand(Typing.class, (s, c) -> {
          if (!s.isMember(c.user())) {
            return notAMember(c);
          }
          if (live.typing(s, c.user())) {
            scheduleTick();
          }
          return Effect().reply(c.replyTo(), StatusReply.success(Done.getInstance()));
        })
        .onCommand(LiveTick.class, (s, c) -> {
          long due = live.takeDueReceiptSeq();
          if (due > 0 && s.messageAt(due) != null) {
            live.publishReceipts(receiptsOf(s, due));
          }
          if (live.tick(s)) {
            scheduleTick();
          }
          return Effect().noReply();
        })
        .onCommand(FlushTick.class, (s, c) -> {
          flush(s);
          return Effect().noReply();
        })
        .onCommand(FlushDone.class, (s, c) -> {
          flushInFlight = false;
          if (c.ok()) {
            positions.flushed(c.entries());
          } else {
            positions.redirty(c.entries());
          }
          positionsChanged(s);
          return Effect().noReply();
        })
        .onCommand(PositionsLoaded.class, this::onPositionsLoaded)
        .onCommand(LoadPositions.class, (s, c) -> {
          loadPositions();
          return Effect().noReply();
        })
        .onCommand(CacheWriteFailed.class, (s, c) -> {
          cacheStale = true;
          if (!timers.isTimerActive(CacheRepair.INSTANCE)) {
            timers.startSingleTimer(CacheRepair.INSTANCE, cacheSettings.repairInterval());
          }
          return Effect().noReply();
        })
        .onCommand(CacheRepair.class, (s, c) -> {
          if (cacheStale) {
            writeCache(cache.replaced(conversationId, windowViews(s), s.lastSeq()), true);
          }
          return Effect().noReply();
        })
        .onCommand(CacheRepaired.class, (s, c) -> {
          cacheStale = false;
          return Effect().noReply();
        })
        .onCommand(Passivate.class, (s, c) -> {
          // Passivation, shard hand-off and coordinated shutdown all end here: hand over what moved.
          flushOnStop(s);
          return Effect().stop().thenNoReply();
        });
    CommandHandlerWithReply<Command, Event, State> handler = b.build();
    return (state, command) -> !positionsLoaded && state instanceof Active && waitsForPositions(command)
        ? Effect().stash()
        : handler.apply(state, command);
  }

  /** Until the stored positions are back, every command but the load's own and passivation waits. */
  private static boolean waitsForPositions(Command c) {
    return !(c instanceof PositionsLoaded || c instanceof LoadPositions || c instanceof Passivate);
  }

  private void loadPositions() {
    ctx.pipeToSelf(receipts.positionsOf(conversationId), (stored, failure) -> new PositionsLoaded(stored, failure));
  }

  private ReplyEffect<Event, State> onPositionsLoaded(Active s, PositionsLoaded c) {
    if (c.failure() != null) {
      ctx.getLog().warn("Conversation {}: cannot restore read positions yet ({}); commands wait, retrying in 1s",
          conversationId, c.failure().toString());
      timers.startSingleTimer(LoadPositions.INSTANCE, Duration.ofSeconds(1));
      return Effect().noReply();
    }
    positions.restore(c.stored());
    positionsLoaded = true;
    // thenUnstashAll() is typed as a plain Effect; pekko's effects are all builders, so say "no reply" on it.
    return ((org.apache.pekko.persistence.typed.javadsl.EffectBuilder<Event, State>) Effect().none().thenUnstashAll())
        .thenNoReply();
  }

  /** After positions moved: flush now when many members are dirty, else within the flush interval. */
  private void positionsChanged(Active s) {
    int dirty = positions.dirtyCount();
    if (dirty == 0) {
      return;
    }
    if (dirty >= receiptSettings.flushMax() && !flushInFlight) {
      flush(s);
    } else if (!timers.isTimerActive(FlushTick.INSTANCE)) {
      timers.startSingleTimer(FlushTick.INSTANCE, receiptSettings.flushInterval());
    }
  }

  /** Hands the dirty positions to the sink; at most one batch of this conversation is in flight. */
  private void flush(Active s) {
    if (flushInFlight) {
      return;
    }
    List<ReadPositions.Dirty> dirty = positions.drainDirty();
    if (dirty.isEmpty()) {
      return;
    }
    flushInFlight = true;
    ctx.pipeToSelf(receipts.submit(batchOf(s, dirty)), (done, failure) -> {
      if (failure != null) {
        ctx.getLog().warn("Conversation {}: receipt flush failed ({}); kept for the next flush",
            conversationId, failure.toString());
      }
      return new FlushDone(dirty, failure == null);
    });
  }

  /** On stop: whatever moved goes to the sink, which outlives this actor (its answer is not awaited). */
  private void flushOnStop(Active s) {
    List<ReadPositions.Dirty> dirty = positions.drainDirty();
    if (!dirty.isEmpty()) {
      receipts.submit(batchOf(s, dirty)).whenComplete((done, failure) -> {
        if (failure != null) {
          org.slf4j.LoggerFactory.getLogger(ConversationEntity.class).error(
              "Conversation {}: read positions of {} members lost at stop: {}", conversationId, dirty.size(),
              failure.toString());
        }
      });
    }
  }

  /**
   * The batch for these members: their positions; per-message rows (PRIVATE, SMALL_GROUP) for the
   * messages in the window between what is stored and where they are now, never for their own or
   * deleted messages; for a CHANNEL the absolute view counts of the messages whose count moved.
   */
  private ReceiptBatch batchOf(Active s, List<ReadPositions.Dirty> dirty) {
    List<ReceiptBatch.Position> ps = new ArrayList<>(dirty.size());
    List<ReceiptBatch.MessageRead> reads = new ArrayList<>();
    List<ReceiptBatch.ChannelView> views = new ArrayList<>();
    long first = s.firstSeqInWindow();
    long lowest = Long.MAX_VALUE;
    long highest = 0;
    for (ReadPositions.Dirty d : dirty) {
      ps.add(new ReceiptBatch.Position(d.user(), d.read(), d.delivered()));
      lowest = Math.min(lowest, d.flushedRead());
      highest = Math.max(highest, d.read());
      if (s.type() == ConversationType.PRIVATE || s.type() == ConversationType.SMALL_GROUP) {
        long upTo = Math.max(d.read(), d.delivered());
        for (long seq = Math.max(d.flushedRead(), first - 1) + 1; seq <= upTo; seq++) {
          Message m = s.messageAt(seq);
          if (m == null || m.deleted() || m.sender().equals(d.user())) {
            continue;
          }
          if (seq <= d.read()) {
            reads.add(new ReceiptBatch.MessageRead(seq, d.user(), true));
          } else if (seq > d.flushedDelivered()) {
            reads.add(new ReceiptBatch.MessageRead(seq, d.user(), false));
          }
        }
      }
    }
    if (s.type() == ConversationType.CHANNEL) {
      for (long seq = Math.max(lowest, first - 1) + 1; seq <= highest; seq++) {
        if (s.messageAt(seq) != null) {
          views.add(new ReceiptBatch.ChannelView(seq, receiptsOf(s, seq).views()));
        }
      }
    }
    return new ReceiptBatch(conversationId, s.type(), clock.instant(), ps, reads, views);
  }

  /** The window's newest messages as the cache holds them. */
  private List<MessageView> windowViews(Active s) {
    int from = Math.max(0, s.recent().size() - cacheSettings.recentSize());
    List<MessageView> out = new ArrayList<>(s.recent().size() - from);
    for (int i = from; i < s.recent().size(); i++) {
      out.add(s.recent().get(i).view(conversationId));
    }
    return out;
  }

  /** Tells this actor when a cache write failed (or a repair succeeded); never blocks. */
  private void writeCache(java.util.concurrent.CompletionStage<Void> write, boolean repair) {
    write.whenComplete((v, failure) -> {
      if (failure != null) {
        self.tell(CacheWriteFailed.INSTANCE);
      } else if (repair) {
        self.tell(CacheRepaired.INSTANCE);
      }
    });
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent((state, event) -> {
      if (state instanceof Active a) {
        return a.apply(event, settings.recentWindow(), settings.dedupWindow());
      }
      if (event instanceof ConversationCreated created) {
        return Active.created(created);
      }
      throw new IllegalStateException("event before ConversationCreated: " + event);
    });
  }

  // -- handlers ------------------------------------------------------------------------------

  private ReplyEffect<Event, State> onPost(Active s, PostMessage c) {
    Sent earlier = s.isMember(c.sender()) && c.clientMsgId() != null ? s.sentBy(c.sender(), c.clientMsgId()) : null;
    if (earlier != null) {
      return Effect().reply(c.replyTo(), StatusReply.success(s.ackOf(earlier, true)));
    }
    Decision d = s.decidePost(c, settings, clock.instant());
    return decided(c, d, a -> a.ackOf(a.sentBy(c.sender(), c.clientMsgId()), false));
  }

  private ReplyEffect<Event, State> onMark(Active s, ReplyingCommand<ReadPosition> c, String user, long upTo, boolean read) {
    if (!s.isMember(user)) {
      return notAMember(c);
    }
    if (upTo < 0) {
      return reject(c, ErrorCode.BAD_REQUEST, "upTo must be >= 0");
    }
    long clamped = Math.min(upTo, s.lastSeq());
    if (read) {
      long before = positions.readOf(user);
      positions.markRead(user, clamped);
      ReadPosition now = positionOf(s, user);
      if (positions.readOf(user) > before && now.readSeq() > 0 && s.messageAt(now.readSeq()) != null) {
        boolean named = s.type() == ConversationType.PRIVATE || s.type() == ConversationType.SMALL_GROUP;
        if (live.read(s, now, named ? receiptsOf(s, now.readSeq()) : null)) {
          scheduleTick();
        }
      }
      positionsChanged(s);
      return Effect().reply(c.replyTo(), StatusReply.success(now));
    }
    positions.markDelivered(user, clamped);
    positionsChanged(s);
    return Effect().reply(c.replyTo(), StatusReply.success(positionOf(s, user)));
  }

  private ReplyEffect<Event, State> onSubscribe(Active s, Subscribe c) {
    boolean watched = live.isWatched(c.hub());
    List<String> notMembers = c.users().stream().filter(u -> !s.isMember(u)).toList();
    live.subscribe(s, c.hub(), c.users(), c.sinceSeq());
    if (!watched && live.isWatched(c.hub())) {
      ctx.watchWith(c.hub(), new HubGone(c.hub()));
    }
    return Effect().reply(c.replyTo(), StatusReply.success(
        new Subscription(conversationId, s.type(), s.lastSeq(), live.onlineMembers(s), notMembers)));
  }

  private void scheduleTick() {
    if (!timers.isTimerActive(LiveTick.INSTANCE)) {
      timers.startSingleTimer(LiveTick.INSTANCE, live.settings().coalesceInterval());
    }
  }

  /** Positions as the member sees them: never below the seq at which they joined. */
  private ReadPosition positionOf(Active s, String user) {
    long floor = s.unreadFloor(user);
    long read = Math.max(positions.readOf(user), floor);
    long delivered = Math.max(positions.deliveredOf(user), floor);
    long unread = s.lastSeq() - read - s.deletedAfter(read);
    return new ReadPosition(conversationId, user, read, delivered, s.lastSeq(), unread);
  }

  private ReplyEffect<Event, State> onHistory(Active s, GetHistory c) {
    if (!s.isMember(c.requester())) {
      return notAMember(c);
    }
    if (c.beforeSeq() != null && c.afterSeq() != null) {
      return reject(c, ErrorCode.BAD_REQUEST, "give beforeSeq or afterSeq, not both");
    }
    if ((c.afterSeq() != null && c.afterSeq() < 0) || (c.beforeSeq() != null && c.beforeSeq() < 1)) {
      return reject(c, ErrorCode.BAD_REQUEST, "afterSeq must be >= 0 and beforeSeq >= 1");
    }
    int limit = c.limit() <= 0 ? Math.min(DEFAULT_HISTORY_PAGE, settings.maxHistoryPage()) : Math.min(c.limit(), settings.maxHistoryPage());
    long first = s.firstSeqInWindow();
    long from;
    long to;
    if (c.afterSeq() != null) {
      from = Math.min(c.afterSeq(), s.lastSeq()) + 1;
      to = Math.min(s.lastSeq(), from + limit - 1);
    } else {
      to = c.beforeSeq() == null ? s.lastSeq() : Math.min(c.beforeSeq() - 1, s.lastSeq());
      from = Math.max(1, to - limit + 1);
    }
    // A backward page may be cut at the window (the client pages on from its oldest message); a
    // forward page may not, or the client would skip the messages it is catching up on.
    boolean outside = c.afterSeq() != null ? from < first : to < first;
    if (from <= to && outside) {
      return reject(c, ErrorCode.NOT_IN_MEMORY, "messages before seq " + first + " are not held in memory");
    }
    List<Message> page = new ArrayList<>();
    for (long seq = Math.max(from, first); seq <= to; seq++) {
      page.add(s.messageAt(seq));
    }
    long oldest = page.isEmpty() ? Math.max(1, from) : page.get(0).seq();
    return Effect().reply(c.replyTo(), StatusReply.success(new HistorySlice(conversationId, page, oldest > 1)));
  }

  private ReplyEffect<Event, State> onReceipts(Active s, GetReceipts c) {
    if (!s.isMember(c.requester())) {
      return notAMember(c);
    }
    if (c.seq() < 1 || c.seq() > s.lastSeq()) {
      return reject(c, ErrorCode.NOT_FOUND, "no message with seq " + c.seq());
    }
    if (s.messageAt(c.seq()) == null) {
      return reject(c, ErrorCode.NOT_IN_MEMORY, "receipts are held for the last " + s.recent().size() + " messages");
    }
    return Effect().reply(c.replyTo(), StatusReply.success(receiptsOf(s, c.seq())));
  }

  /** Receipts of message {@code seq}, which must be in the window, in the tier's form. */
  private Receipts receiptsOf(Active s, long seq) {
    Message m = s.messageAt(seq);
    // The sender has read their own message; never count them.
    int sender = s.isMember(m.sender()) && positions.readOf(m.sender()) >= seq ? 1 : 0;
    return switch (s.type()) {
      case PRIVATE, SMALL_GROUP -> {
        List<String> seen = new ArrayList<>();
        List<String> delivered = new ArrayList<>();
        for (String u : s.members().keySet()) {
          if (u.equals(m.sender())) {
            continue;
          }
          if (positions.readOf(u) >= seq) {
            seen.add(u);
          }
          if (positions.deliveredOf(u) >= seq) {
            delivered.add(u);
          }
        }
        Collections.sort(seen);
        Collections.sort(delivered);
        yield new Receipts(conversationId, seq, s.type(), seen, delivered, null, null, null);
      }
      case LARGE_GROUP -> new Receipts(conversationId, seq, s.type(), null, null,
          positions.readersAtLeast(seq) - sender, positions.deliveredAtLeast(seq) - sender, null);
      case CHANNEL -> new Receipts(conversationId, seq, s.type(), null, null, null, null,
          (long) (positions.viewsAtLeast(seq) - sender));
    };
  }

  /** Persists the decision's events (if any), keeps read positions in step, then replies from the new state. */
  private <R> ReplyEffect<Event, State> decided(ReplyingCommand<R> c, Decision d, Function<Active, R> reply) {
    if (d.rejected()) {
      return reject(c, d.code(), d.message());
    }
    if (d.events().isEmpty()) {
      return Effect().none().thenReply(c.replyTo(), st -> StatusReply.success(reply.apply((Active) st)));
    }
    return Effect().persist(d.events())
        .thenRun(st -> {
          d.events().forEach(e -> {
            followPositions(e);
            publish((Active) st, e);
          });
          positionsChanged((Active) st);
        })
        .thenReply(c.replyTo(), st -> StatusReply.success(reply.apply((Active) st)));
  }

  /**
   * Membership and posting move read positions: joiners start with nothing read (their unread
   * count starts at the join seq, but they are not counted as readers of older messages until they
   * read them), leavers stop counting as readers (a channel keeps their views), a sender has read
   * their own message.
   */
  private void followPositions(Event e) {
    if (e instanceof ConversationCreated c) {
      c.members().forEach(u -> positions.track(u, 0));
    } else if (e instanceof MembersAdded a) {
      a.userIds().forEach(u -> positions.track(u, 0));
    } else if (e instanceof MemberRemoved r) {
      positions.untrack(r.userId());
    } else if (e instanceof MessagePosted p) {
      positions.markRead(p.sender(), p.seq());
    }
  }

  /** Tells subscribed hubs and the cache about a persisted event (messages, edits, deletions, departures). */
  private void publish(Active st, Event e) {
    if (e instanceof MessagePosted p) {
      live.messagePosted(st, p.seq());
      writeCache(cacheStale
          ? cache.replaced(conversationId, windowViews(st), st.lastSeq())
          : cache.appended(conversationId, st.messageAt(p.seq()).view(conversationId)), cacheStale);
    } else if (e instanceof MessageEdited ed) {
      live.messageEdited(ed);
      writeCache(cache.replaced(conversationId, windowViews(st), st.lastSeq()), cacheStale);
    } else if (e instanceof MessageDeleted del) {
      live.messageDeleted(del);
      writeCache(cache.replaced(conversationId, windowViews(st), st.lastSeq()), cacheStale);
    } else if (e instanceof MemberRemoved r) {
      live.memberRemoved(st, r.userId());
    }
  }

  /** Answers not_found and asks the shard to passivate this never-created entity, so probing ids costs no memory. */
  private <R> ReplyEffect<Event, State> notFound(ReplyingCommand<R> c) {
    return Effect().none()
        .thenRun(st -> {
          if (shard != null) {
            shard.tell(new ClusterSharding.Passivate<>(self));
          }
        })
        .thenReply(c.replyTo(), st -> Rejection.of(ErrorCode.NOT_FOUND, "no conversation " + conversationId));
  }

  /** A one-way command to a never-created conversation: nothing to do, and no reason to stay in memory. */
  private ReplyEffect<Event, State> passivateUnknown() {
    return Effect().none().thenRun(st -> {
      if (shard != null) {
        shard.tell(new ClusterSharding.Passivate<>(self));
      }
    }).thenNoReply();
  }

  private <R> ReplyEffect<Event, State> notAMember(ReplyingCommand<R> c) {
    return reject(c, ErrorCode.FORBIDDEN, NOT_A_MEMBER);
  }

  private <R> ReplyEffect<Event, State> reject(ReplyingCommand<R> c, ErrorCode code, String message) {
    return Effect().reply(c.replyTo(), Rejection.of(code, message));
  }
}

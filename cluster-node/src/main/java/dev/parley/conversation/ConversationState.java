package dev.parley.conversation;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import dev.parley.CborSerializable;
import dev.parley.conversation.ConversationEntity.ConversationCreated;
import dev.parley.conversation.ConversationEntity.MemberInfo;
import dev.parley.conversation.ConversationEntity.MemberRemoved;
import dev.parley.conversation.ConversationEntity.MembersAdded;
import dev.parley.conversation.ConversationEntity.MembersPage;
import dev.parley.conversation.ConversationEntity.Message;
import dev.parley.conversation.ConversationEntity.MessageAccepted;
import dev.parley.conversation.ConversationEntity.MessageDeleted;
import dev.parley.conversation.ConversationEntity.MessageEdited;
import dev.parley.conversation.ConversationEntity.MessagePosted;
import dev.parley.conversation.ConversationEntity.Summary;
import dev.parley.conversation.ConversationEntity.TierChanged;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.Role;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pcollections.HashTreePMap;
import org.pcollections.PMap;
import org.pcollections.PSortedMap;
import org.pcollections.PVector;
import org.pcollections.TreePMap;
import org.pcollections.TreePVector;

/**
 * What a conversation's journal rebuilds: before its creation nothing ({@link NotCreated}), after it
 * the {@link Active} conversation. Immutable; persistent collections keep each event's update
 * O(log n). Everything here survives a crash (journal + snapshots); read positions do not live here
 * (see {@link ReadPositions}).
 *
 * <p>Snapshots are written in the form of {@link ConversationSnapshot}; snapshots written while
 * these types were nested in {@code ConversationEntity} are read through
 * {@link ConversationSnapshot.StateClassRenamed}.
 */
public sealed interface ConversationState extends CborSerializable {

  /** Before ConversationCreated: every command but Create answers not_found and persists nothing. */
  enum NotCreated implements ConversationState {
    INSTANCE
  }

  /**
   * A member's role, the seq at which they joined (their unread count starts there), and the seq
   * of their last post (a read position they have certainly reached, known from the journal alone).
   */
  record Member(Role role, long joinedSeq, long lastPostedSeq) {}

  /** What an idempotent resend needs to answer with the original ack. */
  record Sent(String sender, String clientMsgId, long seq, String messageId, Instant at) {
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
  @JsonSerialize(converter = ConversationSnapshot.ToSnapshot.class)
  @JsonDeserialize(converter = ConversationSnapshot.FromSnapshot.class)
  record Active(
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
      implements ConversationState {

    // -- events: one method per event type, called by the entity's event handler ---------------

    static Active created(ConversationCreated e) {
      PSortedMap<String, Member> members = TreePMap.empty();
      for (String m : e.members()) {
        members = members.plus(m, new Member(m.equals(e.owner()) ? Role.OWNER : Role.MEMBER, 0, 0));
      }
      return new Active(
          e.conversationId(), e.type(), e.name(), e.owner(), e.at(), members, 0, 0,
          TreePVector.empty(), HashTreePMap.empty(), TreePVector.empty(), TreePVector.empty());
    }

    /** Appends to the window (dropping the oldest beyond {@code recentWindow}) and remembers the send for dedup. */
    Active posted(MessagePosted e, int recentWindow, int dedupWindow) {
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
    }

    /** The new text replaces the old one in the window (an edit outside the window changes nothing held). */
    Active edited(MessageEdited e) {
      int i = indexInWindow(e.seq());
      if (i < 0) {
        return this;
      }
      Message m = recent.get(i);
      return withRecent(recent.with(i, new Message(m.seq(), m.messageId(), m.sender(), m.clientMsgId(), e.text(),
          m.attachments(), m.at(), e.at(), false)));
    }

    /** A tombstone keeps the seq (no text, no attachments); unread counts skip it from now on. */

    Active deleted(MessageDeleted e) {
      int i = indexInWindow(e.seq());
      Message m = i < 0 ? null : recent.get(i);
      PVector<Message> r = m == null ? recent : recent.with(i, new Message(m.seq(), m.messageId(), m.sender(),
          m.clientMsgId(), null, List.of(), m.at(), e.at(), true));
      int at = firstAtLeast(deletedSeqs, e.seq());
      boolean already = at < deletedSeqs.size() && deletedSeqs.get(at) == e.seq();
      PVector<Long> d = already ? deletedSeqs : deletedSeqs.plus(at, e.seq());
      return new Active(id, type, name, owner, createdAt, members, lastSeq,
          already ? messageCount : messageCount - 1, r, sent, sentOrder, d);
    }

    Active membersAdded(MembersAdded e) {
      PSortedMap<String, Member> ms = members;
      for (String u : e.userIds()) {
        ms = ms.plus(u, new Member(e.role(), e.atSeq(), 0));
      }
      return withMembers(ms, owner);
    }

    /** The leaver is gone; when the owner left, the named heir becomes OWNER. */
    Active memberRemoved(MemberRemoved e) {
      PSortedMap<String, Member> ms = members.minus(e.userId());
      String newOwner = e.userId().equals(owner) ? null : owner;
      Member heir = e.newOwner() == null ? null : ms.get(e.newOwner());
      if (heir != null) {
        ms = ms.plus(e.newOwner(), new Member(Role.OWNER, heir.joinedSeq(), heir.lastPostedSeq()));
        newOwner = e.newOwner();
      }
      return withMembers(ms, newOwner);
    }

    Active tierChanged(TierChanged e) {
      return new Active(id, e.to(), name, owner, createdAt, members, lastSeq, messageCount,
          recent, sent, sentOrder, deletedSeqs);
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

    /** Whether the tier shows receipts by name (PRIVATE, SMALL_GROUP) and stores per-message rows. */
    boolean namesReaders() {
      return type == ConversationType.PRIVATE || type == ConversationType.SMALL_GROUP;
    }

    long firstSeqInWindow() {
      return recent.isEmpty() ? lastSeq + 1 : recent.get(0).seq();
    }

    int indexInWindow(long seq) {
      long i = seq - firstSeqInWindow();
      return i < 0 || i >= recent.size() ? -1 : (int) i;
    }

    /** The message with this seq, or null when it is not in the window. */
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
  }
}

package dev.parley.conversation;

import dev.parley.conversation.ConversationEntity.GetHistory;
import dev.parley.conversation.ConversationEntity.GetMembers;
import dev.parley.conversation.ConversationEntity.HistorySlice;
import dev.parley.conversation.ConversationEntity.MembersPage;
import dev.parley.conversation.ConversationEntity.Message;
import dev.parley.conversation.ConversationEntity.ReadPosition;
import dev.parley.conversation.ConversationEntity.Receipts;
import dev.parley.conversation.ConversationState.Active;
import dev.parley.protocol.ErrorCode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What members see of a conversation without changing it: their position and unread count, a
 * message's receipts in the tier's form, history pages and member pages. Pure functions of the
 * state and the in-memory {@link ReadPositions}; nothing here is persisted or sent.
 */
final class Reads {
  private Reads() {}

  static final int DEFAULT_HISTORY_PAGE = 50;
  static final int MAX_MEMBERS_PAGE = 1000;

  /** A query's reply, or why there is none. */
  record Answer<R>(R reply, ErrorCode code, String message) {
    static <R> Answer<R> of(R reply) {
      return new Answer<>(reply, null, null);
    }

    static <R> Answer<R> no(ErrorCode code, String message) {
      return new Answer<>(null, code, message);
    }
  }

  /** Positions as the member sees them: never below the seq at which they joined; unread skips deleted messages. */
  static ReadPosition positionOf(Active s, ReadPositions positions, String user) {
    long floor = s.unreadFloor(user);
    long read = Math.max(positions.readOf(user), floor);
    long delivered = Math.max(positions.deliveredOf(user), floor);
    long unread = s.lastSeq() - read - s.deletedAfter(read);
    return new ReadPosition(s.id(), user, read, delivered, s.lastSeq(), unread);
  }

  /** Receipts of message {@code seq}, which must be in the window, in the tier's form. */
  static Receipts receiptsOf(Active s, ReadPositions positions, long seq) {
    Message m = s.messageAt(seq);
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
        yield new Receipts(s.id(), seq, s.type(), seen, delivered, null, null, null);
      }
      case LARGE_GROUP -> {
        int sender = senderCounted(s, positions, m, seq);
        yield new Receipts(s.id(), seq, s.type(), null, null,
            positions.readersAtLeast(seq) - sender, positions.deliveredAtLeast(seq) - sender, null);
      }
      case CHANNEL -> new Receipts(s.id(), seq, s.type(), null, null, null, null, viewsOf(s, positions, seq));
    };
  }

  /** Views of channel message {@code seq} (in the window): readers at or past it, departed ones included, not its sender. */
  static long viewsOf(Active s, ReadPositions positions, long seq) {
    return positions.viewsAtLeast(seq) - senderCounted(s, positions, s.messageAt(seq), seq);
  }

  /** The sender has read their own message; never count them (1 when the counts include them). */
  private static int senderCounted(Active s, ReadPositions positions, Message m, long seq) {
    return s.isMember(m.sender()) && positions.readOf(m.sender()) >= seq ? 1 : 0;
  }

  static Answer<Receipts> receipts(Active s, ReadPositions positions, long seq) {
    if (seq < 1 || seq > s.lastSeq()) {
      return Answer.no(ErrorCode.NOT_FOUND, "no message with seq " + seq);
    }
    if (s.messageAt(seq) == null) {
      return Answer.no(ErrorCode.NOT_IN_MEMORY, "receipts are held for the last " + s.recent().size() + " messages");
    }
    return Answer.of(receiptsOf(s, positions, seq));
  }

  /**
   * A page from the window: before {@code beforeSeq} (newest page when both bounds are null) or
   * after {@code afterSeq}, ascending, at most {@code maxPage} long.
   */
  static Answer<HistorySlice> history(Active s, GetHistory c, int maxPage) {
    if (c.beforeSeq() != null && c.afterSeq() != null) {
      return Answer.no(ErrorCode.BAD_REQUEST, "give beforeSeq or afterSeq, not both");
    }
    if ((c.afterSeq() != null && c.afterSeq() < 0) || (c.beforeSeq() != null && c.beforeSeq() < 1)) {
      return Answer.no(ErrorCode.BAD_REQUEST, "afterSeq must be >= 0 and beforeSeq >= 1");
    }
    int limit = c.limit() <= 0 ? Math.min(DEFAULT_HISTORY_PAGE, maxPage) : Math.min(c.limit(), maxPage);
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
      return Answer.no(ErrorCode.NOT_IN_MEMORY, "messages before seq " + first + " are not held in memory");
    }
    List<Message> page = new ArrayList<>();
    for (long seq = Math.max(from, first); seq <= to; seq++) {
      page.add(s.messageAt(seq));
    }
    long oldest = page.isEmpty() ? Math.max(1, from) : page.get(0).seq();
    return Answer.of(new HistorySlice(s.id(), page, oldest > 1));
  }

  static MembersPage members(Active s, GetMembers c) {
    return s.membersAfter(c.afterUserId(), c.limit() <= 0 ? MAX_MEMBERS_PAGE : Math.min(c.limit(), MAX_MEMBERS_PAGE));
  }
}

package dev.parley.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.conversation.ConversationEntity.ConversationCreated;
import dev.parley.conversation.ConversationEntity.Event;
import dev.parley.conversation.ConversationEntity.MemberRemoved;
import dev.parley.conversation.ConversationEntity.MembersAdded;
import dev.parley.conversation.ConversationEntity.MessageDeleted;
import dev.parley.conversation.ConversationEntity.MessageEdited;
import dev.parley.conversation.ConversationEntity.MessagePosted;
import dev.parley.conversation.ConversationEntity.TierChanged;
import dev.parley.conversation.ConversationState.Active;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.Role;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The state's event methods and queries, without an actor system. */
class ConversationStateTest {
  static final Instant T = Instant.parse("2026-11-24T10:00:00Z");
  static final int WINDOW = 200;
  static final int DEDUP = 128;

  /** Applies events the way the entity's event handler does (first one a ConversationCreated). */
  static Active replay(List<? extends Event> events) {
    return replay(events, WINDOW, DEDUP);
  }

  static Active replay(List<? extends Event> events, int window, int dedup) {
    Active s = Active.created((ConversationCreated) events.get(0));
    for (Event e : events.subList(1, events.size())) {
      if (e instanceof MessagePosted p) {
        s = s.posted(p, window, dedup);
      } else if (e instanceof MessageEdited ed) {
        s = s.edited(ed);
      } else if (e instanceof MessageDeleted d) {
        s = s.deleted(d);
      } else if (e instanceof MembersAdded a) {
        s = s.membersAdded(a);
      } else if (e instanceof MemberRemoved r) {
        s = s.memberRemoved(r);
      } else if (e instanceof TierChanged t) {
        s = s.tierChanged(t);
      }
    }
    return s;
  }

  static ConversationCreated created(ConversationType type, String owner, String... members) {
    List<String> all = new ArrayList<>(List.of(owner));
    all.addAll(List.of(members));
    return new ConversationCreated("c", type, "room", owner, all, T);
  }

  static MessagePosted posted(long seq, String sender) {
    return new MessagePosted(seq, "m" + seq, sender, "client-" + seq, "text " + seq, List.of(), T);
  }

  static Active withMessages(int count, String... senders) {
    List<Event> events = new ArrayList<>(List.of(created(ConversationType.SMALL_GROUP, "ann", "bo", "cy")));
    for (int i = 1; i <= count; i++) {
      events.add(posted(i, senders[i % senders.length]));
    }
    return replay(events);
  }

  @Test
  void creationMakesTheOwnerOwnerAndEveryoneElseMember() {
    Active s = Active.created(created(ConversationType.SMALL_GROUP, "ann", "bo"));
    assertEquals(Role.OWNER, s.members().get("ann").role());
    assertEquals(Role.MEMBER, s.members().get("bo").role());
    assertEquals(0, s.lastSeq());
    assertEquals(1, s.firstSeqInWindow());
    assertNull(s.summary().lastMessage());
  }

  @Test
  void postingAdvancesTheSequenceAndRemembersTheSendersLastPost() {
    Active s = withMessages(3, "ann", "bo");
    assertEquals(3, s.lastSeq());
    assertEquals(3, s.messageCount());
    assertEquals("text 2", s.messageAt(2).text());
    assertEquals(3, s.members().get("bo").lastPostedSeq()); // seqs 1 and 3 are bo's (i % 2 == 1)
    assertEquals(2, s.members().get("ann").lastPostedSeq());
    assertEquals(2, s.sentBy("ann", "client-2").seq());
  }

  @Test
  void theWindowKeepsTheNewestMessagesWithConsecutiveSeqs() {
    List<Event> events = new ArrayList<>(List.of(created(ConversationType.SMALL_GROUP, "ann", "bo")));
    for (int i = 1; i <= 10; i++) {
      events.add(posted(i, "ann"));
    }
    Active s = replay(events, 4, 3);
    assertEquals(List.of(7L, 8L, 9L, 10L), s.recent().stream().map(ConversationEntity.Message::seq).toList());
    assertEquals(7, s.firstSeqInWindow());
    assertNull(s.messageAt(6));
    assertEquals(-1, s.indexInWindow(11));
    // the dedup window is separate and evicts the oldest sends
    assertNull(s.sentBy("ann", "client-7"));
    assertEquals(8, s.sentBy("ann", "client-8").seq());
    assertEquals(3, s.sent().size());
  }

  @Test
  void anEditChangesTheTextInTheWindowAndNothingOutsideIt() {
    Active s = withMessages(3, "ann");
    Active edited = s.edited(new MessageEdited(2, "ann", "new", T.plusSeconds(5)));
    assertEquals("new", edited.messageAt(2).text());
    assertEquals(T.plusSeconds(5), edited.messageAt(2).editedAt());
    assertSame(s, s.edited(new MessageEdited(99, "ann", "x", T)));
  }

  @Test
  void aDeletionLeavesATombstoneAndIsCountedOnce() {
    Active s = withMessages(5, "ann");
    Active d = s.deleted(new MessageDeleted(2, "bo", T)).deleted(new MessageDeleted(2, "bo", T));
    assertTrue(d.messageAt(2).deleted());
    assertNull(d.messageAt(2).text());
    assertEquals(4, d.messageCount());
    assertEquals(1, d.deletedAfter(1));
    assertEquals(0, d.deletedAfter(2));
    assertEquals(List.of(2L), List.copyOf(d.deletedSeqs()));
  }

  @Test
  void joinersCountUnreadFromTheirJoinSeq() {
    Active s = withMessages(4, "ann").membersAdded(new MembersAdded(List.of("di"), Role.ADMIN, "ann", 4, T));
    assertEquals(4, s.unreadFloor("di"));
    assertEquals(Role.ADMIN, s.members().get("di").role());
    assertTrue(s.moderates("di"));
    assertFalse(s.moderates("bo"));
    assertEquals(0, s.unreadFloor("nobody"));
  }

  @Test
  void whenTheOwnerLeavesTheNamedHeirBecomesOwner() {
    Active s = withMessages(1, "ann").memberRemoved(new MemberRemoved("ann", "ann", "cy", T));
    assertFalse(s.isMember("ann"));
    assertEquals("cy", s.owner());
    assertEquals(Role.OWNER, s.members().get("cy").role());
    Active empty = Active.created(created(ConversationType.SMALL_GROUP, "ann"))
        .memberRemoved(new MemberRemoved("ann", "ann", null, T));
    assertNull(empty.owner());
  }

  @Test
  void aTierChangeKeepsEverythingElse() {
    Active s = withMessages(2, "ann");
    Active t = s.tierChanged(new TierChanged(ConversationType.SMALL_GROUP, ConversationType.LARGE_GROUP, 51, T));
    assertEquals(ConversationType.LARGE_GROUP, t.type());
    assertFalse(t.namesReaders());
    assertEquals(s.members(), t.members());
    assertEquals(s.lastSeq(), t.lastSeq());
  }

  @Test
  void membersArePagedInUserIdOrder() {
    Active s = withMessages(0, "ann");
    var first = s.membersAfter(null, 2);
    assertEquals(List.of("ann", "bo"), first.members().stream().map(ConversationEntity.MemberInfo::userId).toList());
    assertEquals("bo", first.nextAfter());
    var last = s.membersAfter("bo", 2);
    assertEquals(List.of("cy"), last.members().stream().map(ConversationEntity.MemberInfo::userId).toList());
    assertNull(last.nextAfter());
  }
}

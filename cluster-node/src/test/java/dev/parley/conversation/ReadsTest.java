package dev.parley.conversation;

import static dev.parley.conversation.ConversationStateTest.T;
import static dev.parley.conversation.ConversationStateTest.created;
import static dev.parley.conversation.ConversationStateTest.posted;
import static dev.parley.conversation.ConversationStateTest.replay;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.parley.conversation.ConversationEntity.Event;
import dev.parley.conversation.ConversationEntity.GetHistory;
import dev.parley.conversation.ConversationEntity.MemberRemoved;
import dev.parley.conversation.ConversationEntity.Message;
import dev.parley.conversation.ConversationEntity.MessageDeleted;
import dev.parley.conversation.ConversationEntity.ReadPosition;
import dev.parley.conversation.ConversationEntity.Receipts;
import dev.parley.conversation.ConversationState.Active;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Unread counts, receipts by tier and history pages from the state and the in-memory positions. */
class ReadsTest {

  /** A conversation of {@code type} with ann (owner), bo, cy; ann posted 1..5. */
  private static Active fiveFromAnn(ConversationType type) {
    List<Event> events = new ArrayList<>(List.of(created(type, "ann", "bo", "cy")));
    for (int i = 1; i <= 5; i++) {
      events.add(posted(i, "ann"));
    }
    return replay(events);
  }

  private static ReadPositions positions(Active s) {
    ReadPositions p = new ReadPositions();
    s.members().keySet().forEach(u -> p.track(u, 0));
    p.markRead("ann", 5);
    return p;
  }

  @Test
  void unreadCountsFromTheReadPositionAndSkipsDeletedMessages() {
    Active s = fiveFromAnn(ConversationType.SMALL_GROUP).deleted(new MessageDeleted(4, "ann", T));
    ReadPositions p = positions(s);
    p.markRead("bo", 2);
    p.markDelivered("bo", 3);
    assertEquals(new ReadPosition("c", "bo", 2, 3, 5, 2), Reads.positionOf(s, p, "bo"));
    assertEquals(new ReadPosition("c", "cy", 0, 0, 5, 4), Reads.positionOf(s, p, "cy"));
  }

  @Test
  void smallTiersNameTheReadersButNeverTheSender() {
    Active s = fiveFromAnn(ConversationType.SMALL_GROUP);
    ReadPositions p = positions(s);
    p.markRead("cy", 3);
    p.markDelivered("bo", 3);
    Receipts r = Reads.receiptsOf(s, p, 3);
    assertEquals(List.of("cy"), r.seenBy());
    assertEquals(List.of("bo", "cy"), r.deliveredTo());
    assertNull(r.seenCount());
  }

  @Test
  void aLargeGroupCountsAndAChannelCountsViewsOfDepartedMembersToo() {
    Active large = fiveFromAnn(ConversationType.LARGE_GROUP);
    ReadPositions p = positions(large);
    p.markRead("bo", 4);
    Receipts r = Reads.receiptsOf(large, p, 3);
    assertEquals(1, r.seenCount());
    assertEquals(1, r.deliveredCount());

    Active channel = fiveFromAnn(ConversationType.CHANNEL);
    ReadPositions cp = positions(channel);
    cp.markRead("bo", 4);
    cp.markRead("cy", 5);
    cp.untrack("cy");
    Active left = channel.memberRemoved(new MemberRemoved("cy", "cy", null, T));
    assertEquals(2L, Reads.receiptsOf(left, cp, 3).views());
    assertEquals(2L, Reads.viewsOf(left, cp, 4));
    assertEquals(1L, Reads.viewsOf(left, cp, 5));
  }

  @Test
  void receiptsExistOnlyForMessagesHeldInMemory() {
    Active s = fiveFromAnn(ConversationType.SMALL_GROUP);
    assertEquals(ErrorCode.NOT_FOUND, Reads.receipts(s, positions(s), 6).code());
    assertEquals(3, Reads.receipts(s, positions(s), 3).reply().seq());
  }

  @Test
  void historyPagesBackwardAndForwardWithinTheWindow() {
    List<Event> events = new ArrayList<>(List.of(created(ConversationType.SMALL_GROUP, "ann", "bo")));
    Active s = replay(events);
    for (int i = 1; i <= 12; i++) {
      s = s.posted(posted(i, "ann"), 10, 5); // the window holds 3..12
    }
    Reads.Answer<ConversationEntity.HistorySlice> newest = Reads.history(s, new GetHistory("bo", null, null, 4, null), 6);
    assertEquals(List.of(9L, 10L, 11L, 12L), newest.reply().messages().stream().map(Message::seq).toList());
    assertEquals(true, newest.reply().hasMoreBefore());
    var cut = Reads.history(s, new GetHistory("bo", 5L, null, 6, null), 6);
    assertEquals(List.of(3L, 4L), cut.reply().messages().stream().map(Message::seq).toList());
    assertEquals(ErrorCode.NOT_IN_MEMORY, Reads.history(s, new GetHistory("bo", 3L, null, 6, null), 6).code());
    assertEquals(ErrorCode.NOT_IN_MEMORY, Reads.history(s, new GetHistory("bo", null, 0L, 6, null), 6).code());
    assertEquals(List.of(11L, 12L),
        Reads.history(s, new GetHistory("bo", null, 10L, 0, null), 6).reply().messages().stream().map(Message::seq).toList());
    assertEquals(ErrorCode.BAD_REQUEST, Reads.history(s, new GetHistory("bo", 5L, 2L, 6, null), 6).code());
  }
}

package dev.parley.conversation;

import static dev.parley.conversation.ConversationStateTest.T;
import static dev.parley.conversation.ConversationStateTest.created;
import static dev.parley.conversation.ConversationStateTest.replay;
import static dev.parley.conversation.ConversationStateTest.withMessages;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.conversation.ConversationEntity.AddMembers;
import dev.parley.conversation.ConversationEntity.Create;
import dev.parley.conversation.ConversationEntity.DeleteMessage;
import dev.parley.conversation.ConversationEntity.EditMessage;
import dev.parley.conversation.ConversationEntity.MemberRemoved;
import dev.parley.conversation.ConversationEntity.MembersAdded;
import dev.parley.conversation.ConversationEntity.MessageDeleted;
import dev.parley.conversation.ConversationEntity.MessagePosted;
import dev.parley.conversation.ConversationEntity.PostMessage;
import dev.parley.conversation.ConversationEntity.RemoveMember;
import dev.parley.conversation.ConversationEntity.TierChanged;
import dev.parley.conversation.ConversationState.Active;
import dev.parley.conversation.Decisions.Decision;
import dev.parley.protocol.Attachment;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.Role;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The conversation's rules as pure functions: tiers, permissions, limits, idempotent resends. */
class DecisionsTest {
  /** SMALL_GROUP up to 4, LARGE_GROUP up to 8, at most 3 attachments, 64-character ids. */
  static final ConversationSettings CFG = new ConversationSettings(
      2, 4, 8, 0, 100, 3, 50, 64, 10, 5, 40, 100, 6, 5, 2, "", Duration.ofSeconds(3));

  private static Active group(String owner, String... members) {
    return replay(List.of(created(ConversationType.SMALL_GROUP, owner, members)));
  }

  private static void assertRejected(ErrorCode code, Decision d) {
    assertTrue(d.rejected(), "expected a rejection, got " + d.events());
    assertEquals(code, d.code());
    assertTrue(d.events().isEmpty());
  }

  /**
   * The text rule again inside the domain (the edge checks it first): whatever path a command takes,
   * a string that the journal cannot serialize (an unpaired surrogate) or the read model cannot store
   * (NUL) is refused before any event exists.
   */
  @Test
  void theDomainRefusesTextTheStoresCannotKeep() {
    Active s = group("ann", "bo");
    for (String bad : List.of("nul\u0000", "\uD800", "x\uDC00", "esc\u001B[2J", "c1\u0085")) {
      assertRejected(ErrorCode.BAD_REQUEST, Decisions.post(s, new PostMessage("ann", "m1", bad, List.of(), null), CFG, T));
      assertRejected(ErrorCode.BAD_REQUEST, Decisions.post(s, new PostMessage("ann", "m" + bad, "hi", List.of(), null), CFG, T));
      assertRejected(ErrorCode.BAD_REQUEST, Decisions.post(s, new PostMessage("ann", "m2", "hi",
          List.of(new Attachment("https://cdn.example/" + bad, "image/png", 1)), null), CFG, T));
      assertRejected(ErrorCode.BAD_REQUEST, Decisions.create("c",
          new Create("ann", ConversationType.SMALL_GROUP, "name " + bad, List.of("bo"), null), CFG, T));
      assertRejected(ErrorCode.BAD_REQUEST, Decisions.create("c",
          new Create("ann", ConversationType.SMALL_GROUP, "g", List.of("bo" + bad), null), CFG, T));
    }
    Active posted = replay(List.of(created(ConversationType.SMALL_GROUP, "ann", "bo"),
        new MessagePosted(1, "id-1", "ann", "m1", "hello", List.of(), T)));
    assertRejected(ErrorCode.BAD_REQUEST, Decisions.edit(posted, new EditMessage("ann", 1, "bye\u0000", null), CFG, T));
    Decision ok = Decisions.post(s, new PostMessage("ann", "m3", "tab\tline\n\uD83D\uDE00 e\u0301 \u05E9", List.of(), null),
        CFG, T);
    assertEquals(1, ok.events().size(), "tab, newline, astral, combining and RTL characters are text");
  }

  @Test
  void aPrivateConversationHasExactlyTwoMembers() {
    assertRejected(ErrorCode.BAD_REQUEST, Decisions.create("c",
        new Create("ann", ConversationType.PRIVATE, null, List.of("bo", "cy"), null), CFG, T));
    Decision ok = Decisions.create("c", new Create("ann", ConversationType.PRIVATE, null, List.of("bo", "ann"), null),
        CFG, T);
    assertEquals(1, ok.events().size());
  }

  @Test
  void aSmallGroupOutgrowingItsLimitBecomesALargeGroupAndALargeGroupHasALimit() {
    Decision grown = Decisions.create("c", new Create("ann", ConversationType.SMALL_GROUP, "g",
        List.of("b", "c", "d", "e"), null), CFG, T);
    assertEquals(new TierChanged(ConversationType.SMALL_GROUP, ConversationType.LARGE_GROUP, 5, T),
        grown.events().get(1));
    assertEquals(Decision.none(), Decisions.tierFor(ConversationType.SMALL_GROUP, 4, CFG, T));
    assertRejected(ErrorCode.LIMIT_EXCEEDED, Decisions.tierFor(ConversationType.SMALL_GROUP, 9, CFG, T));
    assertRejected(ErrorCode.LIMIT_EXCEEDED, Decisions.tierFor(ConversationType.LARGE_GROUP, 9, CFG, T));
    assertEquals(Decision.none(), Decisions.tierFor(ConversationType.CHANNEL, 100_000, CFG, T));
  }

  @Test
  void repeatingACreateIsANoOpOnlyForTheSameConversation() {
    Active s = group("ann", "bo");
    assertEquals(Decision.none(), Decisions.createAgain(s,
        new Create("ann", ConversationType.SMALL_GROUP, "room", List.of("bo"), null)));
    assertRejected(ErrorCode.CONFLICT, Decisions.createAgain(s,
        new Create("bo", ConversationType.SMALL_GROUP, "room", List.of("ann"), null)));
  }

  @Test
  void onlyTheOwnerAddsAdminsAndOnlyModeratorsAddToAChannel() {
    Active s = group("ann", "bo");
    assertRejected(ErrorCode.FORBIDDEN, Decisions.add(s, new AddMembers("bo", List.of("cy"), Role.ADMIN, null), CFG, T));
    assertRejected(ErrorCode.BAD_REQUEST, Decisions.add(s, new AddMembers("ann", List.of("cy"), Role.OWNER, null), CFG, T));
    assertRejected(ErrorCode.FORBIDDEN, Decisions.add(s, new AddMembers("eve", List.of("cy"), null, null), CFG, T));
    Decision added = Decisions.add(s, new AddMembers("bo", List.of("cy", "ann"), null, null), CFG, T);
    assertEquals(List.of(new MembersAdded(List.of("cy"), Role.MEMBER, "bo", 0, T)), added.events());
    assertEquals(Decision.none(), Decisions.add(s, new AddMembers("bo", List.of("ann"), null, null), CFG, T));

    Active channel = replay(List.of(created(ConversationType.CHANNEL, "ann", "bo")));
    assertRejected(ErrorCode.FORBIDDEN, Decisions.add(channel, new AddMembers("bo", List.of("cy"), null, null), CFG, T));
  }

  @Test
  void anAdminCannotRemoveTheOwnerAndTheOwnersHeirIsTheSeniorAdmin() {
    Active s = group("ann", "bo", "cy")
        .membersAdded(new MembersAdded(List.of("di"), Role.ADMIN, "ann", 3, T))
        .membersAdded(new MembersAdded(List.of("ed"), Role.ADMIN, "ann", 5, T));
    assertRejected(ErrorCode.FORBIDDEN, Decisions.remove(s, new RemoveMember("di", "ann", null), T));
    assertRejected(ErrorCode.FORBIDDEN, Decisions.remove(s, new RemoveMember("di", "ed", null), T));
    assertRejected(ErrorCode.FORBIDDEN, Decisions.remove(s, new RemoveMember("bo", "cy", null), T));
    assertEquals(List.of(new MemberRemoved("cy", "di", null, T)),
        Decisions.remove(s, new RemoveMember("di", "cy", null), T).events());
    assertEquals(List.of(new MemberRemoved("ann", "ann", "di", T)),
        Decisions.remove(s, new RemoveMember("ann", "ann", null), T).events());
    assertEquals("bo", Decisions.heirExcept(group("ann", "bo", "cy"), "ann"));
  }

  @Test
  void postingChecksMembershipTierAndContent() {
    Active s = withMessages(2, "ann");
    Decision d = Decisions.post(s, new PostMessage("bo", "k1", "hi", null, null), CFG, T);
    MessagePosted p = (MessagePosted) d.events().get(0);
    assertEquals(3, p.seq());
    assertEquals("bo", p.sender());
    assertEquals(List.of(), p.attachments());
    assertRejected(ErrorCode.FORBIDDEN, Decisions.post(s, new PostMessage("eve", "k", "hi", null, null), CFG, T));
    assertRejected(ErrorCode.BAD_REQUEST, Decisions.post(s, new PostMessage("bo", "k", " ", List.of(), null), CFG, T));
    assertRejected(ErrorCode.BAD_REQUEST, Decisions.post(s, new PostMessage("bo", null, "hi", null, null), CFG, T));
    assertRejected(ErrorCode.TOO_LARGE, Decisions.post(s, new PostMessage("bo", "k", "x".repeat(101), null, null), CFG, T));
    assertRejected(ErrorCode.BAD_REQUEST, Decisions.post(s, new PostMessage("bo", "k", "",
        List.of(new Attachment("ftp://x/y", "image/png", 1)), null), CFG, T));
    assertRejected(ErrorCode.BAD_REQUEST, Decisions.post(s, new PostMessage("bo", "k", "",
        List.of(new Attachment("https://x/y", "png", 1)), null), CFG, T));
    // 100 emoji are 200 chars but 100 code points: allowed
    assertTrue(!Decisions.post(s, new PostMessage("bo", "k", "👋".repeat(100), null, null), CFG, T).rejected());

    Active channel = replay(List.of(created(ConversationType.CHANNEL, "ann", "bo")));
    assertRejected(ErrorCode.FORBIDDEN, Decisions.post(channel, new PostMessage("bo", "k", "hi", null, null), CFG, T));
  }

  @Test
  void aRepeatedSendIsFoundOnlyForTheSameSenderAndClientId() {
    Active s = withMessages(2, "ann");
    assertEquals(2, Decisions.earlierSend(s, new PostMessage("ann", "client-2", "again", null, null)).seq());
    assertNull(Decisions.earlierSend(s, new PostMessage("bo", "client-2", "again", null, null)));
    assertNull(Decisions.earlierSend(s, new PostMessage("eve", "client-2", "again", null, null)));
    assertNull(Decisions.earlierSend(s, new PostMessage("ann", null, "again", null, null)));
  }

  @Test
  void onlyTheSenderEditsAndModeratorsMayDelete() {
    Active s = withMessages(3, "bo");
    assertRejected(ErrorCode.FORBIDDEN, Decisions.edit(s, new EditMessage("ann", 2, "x", null), CFG, T));
    assertRejected(ErrorCode.NOT_FOUND, Decisions.edit(s, new EditMessage("bo", 9, "x", null), CFG, T));
    assertEquals(Decision.none(), Decisions.edit(s, new EditMessage("bo", 2, "text 2", null), CFG, T));
    assertEquals(1, Decisions.edit(s, new EditMessage("bo", 2, "changed", null), CFG, T).events().size());
    assertRejected(ErrorCode.FORBIDDEN, Decisions.delete(s, new DeleteMessage("cy", 2, null), T));
    assertEquals(List.of(new MessageDeleted(2, "ann", T)), Decisions.delete(s, new DeleteMessage("ann", 2, null), T).events());
    Active deleted = s.deleted(new MessageDeleted(2, "bo", T));
    assertEquals(Decision.none(), Decisions.delete(deleted, new DeleteMessage("bo", 2, null), T));
    assertRejected(ErrorCode.NOT_EDITABLE, Decisions.edit(deleted, new EditMessage("bo", 2, "x", null), CFG, T));
  }

  @Test
  void onlyRecentMessagesCanBeChanged() {
    Active s = replay(List.of(created(ConversationType.SMALL_GROUP, "ann", "bo")));
    for (int i = 1; i <= 12; i++) {
      s = s.posted(ConversationStateTest.posted(i, "bo"), 10, 5);
    }
    assertRejected(ErrorCode.NOT_EDITABLE, Decisions.edit(s, new EditMessage("bo", 2, "x", null), CFG, T));
    assertRejected(ErrorCode.NOT_EDITABLE, Decisions.delete(s, new DeleteMessage("bo", 2, null), T));
    assertEquals(1, Decisions.edit(s, new EditMessage("bo", 3, "x", null), CFG, T).events().size());
  }

  @Test
  void markingNeedsAMemberAndANonNegativePosition() {
    Active s = withMessages(1, "ann");
    assertNull(Decisions.checkMark(s, "bo", 5));
    assertRejected(ErrorCode.FORBIDDEN, Decisions.checkMark(s, "eve", 1));
    assertRejected(ErrorCode.BAD_REQUEST, Decisions.checkMark(s, "bo", -1));
  }
}

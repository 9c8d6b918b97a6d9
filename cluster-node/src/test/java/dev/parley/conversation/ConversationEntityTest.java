package dev.parley.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.parley.conversation.ConversationEntity.*;
import dev.parley.conversation.ConversationState.Active;
import dev.parley.conversation.ConversationState.NotCreated;
import dev.parley.protocol.Attachment;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.Role;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every command of the conversation entity on the in-memory journal, with the testkit's
 * serialization check on (every command, event and state goes through Jackson CBOR; replies are
 * covered by SerializationTest). Small limits keep tier changes quick: SMALL_GROUP 4,
 * LARGE_GROUP 8, recent window 10, dedup window 5 messages.
 */
class ConversationEntityTest {
  static final Config CONFIG = ConfigFactory.parseString("""
          pekko.actor.provider = local
          pekko.loglevel = WARNING
          """)
      .withFallback(EventSourcedBehaviorTestKit.config())
      .withFallback(ConfigFactory.load());
  static final ActorTestKit testKit = ActorTestKit.create(CONFIG);

  static final ConversationSettings SETTINGS = new ConversationSettings(
      2, 4, 8, 0, 100, 3, 50, 64, 10, 5, 40, 100, 6, 5, 2, "", Duration.ofSeconds(3));
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-24T10:00:00Z"), ZoneOffset.UTC);

  EventSourcedBehaviorTestKit<Command, Event, ConversationState> kit;
  String id;

  @BeforeEach
  void newConversation() {
    id = "c-" + UUID.randomUUID();
    kit = EventSourcedBehaviorTestKit.create(testKit.system(), ConversationEntity.create(id, SETTINGS, CLOCK));
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  // -- helpers ---------------------------------------------------------------------------------

  CommandResultWithReply<Command, Event, ConversationState, StatusReply<Summary>> create(
      ConversationType type, String owner, String... members) {
    return kit.<StatusReply<Summary>>runCommand(r -> new Create(owner, type, "room", List.of(members), r));
  }

  CommandResultWithReply<Command, Event, ConversationState, StatusReply<MessageAccepted>> post(String sender, String clientMsgId, String text) {
    return kit.<StatusReply<MessageAccepted>>runCommand(r -> new PostMessage(sender, clientMsgId, text, List.of(), r));
  }

  long postOk(String sender, String text) {
    return post(sender, UUID.randomUUID().toString(), text).reply().getValue().seq();
  }

  ReadPosition read(String user, long upTo) {
    return kit.<StatusReply<ReadPosition>>runCommand(r -> new MarkRead(user, upTo, r)).reply().getValue();
  }

  ReadPosition unread(String user) {
    return kit.<StatusReply<ReadPosition>>runCommand(r -> new GetUnread(user, r)).reply().getValue();
  }

  Receipts receipts(String requester, long seq) {
    return kit.<StatusReply<Receipts>>runCommand(r -> new GetReceipts(requester, seq, r)).reply().getValue();
  }

  MembersPage members(String requester, String after, int limit) {
    return kit.<StatusReply<MembersPage>>runCommand(r -> new GetMembers(requester, after, limit, r)).reply().getValue();
  }

  HistorySlice history(String requester, Long before, Long after, int limit) {
    return kit.<StatusReply<HistorySlice>>runCommand(r -> new GetHistory(requester, before, after, limit, r))
        .reply().getValue();
  }

  static void assertRejected(CommandResultWithReply<?, ?, ?, ? extends StatusReply<?>> result, ErrorCode code) {
    assertTrue(result.reply().isError(), "expected a rejection, got " + result.reply());
    assertEquals(code, Rejection.codeOf(result.reply().getError()), result.reply().getError().getMessage());
    assertTrue(result.hasNoEvents(), "a rejection persists nothing");
  }

  static List<String> users(int n) {
    return IntStream.rangeClosed(1, n).mapToObj(i -> "u" + i).toList();
  }

  // -- creation --------------------------------------------------------------------------------

  @Test
  void createsConversationWithOwnerAsMember() {
    var result = create(ConversationType.SMALL_GROUP, "ann", "bo", "cy");
    Summary s = result.reply().getValue();
    assertEquals(ConversationType.SMALL_GROUP, s.type());
    assertEquals("ann", s.owner());
    assertEquals(3, s.memberCount());
    assertEquals(List.of(new MemberInfo("ann", Role.OWNER), new MemberInfo("bo", Role.MEMBER), new MemberInfo("cy", Role.MEMBER)),
        members("bo", null, 0).members());
    assertInstanceOf(ConversationCreated.class, result.event());
    assertEquals(Instant.parse("2026-11-24T10:00:00Z"), result.eventOfType(ConversationCreated.class).at());
  }

  @Test
  void answersNotFoundForEveryCommandBeforeCreationAndPersistsNothing() {
    assertRejected(post("ann", "m1", "hi"), ErrorCode.NOT_FOUND);
    assertRejected(kit.<StatusReply<ReadPosition>>runCommand(r -> new MarkRead("ann", 1, r)), ErrorCode.NOT_FOUND);
    assertRejected(kit.<StatusReply<Summary>>runCommand(r -> new GetSummary("ann", r)), ErrorCode.NOT_FOUND);
    assertRejected(kit.<StatusReply<HistorySlice>>runCommand(r -> new GetHistory("ann", null, null, 10, r)), ErrorCode.NOT_FOUND);
    assertRejected(kit.<StatusReply<Summary>>runCommand(r -> new AddMembers("ann", List.of("bo"), Role.MEMBER, r)), ErrorCode.NOT_FOUND);
    assertEquals(NotCreated.INSTANCE, kit.getState());
  }

  @Test
  void repeatedCreateBySameOwnerIsNoOpAndOtherwiseConflicts() {
    create(ConversationType.SMALL_GROUP, "ann", "bo");
    var again = create(ConversationType.SMALL_GROUP, "ann", "bo");
    assertTrue(again.reply().isSuccess());
    assertTrue(again.hasNoEvents());
    assertRejected(create(ConversationType.CHANNEL, "zed"), ErrorCode.CONFLICT);
    assertRejected(create(ConversationType.SMALL_GROUP, "ann", "mallory"), ErrorCode.CONFLICT);
  }

  @Test
  void eitherPartyRepeatingPrivateCreateGetsTheSameConversation() {
    create(ConversationType.PRIVATE, "ann", "bo");
    var byBo = create(ConversationType.PRIVATE, "bo", "ann");
    assertTrue(byBo.hasNoEvents());
    assertEquals("ann", byBo.reply().getValue().owner());
    assertRejected(create(ConversationType.PRIVATE, "ann", "cy"), ErrorCode.CONFLICT);
  }

  @Test
  void rejectsTooManyMembersInOneRequest() {
    assertRejected(create(ConversationType.CHANNEL, "ann", users(41).toArray(String[]::new)), ErrorCode.BAD_REQUEST);
    create(ConversationType.CHANNEL, "ann");
    assertRejected(kit.<StatusReply<Summary>>runCommand(r -> new AddMembers("ann", users(41), Role.MEMBER, r)), ErrorCode.BAD_REQUEST);
  }

  @Test
  void membersArePagedInUserIdOrder() {
    create(ConversationType.CHANNEL, "ann", users(9).toArray(String[]::new));
    MembersPage first = members("u3", null, 4);
    assertEquals(10, first.memberCount());
    assertEquals(List.of("ann", "u1", "u2", "u3"), first.members().stream().map(MemberInfo::userId).toList());
    MembersPage second = members("u3", first.nextAfter(), 4);
    assertEquals(List.of("u4", "u5", "u6", "u7"), second.members().stream().map(MemberInfo::userId).toList());
    MembersPage last = members("u3", second.nextAfter(), 4);
    assertEquals(List.of("u8", "u9"), last.members().stream().map(MemberInfo::userId).toList());
    assertNull(last.nextAfter());
    assertRejected(kit.<StatusReply<MembersPage>>runCommand(r -> new GetMembers("mallory", null, 10, r)), ErrorCode.FORBIDDEN);
  }

  @Test
  void privateConversationHasExactlyTwoMembers() {
    assertRejected(create(ConversationType.PRIVATE, "ann"), ErrorCode.BAD_REQUEST);
    assertRejected(create(ConversationType.PRIVATE, "ann", "bo", "cy"), ErrorCode.BAD_REQUEST);
    create(ConversationType.PRIVATE, "ann", "bo");
    assertRejected(kit.<StatusReply<Summary>>runCommand(r -> new AddMembers("ann", List.of("cy"), Role.MEMBER, r)), ErrorCode.LIMIT_EXCEEDED);
    assertRejected(kit.<StatusReply<Summary>>runCommand(r -> new RemoveMember("ann", "bo", r)), ErrorCode.FORBIDDEN);
  }

  @Test
  void rejectsCreateWithoutTypeOrWithOverlongName() {
    assertRejected(kit.<StatusReply<Summary>>runCommand(r -> new Create("ann", null, "x", List.of(), r)), ErrorCode.BAD_REQUEST);
    assertRejected(kit.<StatusReply<Summary>>runCommand(r -> new Create("ann", ConversationType.SMALL_GROUP, "n".repeat(51), List.of(), r)),
        ErrorCode.TOO_LARGE);
  }

  // -- tiers -----------------------------------------------------------------------------------

  @Test
  void smallGroupGrowingPastItsLimitBecomesLargeGroupLive() {
    create(ConversationType.SMALL_GROUP, "ann", "bo", "cy", "di");
    var grown = kit.<StatusReply<Summary>>runCommand(r -> new AddMembers("bo", List.of("ed"), Role.MEMBER, r));
    assertEquals(2, grown.events().size());
    assertInstanceOf(MembersAdded.class, grown.events().get(0));
    TierChanged changed = (TierChanged) grown.events().get(1);
    assertEquals(ConversationType.SMALL_GROUP, changed.from());
    assertEquals(ConversationType.LARGE_GROUP, changed.to());
    assertEquals(ConversationType.LARGE_GROUP, grown.reply().getValue().type());
    long seq = postOk("ann", "hello");
    read("bo", seq);
    Receipts r = receipts("ann", seq);
    assertNull(r.seenBy(), "a large group counts readers instead of naming them");
    assertEquals(1, r.seenCount());
  }

  @Test
  void creatingSmallGroupWithTooManyMembersStartsAsLargeGroup() {
    var result = create(ConversationType.SMALL_GROUP, "ann", users(5).toArray(String[]::new));
    assertEquals(ConversationType.LARGE_GROUP, result.reply().getValue().type());
    assertInstanceOf(TierChanged.class, result.events().get(1));
  }

  @Test
  void largeGroupRefusesMembersPastItsLimit() {
    create(ConversationType.LARGE_GROUP, "ann", users(6).toArray(String[]::new));
    assertRejected(kit.<StatusReply<Summary>>runCommand(r -> new AddMembers("ann", List.of("x", "y"), Role.MEMBER, r)), ErrorCode.LIMIT_EXCEEDED);
    assertEquals(8, kit.<StatusReply<Summary>>runCommand(r -> new AddMembers("ann", List.of("x"), Role.MEMBER, r))
        .reply().getValue().memberCount());
    assertRejected(create(ConversationType.LARGE_GROUP, "zed"), ErrorCode.CONFLICT);
  }

  @Test
  void rejectsCreatingLargeGroupBeyondItsLimit() {
    assertRejected(create(ConversationType.LARGE_GROUP, "ann", users(8).toArray(String[]::new)), ErrorCode.LIMIT_EXCEEDED);
    assertRejected(create(ConversationType.SMALL_GROUP, "ann", users(8).toArray(String[]::new)), ErrorCode.LIMIT_EXCEEDED);
  }

  @Test
  void inChannelOnlyOwnerAndAdminsPostAndAddMembers() {
    create(ConversationType.CHANNEL, "ann", users(20).toArray(String[]::new));
    assertRejected(post("u1", "m1", "spam"), ErrorCode.FORBIDDEN);
    assertRejected(kit.<StatusReply<Summary>>runCommand(r -> new AddMembers("u1", List.of("x"), Role.MEMBER, r)), ErrorCode.FORBIDDEN);
    assertRejected(kit.<StatusReply<Summary>>runCommand(r -> new AddMembers("u1", List.of("x"), Role.ADMIN, r)), ErrorCode.FORBIDDEN);
    kit.<StatusReply<Summary>>runCommand(r -> new AddMembers("ann", List.of("mod"), Role.ADMIN, r));
    assertTrue(post("mod", "m1", "news").reply().isSuccess());
    assertTrue(post("ann", "m2", "more news").reply().isSuccess());
  }

  @Test
  void onlyTheOwnerAddsAdmins() {
    create(ConversationType.SMALL_GROUP, "ann", "bo");
    assertRejected(kit.<StatusReply<Summary>>runCommand(r -> new AddMembers("bo", List.of("cy"), Role.ADMIN, r)), ErrorCode.FORBIDDEN);
    assertRejected(kit.<StatusReply<Summary>>runCommand(r -> new AddMembers("ann", List.of("cy"), Role.OWNER, r)), ErrorCode.BAD_REQUEST);
    var added = kit.<StatusReply<Summary>>runCommand(r -> new AddMembers("bo", List.of("cy", "bo"), Role.MEMBER, r));
    assertEquals(List.of("cy"), added.eventOfType(MembersAdded.class).userIds(), "existing members are skipped");
    assertTrue(kit.<StatusReply<Summary>>runCommand(r -> new AddMembers("bo", List.of("cy"), Role.MEMBER, r)).hasNoEvents());
  }

  // -- membership ------------------------------------------------------------------------------

  @Test
  void memberLeavesAndModeratorsRemoveOthersButNotTheOwner() {
    create(ConversationType.SMALL_GROUP, "ann", "bo", "cy");
    kit.<StatusReply<Summary>>runCommand(r -> new AddMembers("ann", List.of("mod"), Role.ADMIN, r));
    assertRejected(kit.<StatusReply<Summary>>runCommand(r -> new RemoveMember("bo", "cy", r)), ErrorCode.FORBIDDEN);
    assertRejected(kit.<StatusReply<Summary>>runCommand(r -> new RemoveMember("mod", "ann", r)), ErrorCode.FORBIDDEN);
    assertRejected(kit.<StatusReply<Summary>>runCommand(r -> new RemoveMember("ann", "nobody", r)), ErrorCode.NOT_FOUND);
    assertRejected(kit.<StatusReply<Summary>>runCommand(r -> new RemoveMember("stranger", "bo", r)), ErrorCode.FORBIDDEN);
    assertEquals(3, kit.<StatusReply<Summary>>runCommand(r -> new RemoveMember("mod", "cy", r)).reply().getValue().memberCount());
    assertEquals(2, kit.<StatusReply<Summary>>runCommand(r -> new RemoveMember("bo", "bo", r)).reply().getValue().memberCount());
    assertRejected(post("bo", "m1", "still here?"), ErrorCode.FORBIDDEN);
  }

  @Test
  void ownerLeavingHandsOwnershipToAnAdminFirst() {
    create(ConversationType.SMALL_GROUP, "ann", "bo");
    kit.<StatusReply<Summary>>runCommand(r -> new AddMembers("ann", List.of("mod"), Role.ADMIN, r));
    var left = kit.<StatusReply<Summary>>runCommand(r -> new RemoveMember("ann", "ann", r));
    assertEquals("mod", left.eventOfType(MemberRemoved.class).newOwner());
    Summary s = left.reply().getValue();
    assertEquals("mod", s.owner());
    assertTrue(members("mod", null, 10).members().contains(new MemberInfo("mod", Role.OWNER)));
  }

  // -- posting ---------------------------------------------------------------------------------

  @Test
  void postsGetGapFreeSequenceNumbers() {
    create(ConversationType.SMALL_GROUP, "ann", "bo");
    List<Long> seqs = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      seqs.add(postOk(i % 2 == 0 ? "ann" : "bo", "m" + i));
    }
    assertEquals(LongListOf(1, 12), seqs);
    MessagePosted last = (MessagePosted) kit.<StatusReply<MessageAccepted>>runCommand(r -> new PostMessage("ann", "x", "y", List.of(), r)).event();
    assertEquals(13, last.seq());
  }

  private static List<Long> LongListOf(long from, long to) {
    List<Long> out = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      out.add(i);
    }
    return out;
  }

  @Test
  void rejectsPostFromNonMember() {
    create(ConversationType.SMALL_GROUP, "ann", "bo");
    assertRejected(post("mallory", "m1", "hi"), ErrorCode.FORBIDDEN);
  }

  @Test
  void rejectsEmptyOverlongAndMalformedMessages() {
    create(ConversationType.SMALL_GROUP, "ann", "bo");
    assertRejected(post("ann", "m1", "   "), ErrorCode.BAD_REQUEST);
    assertRejected(post("ann", "m2", "x".repeat(101)), ErrorCode.TOO_LARGE);
    assertRejected(post("ann", null, "hi"), ErrorCode.BAD_REQUEST);
    assertRejected(kit.<StatusReply<MessageAccepted>>runCommand(r -> new PostMessage("ann", "m3", "hi",
        List.of(new Attachment("file:///etc/passwd", "text/plain", 10)), r)), ErrorCode.BAD_REQUEST);
    assertRejected(kit.<StatusReply<MessageAccepted>>runCommand(r -> new PostMessage("ann", "m4", "hi",
        List.of(new Attachment("https://cdn/a", "nonsense", 10)), r)), ErrorCode.BAD_REQUEST);
    assertRejected(kit.<StatusReply<MessageAccepted>>runCommand(r -> new PostMessage("ann", "m7", "hi",
        List.of(new Attachment("https://cdn.example/" + "x".repeat(100), "image/png", 1)), r)), ErrorCode.TOO_LARGE);
    assertRejected(kit.<StatusReply<MessageAccepted>>runCommand(r -> new PostMessage("ann", "m8", "hi",
        List.of(new Attachment("https://cdn.example/a", "image/" + "x".repeat(300), 1)), r)), ErrorCode.BAD_REQUEST);
    Attachment a = new Attachment("https://cdn.example/a.png", "image/png", 1234);
    assertRejected(kit.<StatusReply<MessageAccepted>>runCommand(r -> new PostMessage("ann", "m5", "hi", List.of(a, a, a, a), r)), ErrorCode.BAD_REQUEST);
    assertTrue(post("ann", "m6", "x".repeat(100)).reply().isSuccess());
  }

  @Test
  void acceptsAttachmentOnlyMessages() {
    create(ConversationType.SMALL_GROUP, "ann", "bo");
    Attachment a = new Attachment("https://cdn.example/a.png", "image/png", 1234);
    var result = kit.<StatusReply<MessageAccepted>>runCommand(r -> new PostMessage("ann", "m1", null, List.of(a), r));
    assertEquals(List.of(a), result.eventOfType(MessagePosted.class).attachments());
    assertEquals(List.of(a), history("bo", null, null, 10).messages().get(0).attachments());
  }

  @Test
  void repeatedClientMsgIdReturnsOriginalAckAndPersistsNothing() {
    create(ConversationType.SMALL_GROUP, "ann", "bo");
    MessageAccepted first = post("ann", "m1", "hi").reply().getValue();
    postOk("bo", "interleaved");
    var again = post("ann", "m1", "hi");
    assertTrue(again.hasNoEvents());
    MessageAccepted second = again.reply().getValue();
    assertTrue(second.duplicate());
    assertEquals(first.seq(), second.seq());
    assertEquals(first.messageId(), second.messageId());
    assertEquals(first.at(), second.at());
    assertFalse(post("bo", "m1", "same id, other sender").hasNoEvents(), "dedup is per sender");
  }

  @Test
  void idempotentSendSurvivesRestart() {
    create(ConversationType.SMALL_GROUP, "ann", "bo");
    MessageAccepted first = post("ann", "m1", "hi").reply().getValue();
    for (int i = 0; i < 4; i++) {
      postOk("bo", "filler " + i); // 6 events: a snapshot at 5 plus a tail; m-1 still in the 5-message window
    }
    kit.restart();
    var again = post("ann", "m1", "hi");
    assertTrue(again.hasNoEvents());
    assertEquals(first.seq(), again.reply().getValue().seq());
    assertTrue(again.reply().getValue().duplicate());
  }

  @Test
  void dedupCoversTheConversationsLastDedupWindowMessages() {
    create(ConversationType.SMALL_GROUP, "ann", "bo");
    post("ann", "old", "first");
    for (int i = 0; i < 4; i++) {
      postOk("bo", "chatter " + i);
    }
    assertTrue(post("ann", "old", "first").hasNoEvents(), "still among the last 5 messages");
    postOk("bo", "one more");
    var late = post("ann", "old", "first");
    assertFalse(late.hasNoEvents(), "a resend older than the dedup window is a new message");
    assertEquals(7, late.reply().getValue().seq());
    for (int i = 0; i < 3; i++) {
      postOk("bo", "filler " + i);
    }
    assertTrue(post("ann", "old", "first").hasNoEvents(), "the re-sent id is remembered anew, not evicted with its predecessor");
    Active state = (Active) kit.getState();
    assertEquals(5, state.sentOrder().size());
    assertEquals(5, state.sent().size());
  }

  // -- edit / delete ---------------------------------------------------------------------------

  @Test
  void sendersEditTheirOwnMessagesOnly() {
    create(ConversationType.SMALL_GROUP, "ann", "bo");
    long seq = postOk("ann", "helo");
    Message edited = kit.<StatusReply<Message>>runCommand(r -> new EditMessage("ann", seq, "hello", r)).reply().getValue();
    assertEquals("hello", edited.text());
    assertEquals(CLOCK.instant(), edited.editedAt());
    assertRejected(kit.<StatusReply<Message>>runCommand(r -> new EditMessage("bo", seq, "hacked", r)), ErrorCode.FORBIDDEN);
    assertRejected(kit.<StatusReply<Message>>runCommand(r -> new EditMessage("ann", 99, "x", r)), ErrorCode.NOT_FOUND);
    assertRejected(kit.<StatusReply<Message>>runCommand(r -> new EditMessage("ann", seq, "x".repeat(101), r)), ErrorCode.TOO_LARGE);
    assertEquals("hello", history("bo", null, null, 10).messages().get(0).text());
  }

  @Test
  void deleteLeavesTombstoneAndAdminsDeleteAnyMessage() {
    create(ConversationType.SMALL_GROUP, "ann", "bo", "cy");
    long s1 = postOk("bo", "oops");
    long s2 = postOk("cy", "rude");
    assertRejected(kit.<StatusReply<Message>>runCommand(r -> new DeleteMessage("bo", s2, r)), ErrorCode.FORBIDDEN);
    assertTrue(kit.<StatusReply<Message>>runCommand(r -> new DeleteMessage("bo", s1, r)).reply().getValue().deleted());
    Message byOwner = kit.<StatusReply<Message>>runCommand(r -> new DeleteMessage("ann", s2, r)).reply().getValue();
    assertTrue(byOwner.deleted());
    assertNull(byOwner.text());
    assertTrue(kit.<StatusReply<Message>>runCommand(r -> new DeleteMessage("ann", s2, r)).hasNoEvents(), "deleting twice is a no-op");
    assertRejected(kit.<StatusReply<Message>>runCommand(r -> new EditMessage("cy", s2, "x", r)), ErrorCode.NOT_EDITABLE);
    List<Message> page = history("ann", null, null, 10).messages();
    assertEquals(2, page.size(), "tombstones keep their seq in history");
    assertTrue(page.get(1).deleted());
  }

  @Test
  void messagesOutsideTheRecentWindowAreNotEditable() {
    create(ConversationType.SMALL_GROUP, "ann", "bo");
    long first = postOk("ann", "first");
    for (int i = 0; i < 10; i++) {
      postOk("ann", "m" + i);
    }
    assertRejected(kit.<StatusReply<Message>>runCommand(r -> new EditMessage("ann", first, "late", r)), ErrorCode.NOT_EDITABLE);
  }

  // -- read positions and unread ---------------------------------------------------------------

  @Test
  void markReadIsMonotonicClampedAndCountsUnread() {
    create(ConversationType.SMALL_GROUP, "ann", "bo");
    for (int i = 0; i < 5; i++) {
      postOk("ann", "m" + i);
    }
    assertEquals(5, unread("bo").unread());
    assertEquals(0, unread("ann").unread(), "posting advances the sender's own read position");
    assertEquals(2, read("bo", 3).unread());
    assertEquals(3, read("bo", 1).readSeq(), "a lower upTo is ignored");
    assertEquals(5, read("bo", 1_000).readSeq(), "upTo is clamped to the last seq");
    assertEquals(0, unread("bo").unread());
    assertRejected(kit.<StatusReply<ReadPosition>>runCommand(r -> new MarkRead("mallory", 1, r)), ErrorCode.FORBIDDEN);
    assertRejected(kit.<StatusReply<ReadPosition>>runCommand(r -> new MarkRead("bo", -1, r)), ErrorCode.BAD_REQUEST);
    assertTrue(kit.<StatusReply<ReadPosition>>runCommand(r -> new MarkRead("bo", 2, r)).hasNoEvents(), "read positions are not journal events");
  }

  @Test
  void unreadSkipsDeletedMessagesAndOwnMessages() {
    create(ConversationType.SMALL_GROUP, "ann", "bo");
    postOk("ann", "a");
    long s2 = postOk("ann", "b");
    postOk("bo", "mine");
    postOk("ann", "c");
    kit.<StatusReply<Message>>runCommand(r -> new DeleteMessage("ann", s2, r));
    // bo's position moved to 3 when bo posted, so only seq 4 is unread for bo
    assertEquals(1, unread("bo").unread());
    ReadPosition ann = unread("ann");
    assertEquals(4, ann.readSeq());
    assertEquals(0, ann.unread());
  }

  @Test
  void membersWhoJoinLaterStartWithEarlierHistoryRead() {
    create(ConversationType.SMALL_GROUP, "ann", "bo");
    postOk("ann", "before cy");
    postOk("ann", "before cy 2");
    kit.<StatusReply<Summary>>runCommand(r -> new AddMembers("ann", List.of("cy"), Role.MEMBER, r));
    long after = postOk("ann", "after cy");
    assertEquals(1, unread("cy").unread());
    assertEquals(2, unread("cy").readSeq(), "the join seq is the floor of cy's position");
    assertEquals(List.of(), receipts("ann", 1).seenBy(), "joining is not reading");
    read("cy", after);
    assertEquals(List.of("cy"), receipts("ann", 1).seenBy(), "reading past it is");
  }

  @Test
  void markDeliveredIsSeparateFromReadAndReadImpliesDelivered() {
    create(ConversationType.SMALL_GROUP, "ann", "bo", "cy");
    long seq = postOk("ann", "hi");
    ReadPosition p = kit.<StatusReply<ReadPosition>>runCommand(r -> new MarkDelivered("bo", seq, r)).reply().getValue();
    assertEquals(seq, p.deliveredSeq());
    assertEquals(0, p.readSeq());
    read("cy", seq);
    Receipts r = receipts("ann", seq);
    assertEquals(List.of("cy"), r.seenBy());
    assertEquals(List.of("bo", "cy"), r.deliveredTo());
  }

  // -- receipts per tier -----------------------------------------------------------------------

  @Test
  void privateConversationShowsSeenPerMessage() {
    create(ConversationType.PRIVATE, "ann", "bo");
    long s1 = postOk("ann", "one");
    long s2 = postOk("ann", "two");
    read("bo", s1);
    assertEquals(List.of("bo"), receipts("ann", s1).seenBy());
    assertEquals(List.of(), receipts("ann", s2).seenBy());
    assertEquals(List.of(), receipts("bo", s1).deliveredTo().stream().filter("ann"::equals).toList(),
        "the sender is never listed");
  }

  @Test
  void smallGroupNamesReaders() {
    create(ConversationType.SMALL_GROUP, "ann", "bo", "cy", "di");
    long seq = postOk("ann", "hi");
    read("di", seq);
    read("bo", seq);
    Receipts r = receipts("cy", seq);
    assertEquals(List.of("bo", "di"), r.seenBy());
    assertNull(r.seenCount());
  }

  @Test
  void largeGroupCountsReadersExactly() {
    create(ConversationType.LARGE_GROUP, "ann", users(7).toArray(String[]::new));
    long s1 = postOk("ann", "one");
    long s2 = postOk("ann", "two");
    long s3 = postOk("u1", "three");
    read("u2", s1);
    read("u3", s2);
    read("u4", s3);
    kit.<StatusReply<ReadPosition>>runCommand(r -> new MarkDelivered("u5", s3, r));
    // u1 posted s3, so u1's position is 3 as well
    assertEquals(4, receipts("ann", s1).seenCount()); // u1 u2 u3 u4
    assertEquals(3, receipts("ann", s2).seenCount()); // u1 u3 u4
    Receipts third = receipts("ann", s3);
    assertEquals(1, third.seenCount(), "u4; the sender u1 is not counted");
    assertEquals(2, third.deliveredCount(), "u4 and u5");
    assertNull(third.seenBy());
  }

  @Test
  void channelShowsViewCounts() {
    create(ConversationType.CHANNEL, "ann", users(30).toArray(String[]::new));
    long s1 = postOk("ann", "news");
    long s2 = postOk("ann", "more news");
    for (int i = 1; i <= 12; i++) {
      read("u" + i, i <= 5 ? s1 : s2);
    }
    assertEquals(12L, receipts("u1", s1).views());
    assertEquals(7L, receipts("u1", s2).views());
    kit.<StatusReply<Summary>>runCommand(r -> new RemoveMember("u6", "u6", r));
    assertEquals(7L, receipts("u1", s2).views(), "a view stays counted after the viewer leaves");
    kit.<StatusReply<Summary>>runCommand(r -> new AddMembers("ann", List.of("late"), Role.MEMBER, r));
    assertEquals(7L, receipts("u1", s2).views(), "joining is not viewing");
  }

  @Test
  void receiptsAnswerNotFoundForUnknownSeq() {
    create(ConversationType.SMALL_GROUP, "ann", "bo");
    assertRejected(kit.<StatusReply<Receipts>>runCommand(r -> new GetReceipts("ann", 1, r)), ErrorCode.NOT_FOUND);
  }

  // -- history ---------------------------------------------------------------------------------

  @Test
  void historyPagesBackwardAndForwardWithinTheWindow() {
    create(ConversationType.SMALL_GROUP, "ann", "bo");
    for (int i = 1; i <= 8; i++) {
      postOk("ann", "m" + i);
    }
    HistorySlice newest = history("bo", null, null, 3);
    assertEquals(List.of(6L, 7L, 8L), newest.messages().stream().map(Message::seq).toList());
    assertTrue(newest.hasMoreBefore());
    HistorySlice older = history("bo", 6L, null, 3);
    assertEquals(List.of(3L, 4L, 5L), older.messages().stream().map(Message::seq).toList());
    HistorySlice oldest = history("bo", 3L, null, 3);
    assertEquals(List.of(1L, 2L), oldest.messages().stream().map(Message::seq).toList());
    assertFalse(oldest.hasMoreBefore());
    HistorySlice after = history("bo", null, 6L, 50);
    assertEquals(List.of(7L, 8L), after.messages().stream().map(Message::seq).toList(), "limit is capped, range is exact");
    assertEquals(List.of(), history("bo", null, 8L, 5).messages());
    assertRejected(kit.<StatusReply<HistorySlice>>runCommand(r -> new GetHistory("mallory", null, null, 5, r)), ErrorCode.FORBIDDEN);
    assertRejected(kit.<StatusReply<HistorySlice>>runCommand(r -> new GetHistory("bo", 5L, 2L, 5, r)), ErrorCode.BAD_REQUEST);
  }

  @Test
  void historyRejectsBoundsOutsideTheSequenceAndSaturatesLargeOnes() {
    create(ConversationType.SMALL_GROUP, "ann", "bo");
    for (int i = 1; i <= 4; i++) {
      postOk("ann", "m" + i);
    }
    assertRejected(kit.<StatusReply<HistorySlice>>runCommand(r -> new GetHistory("bo", Long.MIN_VALUE, null, 3, r)), ErrorCode.BAD_REQUEST);
    assertRejected(kit.<StatusReply<HistorySlice>>runCommand(r -> new GetHistory("bo", 0L, null, 3, r)), ErrorCode.BAD_REQUEST);
    assertRejected(kit.<StatusReply<HistorySlice>>runCommand(r -> new GetHistory("bo", null, -1L, 3, r)), ErrorCode.BAD_REQUEST);
    HistorySlice none = history("bo", null, Long.MAX_VALUE, 3);
    assertEquals(List.of(), none.messages());
    assertTrue(none.hasMoreBefore());
    assertEquals(List.of(2L, 3L, 4L), history("bo", Long.MAX_VALUE, null, 3).messages().stream().map(Message::seq).toList());
    assertEquals(List.of(), history("bo", 1L, null, 3).messages());
    assertEquals(List.of(1L, 2L, 3L, 4L), history("bo", null, 0L, 0).messages().stream().map(Message::seq).toList(),
        "limit 0 means the default page");
  }

  @Test
  void historyOlderThanTheWindowAnswersNotInMemory() {
    create(ConversationType.SMALL_GROUP, "ann", "bo");
    for (int i = 1; i <= 15; i++) {
      postOk("ann", "m" + i); // window holds 6..15
    }
    HistorySlice partial = history("bo", 8L, null, 5);
    assertEquals(List.of(6L, 7L), partial.messages().stream().map(Message::seq).toList());
    assertTrue(partial.hasMoreBefore());
    assertRejected(kit.<StatusReply<HistorySlice>>runCommand(r -> new GetHistory("bo", 6L, null, 5, r)), ErrorCode.NOT_IN_MEMORY);
    assertRejected(kit.<StatusReply<HistorySlice>>runCommand(r -> new GetHistory("bo", null, 2L, 5, r)), ErrorCode.NOT_IN_MEMORY);
  }

  // -- recovery --------------------------------------------------------------------------------

  @Test
  void restartRecoversStateFromSnapshotAndTail() {
    create(ConversationType.SMALL_GROUP, "ann", "bo", "cy", "di");
    kit.<StatusReply<Summary>>runCommand(r -> new AddMembers("ann", List.of("ed"), Role.ADMIN, r)); // -> LARGE_GROUP
    for (int i = 1; i <= 13; i++) {
      postOk(i % 2 == 0 ? "ann" : "bo", "m" + i);
    }
    long deleted = 12;
    kit.<StatusReply<Message>>runCommand(r -> new DeleteMessage("ed", deleted, r));
    kit.<StatusReply<Message>>runCommand(r -> new EditMessage("bo", 13, "edited", r));
    read("cy", 13);
    ConversationState before = kit.getState();

    kit.restart();

    Active after = (Active) kit.getState();
    Active was = (Active) before;
    assertEquals(ConversationType.LARGE_GROUP, after.type());
    assertEquals(was.lastSeq(), after.lastSeq());
    assertEquals(was.messageCount(), after.messageCount());
    assertEquals(List.copyOf(was.recent()), List.copyOf(after.recent()));
    assertEquals(was.members(), after.members());
    assertEquals(List.of(12L), List.copyOf(after.deletedSeqs()));
    assertEquals(14, postOk("cy", "after restart"), "seq stays gap-free across recovery");
    // Read positions are not journaled: after a restart each member is back at the floor the
    // journal proves (joined seq, last post). Restoring them from conversation_reads is the
    // receipts issue's job; until then this is exactly what a crash loses.
    assertEquals(13, unread("di").unread(), "14 messages, one of them deleted");
    assertEquals(13, unread("bo").readSeq(), "bo posted seq 13");
    assertEquals(14, unread("cy").readSeq(), "cy just posted seq 14");
  }

  @Test
  void summaryIsForMembersOnly() {
    create(ConversationType.SMALL_GROUP, "ann", "bo");
    postOk("bo", "last words");
    Summary s = kit.<StatusReply<Summary>>runCommand(r -> new GetSummary("ann", r)).reply().getValue();
    assertEquals("last words", s.lastMessage().text());
    assertEquals(1, s.messageCount());
    assertRejected(kit.<StatusReply<Summary>>runCommand(r -> new GetSummary("mallory", r)), ErrorCode.FORBIDDEN);
  }
}

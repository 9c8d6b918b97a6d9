package dev.parley.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.parley.conversation.ConversationEntity.Command;
import dev.parley.conversation.ConversationEntity.Create;
import dev.parley.conversation.ConversationEntity.Event;
import dev.parley.conversation.ConversationEntity.MessageAccepted;
import dev.parley.conversation.ConversationEntity.PostMessage;
import dev.parley.conversation.ConversationEntity.Subscribe;
import dev.parley.conversation.ConversationEntity.Subscription;
import dev.parley.conversation.ConversationEntity.Summary;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.ProtocolCodec;
import dev.parley.protocol.ServerFrame;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * What a conversation publishes to subscribed node hubs: each message once per hub however many
 * of its sessions listen, replay after a restart, presence and typing per tier, and the restart
 * announcement. Hubs are test probes; the journal is the in-memory one.
 */
class LiveFeedTest {
  static final Config CONFIG = ConversationEntityTest.CONFIG;
  static final ActorTestKit testKit = ActorTestKit.create(CONFIG);
  static final LiveSettings LIVE = new LiveSettings(Duration.ofMillis(300), Duration.ofMillis(100));

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private final TestProbe<Fanout> hub = testKit.createTestProbe();
  private final TestProbe<Fanout> otherHub = testKit.createTestProbe();
  private final String id = "c-" + UUID.randomUUID();
  private final EventSourcedBehaviorTestKit<Command, Event, ConversationState> kit = EventSourcedBehaviorTestKit.create(
      testKit.system(), ConversationEntity.create(id, ConversationEntityTest.SETTINGS, services(
          () -> List.of(hub.getRef(), otherHub.getRef())), java.time.Clock.systemUTC(), null));

  private static ConversationServices services(HubDirectory hubs) {
    var none = ConversationServices.none();
    return new ConversationServices(LIVE, hubs, none.receipts(), none.cache(), none.writeBehind());
  }

  private void create(ConversationType type, String... members) {
    kit.<StatusReply<Summary>>runCommand(r -> new Create("ann", type, "room", List.of(members), r));
  }

  private Subscription subscribe(TestProbe<Fanout> h, Long sinceSeq, String... users) {
    return kit.<StatusReply<Subscription>>runCommand(r -> new Subscribe(h.getRef(), List.of(users), sinceSeq, r))
        .reply().getValue();
  }

  private long post(String sender, String text) {
    return kit.<StatusReply<MessageAccepted>>runCommand(
        r -> new PostMessage(sender, UUID.randomUUID().toString(), text, List.of(), r)).reply().getValue().seq();
  }

  private <T extends Fanout> T expect(TestProbe<Fanout> h, Class<T> type) {
    return h.expectMessageClass(type, Duration.ofSeconds(3));
  }

  @Test
  void aHubGetsEachMessageOnceHoweverManyOfItsUsersListen() {
    create(ConversationType.SMALL_GROUP, "bo", "cy");
    Subscription sub = subscribe(hub, null, "ann", "bo", "cy");
    assertEquals(0, sub.lastSeq());
    assertEquals(List.of(), sub.notMembers());
    hub.receiveSeveralMessages(3); // presence of the three members
    long seq = post("bo", "once");
    Fanout.Published p = expect(hub, Fanout.Published.class);
    assertEquals(seq, p.seq());
    var frame = (ServerFrame.MessageFrame) ProtocolCodec.readServerFrame(p.json());
    assertEquals("once", frame.message().text());
    hub.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void nonMembersAreNamedAndNotRegistered() {
    create(ConversationType.SMALL_GROUP, "bo");
    Subscription sub = subscribe(hub, null, "eve");
    assertEquals(List.of("eve"), sub.notMembers());
    assertEquals(List.of(), sub.online());
  }

  @Test
  void aHubSubscribingAgainGetsWhatItMissedFromItsLastSeq() {
    create(ConversationType.CHANNEL);
    post("ann", "one");
    post("ann", "two");
    post("ann", "three");
    Subscription sub = subscribe(hub, 1L, "ann");
    assertEquals(3, sub.lastSeq());
    assertEquals(2, expect(hub, Fanout.Published.class).seq());
    assertEquals(3, expect(hub, Fanout.Published.class).seq());
    hub.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void presenceIsPublishedInSmallTiersOnly() {
    create(ConversationType.PRIVATE, "bo");
    subscribe(hub, null, "ann");
    var online = (ServerFrame.PresenceFrame) ProtocolCodec.readServerFrame(expect(hub, Fanout.Updated.class).json());
    assertEquals("ann", online.user());
    assertTrue(online.online());
    // Online through two hubs: offline only when both are gone.
    subscribe(otherHub, null, "ann", "bo");
    kit.runCommand(new ConversationEntity.Unsubscribe(hub.getRef()));
    kit.runCommand(new ConversationEntity.SetPresence(otherHub.getRef(), "ann", false));
    var frames = otherHub.receiveSeveralMessages(2).stream()
        .map(f -> (ServerFrame.PresenceFrame) ProtocolCodec.readServerFrame(((Fanout.Updated) f).json())).toList();
    assertEquals("bo", frames.get(0).user());
    assertEquals("ann", frames.get(1).user());
    assertTrue(!frames.get(1).online());

    String channel = "ch-" + UUID.randomUUID();
    var ch = EventSourcedBehaviorTestKit.<Command, Event, ConversationState>create(testKit.system(),
        ConversationEntity.create(channel, ConversationEntityTest.SETTINGS, services(HubDirectory.NONE),
            ConversationEntityTest.CLOCK, null));
    ch.<StatusReply<Summary>>runCommand(r -> new Create("ann", ConversationType.CHANNEL, "news", List.of("bo"), r));
    TestProbe<Fanout> channelHub = testKit.createTestProbe();
    ch.<StatusReply<Subscription>>runCommand(r -> new Subscribe(channelHub.getRef(), List.of("ann", "bo"), null, r));
    channelHub.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void typingShowsNamesInSmallGroupsAndExpires() {
    create(ConversationType.SMALL_GROUP, "bo");
    subscribe(hub, null, "bo");
    expect(hub, Fanout.Updated.class); // bo online
    kit.<StatusReply<Done>>runCommand(r -> new ConversationEntity.Typing("ann", r));
    var typing = (ServerFrame.TypingIndicatorFrame) ProtocolCodec.readServerFrame(expect(hub, Fanout.Updated.class).json());
    assertEquals(List.of("ann"), typing.users());
    var expired = (ServerFrame.TypingIndicatorFrame) ProtocolCodec.readServerFrame(expect(hub, Fanout.Updated.class).json());
    assertEquals(List.of(), expired.users());
  }

  @Test
  void aRestartAnnouncesItselfToEveryHub() {
    create(ConversationType.SMALL_GROUP, "bo");
    kit.restart();
    assertEquals(id, expect(hub, Fanout.Started.class).conversationId());
    assertEquals(id, expect(otherHub, Fanout.Started.class).conversationId());
  }

  @Test
  void removingAMemberEndsTheirSubscriptions() {
    create(ConversationType.SMALL_GROUP, "bo", "cy");
    subscribe(hub, null, "bo");
    expect(hub, Fanout.Updated.class);
    kit.<StatusReply<Summary>>runCommand(r -> new ConversationEntity.RemoveMember("ann", "bo", r));
    expect(hub, Fanout.Updated.class); // bo offline
    assertEquals("bo", expect(hub, Fanout.MemberLeft.class).userId());
  }

  @Test
  void largeGroupReceiptsAndTypingAreCoalescedCounts() {
    create(ConversationType.LARGE_GROUP, "bo", "cy", "di", "ed");
    subscribe(hub, null, "ann");
    long seq = post("ann", "big news");
    expect(hub, Fanout.Published.class);
    for (String reader : List.of("bo", "cy", "di")) {
      kit.<StatusReply<ConversationEntity.ReadPosition>>runCommand(r -> new ConversationEntity.MarkRead(reader, seq, r));
    }
    for (String typist : List.of("bo", "cy")) {
      kit.<StatusReply<Done>>runCommand(r -> new ConversationEntity.Typing(typist, r));
    }
    List<ServerFrame> frames = hub.receiveSeveralMessages(5, Duration.ofSeconds(3)).stream()
        .filter(f -> f instanceof Fanout.Updated)
        .map(f -> ProtocolCodec.readServerFrame(((Fanout.Updated) f).json()))
        .toList();
    // Three readers: one counted receipt; two typists: one count (no names in a large group).
    var receipts = frames.stream().filter(f -> f instanceof ServerFrame.ReceiptFrame).toList();
    assertEquals(List.of(ServerFrame.ReceiptFrame.counted(id, seq, 3)), receipts);
    var typing = frames.stream().filter(f -> f instanceof ServerFrame.TypingIndicatorFrame).toList();
    assertEquals(List.of(new ServerFrame.TypingIndicatorFrame(id, null, 2)), typing);
  }

  @Test
  void channelsShowNoTyping() {
    create(ConversationType.CHANNEL, "bo");
    subscribe(hub, null, "bo");
    kit.<StatusReply<Done>>runCommand(r -> new ConversationEntity.Typing("bo", r));
    hub.expectNoMessage(Duration.ofMillis(400));
  }

  @Test
  void aMemberRemovedWhileTheHubWasAwayIsCutOffBeforeTheReplay() {
    create(ConversationType.SMALL_GROUP, "bo", "cy");
    kit.<StatusReply<Summary>>runCommand(r -> new ConversationEntity.RemoveMember("ann", "bo", r));
    post("ann", "after bo left");
    // The hub comes back (after a restart of the conversation) with bo's session still attached.
    subscribe(hub, 0L, "bo", "cy");
    var first = hub.receiveMessage(Duration.ofSeconds(3));
    assertEquals(new Fanout.MemberLeft(id, "bo"), first, "bo is cut off before anything is replayed");
    var rest = hub.receiveSeveralMessages(2, Duration.ofSeconds(3));
    assertTrue(rest.stream().anyMatch(f -> f instanceof Fanout.Published p && p.seq() == 1));
  }
}

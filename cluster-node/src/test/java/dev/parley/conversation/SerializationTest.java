package dev.parley.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import dev.parley.conversation.ConversationEntity.*;
import dev.parley.protocol.Attachment;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.Role;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.jackson.JacksonCborSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Every event, the snapshot state and the replies go through the configured binding (Jackson CBOR) and come back equal. */
class SerializationTest {
  static final ActorTestKit testKit = ActorTestKit.create(ConfigFactory.parseString("pekko.actor.provider = local")
      .withFallback(ConfigFactory.load()));
  static final SerializationTestKit serialization = new SerializationTestKit(testKit.system());
  static final Instant AT = Instant.parse("2026-11-24T10:00:00.123456Z");
  static final Attachment PNG = new Attachment("https://cdn.example/a.png", "image/png", 2048);

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  static final List<Event> EVERY_EVENT = List.of(
      new ConversationCreated("c1", ConversationType.SMALL_GROUP, "room", "ann", List.of("ann", "bo"), AT),
      new ConversationCreated("c2", ConversationType.PRIVATE, null, "ann", List.of("ann", "bo"), AT),
      new MembersAdded(List.of("cy", "di"), Role.ADMIN, "ann", 7, AT),
      new MemberRemoved("ann", "ann", "cy", AT),
      new MemberRemoved("bo", "cy", null, AT),
      new TierChanged(ConversationType.SMALL_GROUP, ConversationType.LARGE_GROUP, 51, AT),
      new MessagePosted(8, "m-uuid", "bo", "client-1", "héllo 👋", List.of(PNG), AT),
      new MessagePosted(9, "m-uuid2", "bo", "client-2", "", List.of(), AT),
      new MessageEdited(8, "bo", "hello", AT),
      new MessageDeleted(9, "cy", AT));

  @Test
  void everyEventRoundTripsThroughJacksonCbor() {
    // the guard: a new event type without a sample here fails this test
    assertEquals(ConversationEntity.Event.class.getPermittedSubclasses().length,
        EVERY_EVENT.stream().map(Object::getClass).distinct().count());
    Serialization s = SerializationExtension.get(testKit.system().classicSystem());
    for (Event e : EVERY_EVENT) {
      assertEquals(JacksonCborSerializer.class, s.findSerializerFor(e).getClass(), e.getClass().getSimpleName());
      serialization.verifySerialization(e, true);
    }
  }

  @Test
  void stateRoundTripsInItsSnapshotForm() {
    State state = NotCreated.INSTANCE;
    serialization.verifySerialization(state, true);
    Active a = (Active) EVERY_EVENT.stream().filter(e -> !(e instanceof ConversationCreated c && c.conversationId().equals("c2"))).reduce(state, (st, e) -> st instanceof Active act
        ? act.apply(e, 200, 128) : Active.created((ConversationCreated) e), (x, y) -> y);
    Active back = (Active) serialization.verifySerialization(a, false);
    assertEquals(a.members(), back.members());
    assertEquals(List.copyOf(a.recent()), List.copyOf(back.recent()));
    assertEquals(a.sent(), back.sent());
    assertEquals(List.copyOf(a.sentOrder()), List.copyOf(back.sentOrder()));
    assertEquals(List.copyOf(a.deletedSeqs()), List.copyOf(back.deletedSeqs()));
    assertEquals(a.lastSeq(), back.lastSeq());
    assertEquals(a.owner(), back.owner());
  }

  @Test
  void commandsAndRepliesCrossNodesIntact() {
    ActorRef<StatusReply<MessageAccepted>> probe = testKit.<StatusReply<MessageAccepted>>createTestProbe().getRef();
    serialization.verifySerialization(new PostMessage("ann", "c-1", "hi", List.of(PNG), probe), true);
    serialization.verifySerialization(Passivate.INSTANCE, true);
    serialization.verifySerialization(new MessageAccepted("c1", "c-1", 3, "m", AT, false), true);
    serialization.verifySerialization(new Receipts("c1", 3, ConversationType.CHANNEL, null, null, null, null, 1200L), true);
    serialization.verifySerialization(new ReadPosition("c1", "bo", 3, 4, 9, 6), true);
    Message m = new Message(8, "m-uuid", "bo", "client-1", "hi", List.of(PNG), AT, AT, false);
    serialization.verifySerialization(new HistorySlice("c1", List.of(m, new Message(9, "x", "bo", "c", null, List.of(), AT, AT, true)), true), true);
    serialization.verifySerialization(new Summary("c1", ConversationType.LARGE_GROUP, "room", "ann", 51, 9, 9, AT, m), true);
    serialization.verifySerialization(new Summary("c1", ConversationType.PRIVATE, null, "ann", 2, 0, 0, AT, null), true);
    serialization.verifySerialization(new MembersPage("c1", 3, List.of(new MemberInfo("ann", Role.OWNER)), "ann"), true);
    serialization.verifySerialization(new Receipts("c1", 3, ConversationType.SMALL_GROUP, List.of("bo"), List.of("bo", "cy"), null, null, null), true);
  }
}

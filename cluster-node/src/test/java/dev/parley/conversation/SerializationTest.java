package dev.parley.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import dev.parley.conversation.ConversationEntity.*;
import dev.parley.conversation.ConversationState.Active;
import dev.parley.conversation.ConversationState.NotCreated;
import dev.parley.protocol.Attachment;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.Role;
import java.time.Instant;
import java.util.Base64;
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
    serialization.verifySerialization(NotCreated.INSTANCE, true);
    Active a = sampleState();
    Active back = (Active) serialization.verifySerialization(a, false);
    assertSameState(a, back);
  }

  /** Every event but the second creation, applied in order. */
  static Active sampleState() {
    return ConversationStateTest.replay(EVERY_EVENT.stream()
        .filter(e -> !(e instanceof ConversationCreated c && c.conversationId().equals("c2"))).toList());
  }

  static void assertSameState(Active a, Active back) {
    assertEquals(List.of(a.id(), a.type(), a.name(), a.createdAt(), a.messageCount()),
        List.of(back.id(), back.type(), back.name(), back.createdAt(), back.messageCount()));
    assertEquals(a.members(), back.members());
    assertEquals(List.copyOf(a.recent()), List.copyOf(back.recent()));
    assertEquals(a.sent(), back.sent());
    assertEquals(List.copyOf(a.sentOrder()), List.copyOf(back.sentOrder()));
    assertEquals(List.copyOf(a.deletedSeqs()), List.copyOf(back.deletedSeqs()));
    assertEquals(a.lastSeq(), back.lastSeq());
    assertEquals(a.owner(), back.owner());
  }

  /**
   * The bytes and manifests the journal holds for {@link #EVERY_EVENT}, written before the
   * conversation entity was split up (ADR 0009): they must keep deserializing to the same events.
   */
  static final List<String> OLD_EVENTS = List.of(
      "dev.parley.conversation.ConversationEntity$ConversationCreated", "v25jb252ZXJzYXRpb25JZGJjMWR0eXBla1NNQUxMX0dST1VQZG5hbWVkcm9vbWVvd25lcmNhbm5nbWVtYmVyc4JjYW5uYmJvYmF0eBsyMDI2LTExLTI0VDEwOjAwOjAwLjEyMzQ1Nlr/",
      "dev.parley.conversation.ConversationEntity$ConversationCreated", "v25jb252ZXJzYXRpb25JZGJjMmR0eXBlZ1BSSVZBVEVkbmFtZfZlb3duZXJjYW5uZ21lbWJlcnOCY2FubmJib2JhdHgbMjAyNi0xMS0yNFQxMDowMDowMC4xMjM0NTZa/w==",
      "dev.parley.conversation.ConversationEntity$MembersAdded", "v2d1c2VySWRzgmJjeWJkaWRyb2xlZUFETUlOYmJ5Y2FubmVhdFNlcQdiYXR4GzIwMjYtMTEtMjRUMTA6MDA6MDAuMTIzNDU2Wv8=",
      "dev.parley.conversation.ConversationEntity$MemberRemoved", "v2Z1c2VySWRjYW5uYmJ5Y2FubmhuZXdPd25lcmJjeWJhdHgbMjAyNi0xMS0yNFQxMDowMDowMC4xMjM0NTZa/w==",
      "dev.parley.conversation.ConversationEntity$MemberRemoved", "v2Z1c2VySWRiYm9iYnliY3lobmV3T3duZXL2YmF0eBsyMDI2LTExLTI0VDEwOjAwOjAwLjEyMzQ1Nlr/",
      "dev.parley.conversation.ConversationEntity$TierChanged", "v2Rmcm9ta1NNQUxMX0dST1VQYnRva0xBUkdFX0dST1VQa21lbWJlckNvdW50GDNiYXR4GzIwMjYtMTEtMjRUMTA6MDA6MDAuMTIzNDU2Wv8=",
      "dev.parley.conversation.ConversationEntity$MessagePosted", "v2NzZXEIaW1lc3NhZ2VJZGZtLXV1aWRmc2VuZGVyYmJva2NsaWVudE1zZ0lkaGNsaWVudC0xZHRleHRraMOpbGxvIPCfkYtrYXR0YWNobWVudHOBv2N1cmx4GWh0dHBzOi8vY2RuLmV4YW1wbGUvYS5wbmdkbWltZWlpbWFnZS9wbmdkc2l6ZRkIAP9iYXR4GzIwMjYtMTEtMjRUMTA6MDA6MDAuMTIzNDU2Wv8=",
      "dev.parley.conversation.ConversationEntity$MessagePosted", "v2NzZXEJaW1lc3NhZ2VJZGdtLXV1aWQyZnNlbmRlcmJib2tjbGllbnRNc2dJZGhjbGllbnQtMmR0ZXh0YGthdHRhY2htZW50c4BiYXR4GzIwMjYtMTEtMjRUMTA6MDA6MDAuMTIzNDU2Wv8=",
      "dev.parley.conversation.ConversationEntity$MessageEdited", "v2NzZXEIYmJ5YmJvZHRleHRlaGVsbG9iYXR4GzIwMjYtMTEtMjRUMTA6MDA6MDAuMTIzNDU2Wv8=",
      "dev.parley.conversation.ConversationEntity$MessageDeleted", "v2NzZXEJYmJ5YmN5YmF0eBsyMDI2LTExLTI0VDEwOjAwOjAwLjEyMzQ1Nlr/");

  /** A snapshot of {@link #sampleState()} and of NotCreated, written while the state was nested in ConversationEntity. */
  static final String OLD_ACTIVE_MANIFEST = "dev.parley.conversation.ConversationEntity$Active";
  static final String OLD_ACTIVE = "v2JpZGJjMWR0eXBla0xBUkdFX0dST1VQZG5hbWVkcm9vbWVvd25lcmJjeWljcmVhdGVkQXR4GzIwMjYtMTEtMjRUMTA6MDA6MDAuMTIzNDU2WmdtZW1iZXJzgr9mdXNlcklkYmN5ZHJvbGVlT1dORVJpam9pbmVkU2VxB21sYXN0UG9zdGVkU2VxAP+/ZnVzZXJJZGJkaWRyb2xlZUFETUlOaWpvaW5lZFNlcQdtbGFzdFBvc3RlZFNlcQD/Z2xhc3RTZXEJbG1lc3NhZ2VDb3VudAFmcmVjZW50gr9jc2VxCGltZXNzYWdlSWRmbS11dWlkZnNlbmRlcmJib2tjbGllbnRNc2dJZGhjbGllbnQtMWR0ZXh0ZWhlbGxva2F0dGFjaG1lbnRzgb9jdXJseBlodHRwczovL2Nkbi5leGFtcGxlL2EucG5nZG1pbWVpaW1hZ2UvcG5nZHNpemUZCAD/YmF0eBsyMDI2LTExLTI0VDEwOjAwOjAwLjEyMzQ1NlpoZWRpdGVkQXR4GzIwMjYtMTEtMjRUMTA6MDA6MDAuMTIzNDU2WmdkZWxldGVk9P+/Y3NlcQlpbWVzc2FnZUlkZ20tdXVpZDJmc2VuZGVyYmJva2NsaWVudE1zZ0lkaGNsaWVudC0yZHRleHT2a2F0dGFjaG1lbnRzgGJhdHgbMjAyNi0xMS0yNFQxMDowMDowMC4xMjM0NTZaaGVkaXRlZEF0eBsyMDI2LTExLTI0VDEwOjAwOjAwLjEyMzQ1NlpnZGVsZXRlZPX/ZHNlbnSCv2ZzZW5kZXJiYm9rY2xpZW50TXNnSWRoY2xpZW50LTFjc2VxCGltZXNzYWdlSWRmbS11dWlkYmF0eBsyMDI2LTExLTI0VDEwOjAwOjAwLjEyMzQ1Nlr/v2ZzZW5kZXJiYm9rY2xpZW50TXNnSWRoY2xpZW50LTJjc2VxCWltZXNzYWdlSWRnbS11dWlkMmJhdHgbMjAyNi0xMS0yNFQxMDowMDowMC4xMjM0NTZa/2tkZWxldGVkU2Vxc4EJ/w==";
  static final String OLD_NOT_CREATED_MANIFEST = "dev.parley.conversation.ConversationEntity$NotCreated";
  static final String OLD_NOT_CREATED = "aElOU1RBTkNF";

  @Test
  void journalBytesWrittenBeforeTheSplitStillDeserialize() throws Exception {
    Serialization s = SerializationExtension.get(testKit.system().classicSystem());
    int id = s.serializerFor(ConversationCreated.class).identifier();
    for (int i = 0; i < EVERY_EVENT.size(); i++) {
      Object back = s.deserialize(Base64.getDecoder().decode(OLD_EVENTS.get(2 * i + 1)), id, OLD_EVENTS.get(2 * i)).get();
      assertEquals(EVERY_EVENT.get(i), back);
    }
  }

  @Test
  void snapshotsWrittenBeforeTheSplitStillDeserialize() throws Exception {
    Serialization s = SerializationExtension.get(testKit.system().classicSystem());
    int id = s.serializerFor(Active.class).identifier();
    Object back = s.deserialize(Base64.getDecoder().decode(OLD_ACTIVE), id, OLD_ACTIVE_MANIFEST).get();
    assertSameState(sampleState(), (Active) back);
    assertEquals(NotCreated.INSTANCE,
        s.deserialize(Base64.getDecoder().decode(OLD_NOT_CREATED), id, OLD_NOT_CREATED_MANIFEST).get());
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

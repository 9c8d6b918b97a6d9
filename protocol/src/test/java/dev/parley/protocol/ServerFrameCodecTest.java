package dev.parley.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.protocol.ServerFrame.AckFrame;
import dev.parley.protocol.ServerFrame.DeletedFrame;
import dev.parley.protocol.ServerFrame.EditedFrame;
import dev.parley.protocol.ServerFrame.ErrorFrame;
import dev.parley.protocol.ServerFrame.HistoryPageFrame;
import dev.parley.protocol.ServerFrame.MessageFrame;
import dev.parley.protocol.ServerFrame.PresenceFrame;
import dev.parley.protocol.ServerFrame.ReceiptFrame;
import dev.parley.protocol.ServerFrame.SubscribedFrame;
import dev.parley.protocol.ServerFrame.TypingIndicatorFrame;
import dev.parley.protocol.ServerFrame.UnreadFrame;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ServerFrameCodecTest {

  static Stream<Arguments> everyServerFrame() {
    return Stream.of(
        Arguments.of("ack", new AckFrame("r1", "c1", "m1", 7, "msg-7", Samples.AT, false)),
        Arguments.of("ack", new AckFrame(null, "c1", "m1", 7, "msg-7", Samples.AT, true)),
        Arguments.of("message", new MessageFrame(Samples.message(8))),
        Arguments.of("message", new MessageFrame("c1", Samples.deletedMessage(9))),
        Arguments.of("edited", new EditedFrame("c1", 8, "fixed", "ann", Samples.LATER)),
        Arguments.of("edited", new EditedFrame("e1", "c1", 8, "fixed", "ann", Samples.LATER)),
        Arguments.of("deleted", new DeletedFrame("c1", 8, "bo", Samples.LATER)),
        Arguments.of("deleted", new DeletedFrame("d1", "c1", 8, "bo", Samples.LATER)),
        Arguments.of("receipt", ReceiptFrame.named("c1", 8, List.of("ann", "bo"))),
        Arguments.of("receipt", ReceiptFrame.counted("c1", 8, 234)),
        Arguments.of("receipt", ReceiptFrame.viewed("c1", 8, 1200L)),
        Arguments.of("unread", new UnreadFrame("c1", 3, 10)),
        Arguments.of("history", new HistoryPageFrame("r2",
            new HistoryPage("c1", List.of(Samples.message(1), Samples.deletedMessage(2)), true, HistoryPage.SOURCE_STORE))),
        Arguments.of("history", new HistoryPageFrame(null, new HistoryPage("c1", List.of(), false, HistoryPage.SOURCE_MEMORY))),
        Arguments.of("subscribed", new SubscribedFrame("r3", "c1", 40, 31L, false)),
        Arguments.of("subscribed", new SubscribedFrame(null, "c1", 400, null, true)),
        Arguments.of("subscribed", new SubscribedFrame("r5", "c1", 7, 3L, false, List.of("ann", "bo"))),
        Arguments.of("typing", new TypingIndicatorFrame("c1", List.of("ann"), null)),
        Arguments.of("typing", new TypingIndicatorFrame("c1", null, 12)),
        Arguments.of("presence", new PresenceFrame("c1", "ann", true, Samples.AT)),
        Arguments.of("presence", new PresenceFrame("c1", "ann", false, Samples.LATER)),
        Arguments.of("error", new ErrorFrame(ErrorCode.FORBIDDEN, "only admins post in channels", "r4")),
        Arguments.of("error", new ErrorFrame(ErrorCode.RATE_LIMITED, "slow down", null)),
        Arguments.of("error", new ErrorFrame(ErrorCode.RATE_LIMITED, "slow down", "r6", 250L)));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("everyServerFrame")
  void everyServerFrameSurvivesWriteThenReadWithItsWireType(String type, ServerFrame frame) throws Exception {
    String json = ProtocolCodec.write(frame);

    assertEquals(type, Samples.typeOf(json));
    assertEquals(frame, ProtocolCodec.readServerFrame(json));
    assertEquals(frame, ProtocolCodec.readServerFrame(new String(ProtocolCodec.writeBytes(frame), "UTF-8")));
  }

  @Test
  void theRoundTripCasesCoverEveryPermittedServerFrame() {
    Set<Class<?>> covered = everyServerFrame().map(a -> a.get()[1].getClass()).collect(Collectors.toSet());
    assertEquals(Set.of(ServerFrame.class.getPermittedSubclasses()), covered);
  }

  @Test
  void theWireTypeNamesAreTheDocumentedOnes() {
    var names = Arrays.stream(ServerFrame.class.getAnnotation(JsonSubTypes.class).value())
        .map(JsonSubTypes.Type::name)
        .collect(Collectors.toSet());
    assertEquals(Set.of("ack", "message", "edited", "deleted", "receipt", "unread", "history", "subscribed",
        "typing", "presence", "error"), names);
  }

  @Test
  void instantsAreIso8601Strings() throws Exception {
    JsonNode ack = ProtocolCodec.mapper().readTree(
        ProtocolCodec.write(new AckFrame(null, "c1", "m1", 1, "x", Samples.AT, false)));

    assertEquals("2025-03-01T12:34:56.789Z", ack.get("at").asText());
    assertTrue(ack.get("at").isTextual());
  }

  @Test
  void aNamedReceiptCarriesOnlyNames() throws Exception {
    JsonNode json = ProtocolCodec.mapper().readTree(ProtocolCodec.write(ReceiptFrame.named("c1", 8, List.of("ann"))));

    assertTrue(json.has("seenBy"));
    assertFalse(json.has("seenCount"));
    assertFalse(json.has("views"));
  }

  @Test
  void aCountedReceiptCarriesOnlyTheCount() throws Exception {
    JsonNode json = ProtocolCodec.mapper().readTree(ProtocolCodec.write(ReceiptFrame.counted("c1", 8, 234)));

    assertEquals(234, json.get("seenCount").asInt());
    assertFalse(json.has("seenBy"));
    assertFalse(json.has("views"));
  }

  @Test
  void aChannelReceiptCarriesOnlyTheViewCount() throws Exception {
    JsonNode json = ProtocolCodec.mapper().readTree(ProtocolCodec.write(ReceiptFrame.viewed("c1", 8, 1200)));

    assertEquals(1200, json.get("views").asLong());
    assertFalse(json.has("seenBy"));
    assertFalse(json.has("seenCount"));
  }

  @Test
  void errorCodesUseTheirLowerCaseWireForm() throws Exception {
    JsonNode json = ProtocolCodec.mapper().readTree(
        ProtocolCodec.write(new ErrorFrame(ErrorCode.NOT_FOUND, "no such conversation", "r")));

    assertEquals("not_found", json.get("code").asText());
    assertEquals("r", json.get("ref").asText());
  }

  @Test
  void anErrorFrameForARejectedFrameCarriesItsCodeMessageAndRef() {
    ProtocolException e = assertThrowsProtocol("{\"type\":\"nope\"}");

    assertEquals(new ErrorFrame(ErrorCode.BAD_REQUEST, "unknown frame type 'nope'", "r9"), ErrorFrame.of(e, "r9"));
  }

  @Test
  void anUnknownErrorCodeFromANewerServerReadsAsInternal() {
    ServerFrame frame = ProtocolCodec.readServerFrame("{\"type\":\"error\",\"code\":\"brand_new\",\"message\":\"m\"}");

    assertEquals(new ErrorFrame(ErrorCode.INTERNAL, "m", null), frame);
  }

  @Test
  void aDeletedMessageOmitsItsTextButKeepsItsSeq() throws Exception {
    JsonNode json = ProtocolCodec.mapper().readTree(ProtocolCodec.write(new MessageFrame(Samples.deletedMessage(9))));

    assertEquals(9, json.get("message").get("seq").asLong());
    assertTrue(json.get("message").get("deleted").asBoolean());
    assertFalse(json.get("message").has("text"));
  }

  @Test
  void aSubscribedFrameWithAGapTellsTheClientToPageHistory() {
    ServerFrame frame = ProtocolCodec.readServerFrame(
        "{\"type\":\"subscribed\",\"conv\":\"c1\",\"lastSeq\":500,\"gap\":true,\"ref\":\"s1\"}");

    assertEquals(new SubscribedFrame("s1", "c1", 500, null, true), frame);
  }

  private static ProtocolException assertThrowsProtocol(String json) {
    return org.junit.jupiter.api.Assertions.assertThrows(ProtocolException.class, () -> ProtocolCodec.readClientFrame(json));
  }
}

package dev.parley.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.protocol.ClientFrame.ReadFrame;
import dev.parley.protocol.ClientFrame.SendFrame;
import dev.parley.protocol.ClientFrame.TypingFrame;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ProtocolErrorTest {

  private static ProtocolException rejected(String json) {
    ProtocolException e = assertThrows(ProtocolException.class, () -> ProtocolCodec.readClientFrame(json));
    assertEquals(ErrorCode.BAD_REQUEST, e.code());
    return e;
  }

  @Test
  void anUnknownFrameTypeIsABadRequestNamingTheType() {
    assertEquals("unknown frame type 'shout'", rejected("{\"type\":\"shout\",\"conv\":\"c1\"}").getMessage());
  }

  @Test
  void aServerFrameTypeIsUnknownToTheClientFrameReader() {
    assertEquals("unknown frame type 'ack'", rejected("{\"type\":\"ack\",\"conv\":\"c1\"}").getMessage());
  }

  @Test
  void aHugeUnknownTypeIsEchoedOnlyInPart() {
    String longType = "x".repeat(10_000);
    String message = rejected("{\"type\":\"" + longType + "\"}").getMessage();

    assertTrue(message.startsWith("unknown frame type 'xxx"), message);
    assertTrue(message.length() < 100, message);
  }

  @Test
  void aMissingTypeIsABadRequestNamingTheTypeField() {
    assertEquals("missing field 'type'", rejected("{\"conv\":\"c1\",\"upTo\":3}").getMessage());
  }

  @Test
  void aNullTypeCountsAsMissing() {
    assertEquals("missing field 'type'", rejected("{\"type\":null,\"conv\":\"c1\"}").getMessage());
  }

  static Stream<Arguments> framesMissingARequiredField() {
    return Stream.of(
        Arguments.of("{\"type\":\"send\",\"clientMsgId\":\"m1\",\"text\":\"hi\"}", "missing required field 'conv' in 'send'"),
        Arguments.of("{\"type\":\"send\",\"conv\":\"c1\",\"text\":\"hi\"}", "missing required field 'clientMsgId' in 'send'"),
        Arguments.of("{\"type\":\"send\",\"conv\":\"c1\",\"clientMsgId\":\"m1\"}", "missing required field 'text' in 'send'"),
        Arguments.of("{\"type\":\"send\",\"conv\":\"c1\",\"clientMsgId\":\"m1\",\"text\":\"  \"}", "missing required field 'text' in 'send'"),
        Arguments.of("{\"type\":\"read\",\"upTo\":3}", "missing required field 'conv' in 'read'"),
        Arguments.of("{\"type\":\"read\",\"conv\":\"c1\"}", "missing required field 'upTo' in 'read'"),
        Arguments.of("{\"type\":\"read\",\"conv\":\"c1\",\"upTo\":null}", "missing required field 'upTo' in 'read'"),
        Arguments.of("{\"type\":\"delivered\",\"upTo\":3}", "missing required field 'conv' in 'delivered'"),
        Arguments.of("{\"type\":\"delivered\",\"conv\":\"c1\"}", "missing required field 'upTo' in 'delivered'"),
        Arguments.of("{\"type\":\"subscribe\",\"sinceSeq\":3}", "missing required field 'conv' in 'subscribe'"),
        Arguments.of("{\"type\":\"unsubscribe\"}", "missing required field 'conv' in 'unsubscribe'"),
        Arguments.of("{\"type\":\"history\",\"limit\":20}", "missing required field 'conv' in 'history'"),
        Arguments.of("{\"type\":\"typing\",\"conv\":\"\"}", "missing required field 'conv' in 'typing'"),
        Arguments.of("{\"type\":\"edit\",\"seq\":3,\"text\":\"x\"}", "missing required field 'conv' in 'edit'"),
        Arguments.of("{\"type\":\"edit\",\"conv\":\"c1\",\"text\":\"x\"}", "missing required field 'seq' in 'edit'"),
        Arguments.of("{\"type\":\"edit\",\"conv\":\"c1\",\"seq\":3}", "missing required field 'text' in 'edit'"),
        Arguments.of("{\"type\":\"delete\",\"seq\":3}", "missing required field 'conv' in 'delete'"),
        Arguments.of("{\"type\":\"delete\",\"conv\":\"c1\"}", "missing required field 'seq' in 'delete'"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("framesMissingARequiredField")
  void aMissingRequiredFieldIsABadRequestNamingTheField(String json, String expected) {
    assertEquals(expected, rejected(json).getMessage());
  }

  @Test
  void aMissingFieldIsReportedTheSameWayWhenAFrameIsBuiltInCode() {
    Fields.MissingFieldException e = assertThrows(Fields.MissingFieldException.class, () -> new ReadFrame(null, 1L, null));
    assertEquals("conv", e.field());
  }

  @Test
  void malformedJsonIsABadRequestSayingSo() {
    String message = rejected("{\"type\":\"send\",").getMessage();

    assertTrue(message.startsWith("malformed JSON: "), message);
    assertTrue(message.contains("line 1"), message);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   ", "null", "[]", "42", "\"send\"", "{\"type\":\"typing\",\"conv\":\"c1\"} trailing",
      "{\"type\":\"typing\",\"conv\":\"c1\"}{}", "{type:\"typing\"}", "{\"type\":\"typing\",\"conv\":\"c\\uZZZZ\"}"})
  void anythingButOneJsonObjectIsMalformed(String json) {
    String message = rejected(json).getMessage();

    assertTrue(message.startsWith("malformed JSON: "), message);
  }

  @Test
  void aNullDocumentIsMalformed() {
    assertEquals("malformed JSON: empty input", rejected(null).getMessage());
  }

  @Test
  void aRepeatedKeyIsRejectedNotSilentlyResolved() {
    String message = rejected("{\"type\":\"typing\",\"conv\":\"c1\",\"conv\":\"c2\"}").getMessage();

    assertTrue(message.startsWith("malformed JSON: ") && message.contains("'conv'"), message);
  }

  @Test
  void aStringWhereANumberBelongsNamesTheField() {
    assertEquals("field 'upTo' has the wrong type", rejected("{\"type\":\"read\",\"conv\":\"c1\",\"upTo\":\"ten\"}").getMessage());
  }

  @Test
  void aFractionWhereASequenceNumberBelongsIsTheWrongType() {
    assertEquals("field 'seq' has the wrong type", rejected("{\"type\":\"delete\",\"conv\":\"c1\",\"seq\":1.5}").getMessage());
  }

  @Test
  void anObjectWhereANumberBelongsNamesTheField() {
    assertEquals("field 'limit' has the wrong type",
        rejected("{\"type\":\"history\",\"conv\":\"c1\",\"limit\":{\"n\":1}}").getMessage());
  }

  @Test
  void aNumberTooLargeForItsFieldIsOutOfRange() {
    assertEquals("field 'limit' is out of range",
        rejected("{\"type\":\"history\",\"conv\":\"c1\",\"limit\":99999999999}").getMessage());
  }

  @Test
  void negativeSequenceNumbersAndNonPositiveLimitsAreRejected() {
    assertEquals("field 'upTo' in 'read' must not be negative",
        rejected("{\"type\":\"read\",\"conv\":\"c1\",\"upTo\":-1}").getMessage());
    assertEquals("field 'limit' in 'history' must be positive",
        rejected("{\"type\":\"history\",\"conv\":\"c1\",\"limit\":0}").getMessage());
    assertEquals("field 'seq' in 'edit' must be positive",
        rejected("{\"type\":\"edit\",\"conv\":\"c1\",\"seq\":0,\"text\":\"x\"}").getMessage());
  }

  @Test
  void aBadNestedValueNamesItsPath() {
    assertEquals("field 'attachments[0].size' has the wrong type", rejected(
        "{\"type\":\"send\",\"conv\":\"c1\",\"clientMsgId\":\"m1\",\"attachments\":[{\"url\":\"u\",\"mime\":\"m\",\"size\":\"big\"}]}")
        .getMessage());
  }

  @Test
  void aNestedMissingFieldNamesIt() {
    assertEquals("missing required field 'mime' in 'attachment'", rejected(
        "{\"type\":\"send\",\"conv\":\"c1\",\"clientMsgId\":\"m1\",\"attachments\":[{\"url\":\"u\",\"size\":1}]}")
        .getMessage());
  }

  @Test
  void aNullAttachmentIsRejectedByName() {
    assertEquals("field 'attachments' in 'send' must not contain null", rejected(
        "{\"type\":\"send\",\"conv\":\"c1\",\"clientMsgId\":\"m1\",\"text\":\"x\",\"attachments\":[null]}").getMessage());
  }

  @Test
  void aNullForAPrimitiveInAServerFrameIsRejected() {
    ProtocolException e = assertThrows(ProtocolException.class, () -> ProtocolCodec.readServerFrame(
        "{\"type\":\"unread\",\"conv\":\"c1\",\"count\":null,\"lastSeq\":3}"));

    assertEquals(ErrorCode.BAD_REQUEST, e.code());
    assertEquals("field 'count' must not be null", e.getMessage());
  }

  @Test
  void unknownExtraPropertiesAreIgnoredForForwardCompatibility() {
    ClientFrame frame = ProtocolCodec.readClientFrame(
        "{\"type\":\"send\",\"conv\":\"c1\",\"clientMsgId\":\"m1\",\"text\":\"hi\",\"mentions\":[\"bo\"],\"v\":2,\"meta\":{\"a\":1}}");

    assertEquals(new SendFrame("c1", "m1", "hi"), frame);
  }

  @Test
  void unknownExtraPropertiesInRestBodiesAreIgnored() {
    assertEquals(new LoginRequest("ann", "pw"),
        ProtocolCodec.read("{\"username\":\"ann\",\"password\":\"pw\",\"remember\":true}", LoginRequest.class));
  }

  @Test
  void aRestBodyMissingAFieldIsABadRequestNamingIt() {
    ProtocolException e = assertThrows(ProtocolException.class,
        () -> ProtocolCodec.read("{\"username\":\"ann\"}", RegisterRequest.class));

    assertEquals(ErrorCode.BAD_REQUEST, e.code());
    assertEquals("missing required field 'password' in 'register'", e.getMessage());
  }

  @Test
  void aStringThatIsNotAnInstantIsTheWrongType() {
    ProtocolException e = assertThrows(ProtocolException.class,
        () -> ProtocolCodec.read("{\"token\":\"t\",\"userId\":\"u\",\"expiresAt\":\"tomorrow\"}", SessionToken.class));

    assertEquals("field 'expiresAt' has the wrong type", e.getMessage());
  }

  @Test
  void aValidFrameStillParsesAfterRejections() {
    rejected("{\"type\":\"shout\"}");
    assertEquals(new TypingFrame("c1"), ProtocolCodec.readClientFrame("{\"type\":\"typing\",\"conv\":\"c1\"}"));
  }

  static Stream<String> badInputs() {
    return Stream.of(
        "", "null", "[1,2]", "{", "{\"type\":\"send\",", "{\"type\":}", "{\"type\":\"send\" \"x\"}", "{'type':'send'}",
        "{\"type\":\"nope\"}", "{\"conv\":\"c1\"}", "{\"type\":{},\"conv\":\"c1\"}", "{\"type\":[\"send\"]}",
        "{\"type\":\"send\",\"conv\":\"c1\"}", "{\"type\":\"read\",\"conv\":\"c1\",\"upTo\":\"x\"}",
        "{\"type\":\"read\",\"conv\":\"c1\",\"upTo\":[1]}", "{\"type\":\"read\",\"conv\":\"c1\",\"upTo\":1e400}",
        "{\"type\":\"read\",\"conv\":{\"id\":1},\"upTo\":1}", "{\"type\":\"send\",\"conv\":\"c1\",\"clientMsgId\":\"m\",\"attachments\":7}",
        "{\"type\":\"send\",\"conv\":\"c1\",\"clientMsgId\":\"m\",\"attachments\":[{\"url\":1}]}",
        "{\"type\":\"send\",\"conv\":\"c1\",\"clientMsgId\":\"m\",\"attachments\":[[]]}",
        "{\"type\":\"subscribe\",\"conv\":\"c1\",\"sinceSeq\":true}", "{\"type\":\"history\",\"conv\":\"c1\",\"limit\":-5}",
        "[".repeat(5000), "{\"a\":".repeat(3000), "{\"type\":\"typing\",\"conv\":\"c1\"}]", "\u0000", "{\"type\":\"typ\u0001ing\"}");
  }

  @ParameterizedTest
  @MethodSource("badInputs")
  void errorMessagesNeverLeakJavaOrJacksonNames(String json) {
    String message = rejected(json).getMessage();

    assertFalse(message.contains("dev.parley"), message);
    assertFalse(message.contains("com.fasterxml"), message);
    assertFalse(message.contains("java."), message);
    assertFalse(message.contains("Exception"), message);
    assertFalse(message.contains("ClientFrame"), message);
    assertFalse(message.contains("\n"), message);
    assertTrue(message.length() < 300, message);
  }

  @ParameterizedTest
  @MethodSource("badInputs")
  void serverFrameAndRestBodyErrorsNeverLeakJavaOrJacksonNamesEither(String json) {
    for (Runnable read : new Runnable[] {
        () -> ProtocolCodec.readServerFrame(json), () -> ProtocolCodec.read(json, ConversationInfo.class)}) {
      ProtocolException e = assertThrows(ProtocolException.class, read::run);
      assertEquals(ErrorCode.BAD_REQUEST, e.code());
      assertFalse(e.getMessage().contains("dev.parley"), e.getMessage());
      assertFalse(e.getMessage().contains("com.fasterxml"), e.getMessage());
    }
  }
}

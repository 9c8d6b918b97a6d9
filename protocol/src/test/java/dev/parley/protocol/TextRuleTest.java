package dev.parley.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The text rule (docs/protocol.md "Text") and strict scalars, at the codec: every client-sent string
 * field is checked when its frame or body is read, so REST bodies and WebSocket frames share one rule,
 * and a number or boolean is never read as a string (nor a string as a number).
 */
class TextRuleTest {

  private static ProtocolException rejectedFrame(String json) {
    ProtocolException e = assertThrows(ProtocolException.class, () -> ProtocolCodec.readClientFrame(json));
    assertEquals(ErrorCode.BAD_REQUEST, e.code());
    return e;
  }

  /** A JSON send frame whose text is {@code textJson} (a JSON string literal, escapes as given). */
  private static String send(String textJson) {
    return "{\"type\":\"send\",\"conv\":\"c1\",\"clientMsgId\":\"m1\",\"text\":" + textJson + "}";
  }

  @ParameterizedTest
  @ValueSource(strings = {"\"a\\u0000b\"", "\"\\u0000\"", "\"x\\u0001\"", "\"x\\u001b[31m\"", "\"x\\u007f\"",
      "\"x\\u0085\"", "\"x\\u009b\"", "\"\\ud800\"", "\"x\\udfff\"", "\"\\udc00\\ud800\"", "\"end\\ud83d\""})
  void aMessageTextWithNulAControlOrAnUnpairedSurrogateIsABadRequest(String textJson) {
    String message = rejectedFrame(send(textJson)).getMessage();
    assertTrue(message.startsWith("field 'text' in 'send' contains "), message);
  }

  @ParameterizedTest
  @ValueSource(strings = {"\"tab\\there\"", "\"two\\nlines\\r\\n\"", "\"\\ud83d\\ude00 astral\"", "\"e\\u0301\"",
      "\"שלום\"", "\"\\u202e\\u200f\"", "\"\\ufeff\\ufffe\\uffff\"", "\"\\udbff\\udfff\"", "\"a\\u2028b\""})
  void aMessageTextWithTabNewlinesAstralCombiningOrRtlCharactersIsAccepted(String textJson) throws Exception {
    ClientFrame.SendFrame frame = (ClientFrame.SendFrame) ProtocolCodec.readClientFrame(send(textJson));
    assertEquals(ProtocolCodec.mapper().readValue(textJson, String.class), frame.text());
  }

  static Stream<Arguments> oneLineFields() {
    return Stream.of(
        Arguments.of("{\"type\":\"send\",\"conv\":\"c1\",\"clientMsgId\":\"m\\n1\",\"text\":\"hi\"}", "clientMsgId"),
        Arguments.of("{\"type\":\"send\",\"conv\":\"c\\u0000\",\"clientMsgId\":\"m1\",\"text\":\"hi\"}", "conv"),
        Arguments.of("{\"type\":\"typing\",\"conv\":\"c1\",\"ref\":\"r\\ud800\"}", "ref"),
        Arguments.of("{\"type\":\"send\",\"conv\":\"c1\",\"clientMsgId\":\"m1\",\"attachments\":"
            + "[{\"url\":\"https://x/\\u0000\",\"mime\":\"image/png\",\"size\":1}]}", "attachments.url"),
        Arguments.of("{\"type\":\"send\",\"conv\":\"c1\",\"clientMsgId\":\"m1\",\"attachments\":"
            + "[{\"url\":\"https://x/\",\"mime\":\"image/png\\t\",\"size\":1}]}", "attachments.mime"),
        Arguments.of("{\"type\":\"edit\",\"conv\":\"c1\",\"seq\":1,\"text\":\"\\u0000\"}", "text"));
  }

  @ParameterizedTest
  @MethodSource("oneLineFields")
  void everyClientStringFieldKeepsTheRule(String json, String field) {
    String message = rejectedFrame(json).getMessage();
    assertTrue(message.startsWith("field '" + field + "' in "), message);
  }

  @Test
  void restBodiesShareTheRule() {
    for (String json : List.of(
        "{\"type\":\"SMALL_GROUP\",\"name\":\"a\\nb\"}",
        "{\"type\":\"SMALL_GROUP\",\"members\":[\"bo\\u0000\"]}")) {
      ProtocolException e = assertThrows(ProtocolException.class,
          () -> ProtocolCodec.read(json, CreateConversationRequest.class));
      assertEquals(ErrorCode.BAD_REQUEST, e.code(), json);
    }
    assertThrows(ProtocolException.class, () -> ProtocolCodec.read("{\"userIds\":[\"\\ud800\"]}", AddMembersRequest.class));
    assertThrows(ProtocolException.class,
        () -> ProtocolCodec.read("{\"username\":\"ann\",\"password\":\"secret\\u0000secret\"}", RegisterRequest.class));
    assertEquals("lunch \uD83C\uDF5C", ProtocolCodec.read("{\"type\":\"SMALL_GROUP\",\"name\":\"lunch \\ud83c\\udf5c\"}",
        CreateConversationRequest.class).name());
  }

  @Test
  void theRuleNamesThePlaceAndTheCodePointNeverTheText() {
    assertEquals("a control character (U+0000) at index 3", Fields.textProblem("abc\u0000", true));
    assertEquals("an unpaired surrogate (U+D800) at index 0", Fields.textProblem("\uD800x", true));
    assertEquals("an unpaired surrogate (U+DC00) at index 1", Fields.textProblem("x\uDC00", false));
    assertEquals("a control character (U+000A) at index 1", Fields.textProblem("a\nb", false));
    assertNull(Fields.textProblem("a\nb\tc\r", true));
    assertNull(Fields.textProblem(null, false));
    assertNull(Fields.textProblem("\uD83D\uDE00", false));
  }

  static Stream<Arguments> coercions() {
    return Stream.of(
        Arguments.of("{\"type\":\"send\",\"conv\":\"c1\",\"clientMsgId\":\"m1\",\"text\":123}", "text"),
        Arguments.of("{\"type\":\"send\",\"conv\":42,\"clientMsgId\":\"m1\",\"text\":\"hi\"}", "conv"),
        Arguments.of("{\"type\":\"send\",\"conv\":\"c1\",\"clientMsgId\":true,\"text\":\"hi\"}", "clientMsgId"),
        Arguments.of("{\"type\":\"send\",\"conv\":\"c1\",\"clientMsgId\":\"m1\",\"text\":1.5}", "text"),
        Arguments.of("{\"type\":\"read\",\"conv\":\"c1\",\"upTo\":\"5\"}", "upTo"),
        Arguments.of("{\"type\":\"history\",\"conv\":\"c1\",\"limit\":\"10\"}", "limit"),
        Arguments.of("{\"type\":\"read\",\"conv\":\"c1\",\"upTo\":true}", "upTo"));
  }

  @ParameterizedTest
  @MethodSource("coercions")
  void aScalarOfTheWrongTypeIsABadRequestNotConverted(String json, String field) {
    assertEquals("field '" + field + "' has the wrong type", rejectedFrame(json).getMessage());
  }

  @Test
  void aNumberIsNotAnEnumConstant() {
    ProtocolException e = assertThrows(ProtocolException.class,
        () -> ProtocolCodec.read("{\"type\":1}", CreateConversationRequest.class));
    assertEquals(ErrorCode.BAD_REQUEST, e.code());
    assertTrue(e.getMessage().startsWith("field 'type' must be one of"), e.getMessage());
  }
}

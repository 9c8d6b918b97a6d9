package dev.parley.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RestBodyCodecTest {

  static Stream<Arguments> everyRestBody() {
    ConversationInfo info = new ConversationInfo("c1", ConversationType.SMALL_GROUP, "team", "ann",
        List.of(new MemberView("ann", Role.OWNER), new MemberView("bo", Role.MEMBER)), 2, 10, 10, Samples.AT);
    return Stream.of(
        Arguments.of(new MemberPage("c1", 3, List.of(new MemberView("ann", Role.OWNER)), "ann")),
        Arguments.of(new MemberPage("c1", 1, List.of(), null)),
        Arguments.of(new RegisterRequest("ann", "s3cret!")),
        Arguments.of(new LoginRequest("ann", "s3cret!")),
        Arguments.of(new SessionToken("tok-123", "u-ann", Instant.parse("2025-04-01T00:00:00Z"))),
        Arguments.of(new CreateConversationRequest(ConversationType.PRIVATE, null, List.of("bo"))),
        Arguments.of(new CreateConversationRequest(ConversationType.CHANNEL, "news", List.of())),
        Arguments.of(new AddMembersRequest(List.of("cy", "di"), Role.ADMIN)),
        Arguments.of(new AddMembersRequest(List.of("cy"))),
        Arguments.of(new MemberView("ann", Role.OWNER)),
        Arguments.of(info),
        Arguments.of(new ConversationInfo("c2", ConversationType.PRIVATE, null, "ann", List.of(), 2, 0, 0, Samples.AT)),
        Arguments.of(new UnreadCount("c1", 3, 10)),
        Arguments.of(new UnreadCounts(List.of(new UnreadCount("c1", 3, 10), new UnreadCount("c2", 0, 4)))),
        Arguments.of(new UnreadCounts(List.of())),
        Arguments.of(new ConversationListItem("c1", ConversationType.SMALL_GROUP, "team", Samples.message(10), 3)),
        Arguments.of(new ConversationListItem("c2", ConversationType.PRIVATE, null, null, 0)),
        Arguments.of(new ConversationList(List.of(
            new ConversationListItem("c1", ConversationType.LARGE_GROUP, "all", Samples.deletedMessage(4), 1)))),
        Arguments.of(new ErrorBody(ErrorCode.UNAUTHORIZED, "session expired")),
        // Shared views, also used inside frames and REST answers.
        Arguments.of(Samples.message(1)),
        Arguments.of(Samples.deletedMessage(2)),
        Arguments.of(new HistoryPage("c1", List.of(Samples.message(1)), false, HistoryPage.SOURCE_ARCHIVE)),
        Arguments.of(ReceiptView.named("c1", 5, ConversationType.PRIVATE, List.of("bo"), List.of("bo"))),
        Arguments.of(ReceiptView.counted("c1", 5, ConversationType.LARGE_GROUP, 234, 500)),
        Arguments.of(ReceiptView.viewed("c1", 5, 1200)),
        Arguments.of(Samples.IMAGE));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("everyRestBody")
  void everyRestBodySurvivesWriteThenRead(Object body) throws Exception {
    String json = ProtocolCodec.write(body);

    assertEquals(body, ProtocolCodec.read(json, body.getClass()));
    boolean hasTypeComponent = java.util.Arrays.stream(body.getClass().getRecordComponents())
        .anyMatch(c -> c.getName().equals("type"));
    if (!hasTypeComponent) {
      assertFalse(ProtocolCodec.mapper().readTree(json).has("type"), "no frame discriminator: " + json);
    }
  }

  @Test
  void restBodiesCarryNoTypeDiscriminator() {
    assertEquals("{\"username\":\"ann\",\"password\":\"pw\"}", ProtocolCodec.write(new LoginRequest("ann", "pw")));
  }

  @Test
  void aLoginBodyAsAClientWritesItParses() {
    assertEquals(new LoginRequest("ann", "pw"),
        ProtocolCodec.read("{\"username\":\"ann\",\"password\":\"pw\"}", LoginRequest.class));
  }

  @Test
  void aCreateConversationBodyAsAClientWritesItParses() {
    CreateConversationRequest body = ProtocolCodec.read(
        "{\"type\":\"SMALL_GROUP\",\"name\":\"team\",\"members\":[\"bo\",\"cy\"]}", CreateConversationRequest.class);

    assertEquals(new CreateConversationRequest(ConversationType.SMALL_GROUP, "team", List.of("bo", "cy")), body);
  }

  @Test
  void createConversationWithoutMembersMeansNone() {
    CreateConversationRequest body = ProtocolCodec.read("{\"type\":\"CHANNEL\",\"name\":\"news\"}", CreateConversationRequest.class);

    assertEquals(List.of(), body.members());
  }

  @Test
  void addMembersDefaultsToTheMemberRole() {
    AddMembersRequest body = ProtocolCodec.read("{\"userIds\":[\"cy\"]}", AddMembersRequest.class);

    assertEquals(Role.MEMBER, body.role());
  }

  @Test
  void addMembersRejectsAnEmptyUserIdList() {
    ProtocolException e = org.junit.jupiter.api.Assertions.assertThrows(ProtocolException.class,
        () -> ProtocolCodec.read("{\"userIds\":[],\"role\":\"ADMIN\"}", AddMembersRequest.class));

    assertEquals(ErrorCode.BAD_REQUEST, e.code());
    assertEquals("missing required field 'userIds' in 'addMembers'", e.getMessage());
  }

  @Test
  void anUnknownConversationTypeNamesTheAllowedValues() {
    ProtocolException e = org.junit.jupiter.api.Assertions.assertThrows(ProtocolException.class,
        () -> ProtocolCodec.read("{\"type\":\"HUGE\"}", CreateConversationRequest.class));

    assertEquals("field 'type' must be one of PRIVATE, SMALL_GROUP, LARGE_GROUP, CHANNEL", e.getMessage());
  }

  @Test
  void errorBodyUsesTheLowerCaseCode() {
    assertEquals("{\"code\":\"too_large\",\"message\":\"text over 4000 chars\"}",
        ProtocolCodec.write(new ErrorBody(ErrorCode.TOO_LARGE, "text over 4000 chars")));
  }

  @Test
  void credentialsNeverAppearInToString() {
    assertFalse(new LoginRequest("ann", "hunter2").toString().contains("hunter2"));
    assertFalse(new RegisterRequest("ann", "hunter2").toString().contains("hunter2"));
    assertFalse(new SessionToken("tok-secret", "u", Samples.AT).toString().contains("tok-secret"));
    assertTrue(new LoginRequest("ann", "hunter2").toString().contains("ann"));
  }
}

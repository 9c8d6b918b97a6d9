package dev.parley.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.protocol.ClientFrame.DeleteFrame;
import dev.parley.protocol.ClientFrame.DeliveredFrame;
import dev.parley.protocol.ClientFrame.EditFrame;
import dev.parley.protocol.ClientFrame.HistoryFrame;
import dev.parley.protocol.ClientFrame.ReadFrame;
import dev.parley.protocol.ClientFrame.SendFrame;
import dev.parley.protocol.ClientFrame.SubscribeFrame;
import dev.parley.protocol.ClientFrame.TypingFrame;
import dev.parley.protocol.ClientFrame.UnsubscribeFrame;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ClientFrameCodecTest {

  static Stream<Arguments> everyClientFrame() {
    return Stream.of(
        Arguments.of("send", new SendFrame("c1", "m1", "hi")),
        Arguments.of("send", new SendFrame("c1", "m2", "look", List.of(Samples.IMAGE), "r1")),
        Arguments.of("send", new SendFrame("c1", "m3", null, List.of(Samples.IMAGE), null)),
        Arguments.of("read", new ReadFrame("c1", 42L)),
        Arguments.of("read", new ReadFrame("c1", 0L, "r2")),
        Arguments.of("delivered", new DeliveredFrame("c1", 43L)),
        Arguments.of("delivered", new DeliveredFrame("c1", 43L, "r3")),
        Arguments.of("subscribe", new SubscribeFrame("c1")),
        Arguments.of("subscribe", new SubscribeFrame("c1", 17L, "r4")),
        Arguments.of("unsubscribe", new UnsubscribeFrame("c1")),
        Arguments.of("unsubscribe", new UnsubscribeFrame("c1", "r5")),
        Arguments.of("history", new HistoryFrame("c1")),
        Arguments.of("history", new HistoryFrame("c1", 100L, null, 50, "r6")),
        Arguments.of("history", new HistoryFrame("c1", null, 10L, 20, null)),
        Arguments.of("typing", new TypingFrame("c1")),
        Arguments.of("typing", new TypingFrame("c1", "r7")),
        Arguments.of("edit", new EditFrame("c1", 5L, "fixed")),
        Arguments.of("edit", new EditFrame("c1", 5L, "fixed", "r8")),
        Arguments.of("delete", new DeleteFrame("c1", 6L)),
        Arguments.of("delete", new DeleteFrame("c1", 6L, "r9")));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("everyClientFrame")
  void everyClientFrameSurvivesWriteThenReadWithItsWireType(String type, ClientFrame frame) throws Exception {
    String json = ProtocolCodec.write(frame);

    assertEquals(type, Samples.typeOf(json));
    assertEquals(frame, ProtocolCodec.readClientFrame(json));
    assertEquals(frame, ProtocolCodec.readClientFrame(new String(ProtocolCodec.writeBytes(frame), "UTF-8")));
  }

  @Test
  void theRoundTripCasesCoverEveryPermittedClientFrame() {
    Set<Class<?>> covered = everyClientFrame().map(a -> a.get()[1].getClass()).collect(Collectors.toSet());
    Set<Class<?>> permitted = Set.of(ClientFrame.class.getPermittedSubclasses());
    assertEquals(permitted, covered);
  }

  @Test
  void aSendFrameAsAClientWritesItParses() {
    ClientFrame frame = ProtocolCodec.readClientFrame("{\"type\":\"send\",\"conv\":\"c1\",\"clientMsgId\":\"m1\",\"text\":\"hi\"}");

    assertEquals(new SendFrame("c1", "m1", "hi", List.of(), null), frame);
    assertEquals(List.of(), ((SendFrame) frame).attachments());
  }

  @Test
  void aSendFrameWithAttachmentsAndRefParses() {
    ClientFrame frame = ProtocolCodec.readClientFrame("""
        {"type":"send","conv":"c1","clientMsgId":"m1","text":"pic","ref":"42",
         "attachments":[{"url":"https://cdn.example/a.png","mime":"image/png","size":2048}]}""");

    assertEquals(new SendFrame("c1", "m1", "pic", List.of(Samples.IMAGE), "42"), frame);
    assertEquals("42", frame.ref());
  }

  @Test
  void aReadFrameAsAClientWritesItParses() {
    ClientFrame frame = ProtocolCodec.readClientFrame("{\"type\":\"read\",\"conv\":\"c1\",\"upTo\":17}");

    ReadFrame read = assertInstanceOf(ReadFrame.class, frame);
    assertEquals("c1", read.conv());
    assertEquals(17L, read.upTo());
    assertNull(read.ref());
  }

  @Test
  void aSubscribeFrameWithoutSinceSeqMeansLiveOnly() {
    ClientFrame frame = ProtocolCodec.readClientFrame("{\"type\":\"subscribe\",\"conv\":\"c1\"}");

    assertEquals(new SubscribeFrame("c1", null, null), frame);
  }

  @Test
  void aSubscribeFrameWithSinceSeqAsksForReplay() {
    ClientFrame frame = ProtocolCodec.readClientFrame("{\"type\":\"subscribe\",\"conv\":\"c1\",\"sinceSeq\":9,\"ref\":\"s\"}");

    assertEquals(new SubscribeFrame("c1", 9L, "s"), frame);
  }

  @Test
  void aHistoryFrameAsAClientWritesItParses() {
    ClientFrame frame = ProtocolCodec.readClientFrame("{\"type\":\"history\",\"conv\":\"c1\",\"beforeSeq\":100,\"limit\":25}");

    assertEquals(new HistoryFrame("c1", 100L, null, 25, null), frame);
  }

  @Test
  void typingEditAndDeleteFramesAsAClientWritesThemParse() {
    assertEquals(new TypingFrame("c1"), ProtocolCodec.readClientFrame("{\"type\":\"typing\",\"conv\":\"c1\"}"));
    assertEquals(new EditFrame("c1", 3L, "new"),
        ProtocolCodec.readClientFrame("{\"type\":\"edit\",\"conv\":\"c1\",\"seq\":3,\"text\":\"new\"}"));
    assertEquals(new DeleteFrame("c1", 3L),
        ProtocolCodec.readClientFrame("{\"type\":\"delete\",\"conv\":\"c1\",\"seq\":3}"));
  }

  @Test
  void propertyOrderDoesNotMatterEvenWithTypeLast() {
    ClientFrame frame = ProtocolCodec.readClientFrame("{\"conv\":\"c1\",\"upTo\":5,\"type\":\"delivered\"}");

    assertEquals(new DeliveredFrame("c1", 5L), frame);
  }

  @Test
  void absentOptionalFieldsAreLeftOutOfTheJson() {
    String json = ProtocolCodec.write(new SubscribeFrame("c1"));

    assertEquals("{\"type\":\"subscribe\",\"conv\":\"c1\"}", json);
  }

  @Test
  void theAttachmentListIsImmutableAndDefensivelyCopied() {
    List<Attachment> source = new ArrayList<>(List.of(Samples.IMAGE));
    SendFrame frame = new SendFrame("c1", "m1", "x", source, null);
    source.clear();

    assertEquals(1, frame.attachments().size());
    assertThrows(UnsupportedOperationException.class, () -> frame.attachments().add(Samples.IMAGE));
  }

  @Test
  void aListOfMixedClientFramesKeepsEachType() throws Exception {
    List<ClientFrame> frames = List.of(new TypingFrame("c1"), new ReadFrame("c1", 2L));
    String json = ProtocolCodec.mapper().writerFor(
        ProtocolCodec.mapper().getTypeFactory().constructCollectionType(List.class, ClientFrame.class))
        .writeValueAsString(frames);

    List<ClientFrame> back = ProtocolCodec.mapper().readValue(json,
        ProtocolCodec.mapper().getTypeFactory().constructCollectionType(List.class, ClientFrame.class));
    assertEquals(frames, back);
    assertTrue(json.contains("\"type\":\"typing\"") && json.contains("\"type\":\"read\""), json);
  }

  @Test
  void theWireTypeNamesAreTheDocumentedOnes() {
    var names = Arrays.stream(ClientFrame.class.getAnnotation(com.fasterxml.jackson.annotation.JsonSubTypes.class).value())
        .map(com.fasterxml.jackson.annotation.JsonSubTypes.Type::name)
        .collect(Collectors.toSet());
    assertEquals(Set.of("send", "read", "delivered", "subscribe", "unsubscribe", "history", "typing", "edit", "delete"), names);
  }
}

package dev.parley.protocol;

import java.time.Instant;
import java.util.List;

/** Shared sample values for the codec tests. */
final class Samples {
  private Samples() {}

  static final Instant AT = Instant.parse("2025-03-01T12:34:56.789Z");
  static final Instant LATER = Instant.parse("2025-03-01T12:40:00.123456789Z");
  static final Attachment IMAGE = new Attachment("https://cdn.example/a.png", "image/png", 2048);

  static MessageView message(long seq) {
    return new MessageView("c1", seq, "msg-" + seq, "ann", "hello " + seq, List.of(IMAGE), AT, LATER, false);
  }

  static MessageView deletedMessage(long seq) {
    return new MessageView("c1", seq, "msg-" + seq, "ann", null, List.of(), AT, null, true);
  }

  /** The wire {@code type} of a written frame. */
  static String typeOf(String json) throws Exception {
    return ProtocolCodec.mapper().readTree(json).get("type").asText();
  }
}

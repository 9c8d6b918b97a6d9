package dev.parley.session;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.pekko.util.ByteString;

/**
 * One server frame's JSON, encoded to UTF-8 once and sendable on any number of sockets
 * ({@link ClientSocket#send(OutboundFrame)}): a fan-out to N sockets serializes and encodes the
 * message once instead of N times; the transport wraps the same bytes in its frame header per
 * socket. Immutable and thread-safe.
 */
public final class OutboundFrame {
  private final ByteString utf8;

  private OutboundFrame(ByteString utf8) {
    this.utf8 = utf8;
  }

  /** Encodes {@code json} once (UTF-8). */
  public static OutboundFrame text(String json) {
    Objects.requireNonNull(json, "json");
    return new OutboundFrame(ByteString.fromArrayUnsafe(json.getBytes(StandardCharsets.UTF_8)));
  }

  /** The payload, UTF-8; shared, never copied. */
  public ByteString utf8() {
    return utf8;
  }

  /** The payload size in bytes (UTF-8), without the frame header. */
  public int payloadBytes() {
    return utf8.size();
  }

  @Override
  public String toString() {
    return "OutboundFrame(text, " + utf8.size() + " bytes)";
  }
}

package dev.parley.http;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.pekko.http.impl.engine.ws.FrameEvent$;
import org.apache.pekko.http.impl.engine.ws.FrameStart;
import org.apache.pekko.http.impl.engine.ws.Protocol$Opcode$Text$;
import org.apache.pekko.util.ByteString;
import scala.Option;

/**
 * A complete, unmasked WebSocket text frame rendered once and sendable on any number of connections
 * ({@link WebSocketConnection.Handle#send(OutboundFrame)}): a fan-out to N sockets encodes the JSON once instead of
 * N times. Immutable and thread-safe.
 *
 * <p>Wraps pekko-http's internal {@code FrameStart}; see {@link WebSocketConnection} for why internal API is used.
 */
public final class OutboundFrame {
  private final FrameStart frame;
  private final int payloadBytes;

  private OutboundFrame(FrameStart frame, int payloadBytes) {
    this.frame = frame;
    this.payloadBytes = payloadBytes;
  }

  /** Renders {@code json} as one final text frame (UTF-8). */
  public static OutboundFrame text(String json) {
    Objects.requireNonNull(json, "json");
    byte[] utf8 = json.getBytes(StandardCharsets.UTF_8);
    FrameStart frame = FrameEvent$.MODULE$.fullFrame(
        Protocol$Opcode$Text$.MODULE$, Option.empty(), ByteString.fromArrayUnsafe(utf8), true, false, false, false);
    return new OutboundFrame(frame, utf8.length);
  }

  /** The payload size in bytes (UTF-8), without the frame header. */
  public int payloadBytes() {
    return payloadBytes;
  }

  FrameStart frame() {
    return frame;
  }

  @Override
  public String toString() {
    return "OutboundFrame(text, " + payloadBytes + " bytes)";
  }
}

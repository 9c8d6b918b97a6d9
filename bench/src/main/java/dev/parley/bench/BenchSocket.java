package dev.parley.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One load-generator WebSocket to a node on a {@link WsHub}: the hub's reader thread stamps each
 * frame when its bytes arrive, then this socket parses it and hands it to the scenario. Sends are
 * written on the caller's thread. Failed sends, unparsable frames and closes the generator did not
 * ask for are counted as errors, never retried: the scenario reports them.
 */
final class BenchSocket {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What a scenario does with each frame; {@code receivedAt} is System.nanoTime() when its bytes arrived. */
  @FunctionalInterface
  interface FrameHandler {
    void onFrame(BenchSocket socket, JsonNode frame, long receivedAt);
  }

  final String user;
  private final AtomicLong errors;
  private volatile WsHub.Connection connection;
  private volatile boolean closing;

  private BenchSocket(String user, AtomicLong errors) {
    this.user = user;
    this.errors = errors;
  }

  /** Opens {@code baseUrl}/ws as {@code user} (blocking until upgraded); frames go to {@code onFrame}. */
  static BenchSocket open(WsHub hub, String baseUrl, String user, String token, FrameHandler onFrame,
      AtomicLong errors) throws IOException {
    BenchSocket socket = new BenchSocket(user, errors);
    URI uri = URI.create(baseUrl);
    socket.connection = hub.connect(uri.getHost(), uri.getPort(), token, new WsHub.Handler() {
      @Override
      public void text(String text, long arrivedNanos) {
        JsonNode frame;
        try {
          frame = JSON.readTree(text);
        } catch (IOException e) {
          errors.incrementAndGet();
          return;
        }
        onFrame.onFrame(socket, frame, arrivedNanos);
      }

      @Override
      public void closed(Throwable why) {
        if (!socket.closing) {
          errors.incrementAndGet();
        }
      }
    });
    return socket;
  }

  /** Sends one frame; false (and counted as an error) when it could not be written. */
  boolean send(String json) {
    try {
      connection.sendText(json);
      return true;
    } catch (IOException e) {
      errors.incrementAndGet();
      return false;
    }
  }

  void close() {
    closing = true;
    connection.close();
  }
}

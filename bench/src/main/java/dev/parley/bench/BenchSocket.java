package dev.parley.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One load-generator WebSocket to a node: reads everything as it arrives and hands each frame,
 * parsed, to the scenario's handler on the client's reader thread; sends never block the caller
 * (a queue per socket, since a JDK WebSocket takes one outstanding send at a time). Failed sends
 * and abnormal closes are counted, never retried: the scenario reports them as errors.
 */
final class BenchSocket {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Sockets are spread over a few clients: each client reads all its sockets on one selector thread. */
  private static final HttpClient[] HTTP = new HttpClient[4];
  private static final AtomicLong OPENED = new AtomicLong();

  static {
    for (int i = 0; i < HTTP.length; i++) {
      HTTP[i] = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }
  }

  final String user;
  private final WebSocket socket;
  private final Queue<String> outbox = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean sending = new AtomicBoolean();
  private final AtomicLong sendFailures;
  private volatile boolean closed;

  private BenchSocket(String user, WebSocket socket, AtomicLong sendFailures) {
    this.user = user;
    this.socket = socket;
    this.sendFailures = sendFailures;
  }

  /** Opens {@code baseUrl}/ws as {@code user}; every frame goes to {@code onFrame(socket, frame)}. */
  /** What a scenario does with each frame; {@code receivedAt} is System.nanoTime() when its first part arrived. */
  @FunctionalInterface
  interface FrameHandler {
    void onFrame(BenchSocket socket, JsonNode frame, long receivedAt);
  }

  static BenchSocket open(String baseUrl, String user, String token, FrameHandler onFrame, AtomicLong errors) {
    BenchSocket[] self = new BenchSocket[1];
    StringBuilder partial = new StringBuilder();
    long[] firstPartAt = new long[1];
    WebSocket.Listener listener = new WebSocket.Listener() {
      @Override
      public void onOpen(WebSocket ws) {
        ws.request(Long.MAX_VALUE);
      }

      @Override
      public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        if (partial.length() == 0) {
          firstPartAt[0] = System.nanoTime();
        }
        partial.append(data);
        if (last) {
          String text = partial.toString();
          partial.setLength(0);
          JsonNode frame;
          try {
            frame = JSON.readTree(text);
          } catch (Exception e) {
            errors.incrementAndGet();
            return null;
          }
          while (self[0] == null) {
            Thread.onSpinWait();
          }
          onFrame.onFrame(self[0], frame, firstPartAt[0]);
        }
        return null;
      }

      @Override
      public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
        if (self[0] != null && !self[0].closed) {
          errors.incrementAndGet();
        }
        return null;
      }

      @Override
      public void onError(WebSocket ws, Throwable error) {
        if (self[0] != null && !self[0].closed) {
          errors.incrementAndGet();
        }
      }
    };
    WebSocket ws = HTTP[(int) (OPENED.getAndIncrement() % HTTP.length)].newWebSocketBuilder().header("Authorization", "Bearer " + token)
        .buildAsync(URI.create(baseUrl.replace("http://", "ws://") + "/ws"), listener).join();
    self[0] = new BenchSocket(user, ws, errors);
    return self[0];
  }

  void send(String json) {
    outbox.add(json);
    pump();
  }

  private void pump() {
    while (!outbox.isEmpty() && sending.compareAndSet(false, true)) {
      String next = outbox.poll();
      if (next == null) {
        sending.set(false);
        continue;
      }
      socket.sendText(next, true).whenComplete((ws, failure) -> {
        if (failure != null) {
          sendFailures.incrementAndGet();
        }
        sending.set(false);
        pump();
      });
      return;
    }
  }

  void close() {
    closed = true;
    socket.sendClose(WebSocket.NORMAL_CLOSURE, "bench done").exceptionally(e -> null);
  }
}

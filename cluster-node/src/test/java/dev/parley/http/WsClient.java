package dev.parley.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real WebSocket client for tests (JDK {@code java.net.http.WebSocket}): collects every text
 * frame the server sends, parsed as JSON, and the close code. With {@code reading = false} it never
 * asks for frames after the first, so the server's outbound queue fills (a slow consumer).
 */
public final class WsClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
  private final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
  private volatile String closeReason;
  private final WebSocket socket;
  private volatile boolean reading;

  private WsClient(WebSocket.Builder builder, URI uri, boolean readAll) {
    this.reading = readAll;
    StringBuilder partial = new StringBuilder();
    WebSocket.Listener listener = new WebSocket.Listener() {
      @Override
      public void onOpen(WebSocket ws) {
        ws.request(1);
      }

      @Override
      public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
          try {
            frames.add(JSON.readTree(partial.toString()));
          } catch (Exception e) {
            throw new IllegalStateException("server sent invalid JSON: " + partial, e);
          }
          partial.setLength(0);
        }
        if (reading) {
          ws.request(1);
        }
        return null;
      }

      @Override
      public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
        closeReason = reason;
        closeCode.complete(statusCode);
        return null;
      }

      @Override
      public void onError(WebSocket ws, Throwable error) {
        closeCode.complete(1006);
      }
    };
    this.socket = builder.buildAsync(uri, listener).join();
  }

  /** Connects to {@code baseUrl}/ws with a bearer token (null: none). */
  public static WsClient connect(String baseUrl, String token) {
    return connect(baseUrl, token, true, null);
  }

  public static WsClient connect(String baseUrl, String token, boolean reading, String origin) {
    WebSocket.Builder b = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (origin != null) {
      b.header("Origin", origin);
    }
    return new WsClient(b, URI.create(baseUrl.replace("http://", "ws://") + "/ws"), reading);
  }

  /** Opens with a builder the caller prepared (subprotocols, odd URIs); fails with the handshake status. */
  public static WsClient connect(WebSocket.Builder builder, URI uri) {
    return new WsClient(builder, uri, true);
  }

  /** The HTTP status the server answered an upgrade with, when it refused it. */
  public static int refusedStatus(Throwable failure) {
    Throwable t = failure;
    while (t != null && !(t instanceof WebSocketHandshakeException)) {
      t = t.getCause();
    }
    if (t == null) {
      throw new AssertionError("expected a refused upgrade, got " + failure, failure);
    }
    return ((WebSocketHandshakeException) t).getResponse().statusCode();
  }

  public static HttpClient http() {
    return HTTP;
  }

  public WsClient send(String json) {
    socket.sendText(json, true).join();
    return this;
  }

  /** A client that was not reading starts reading everything the server sent (and will send). */
  public void resume() {
    reading = true;
    socket.request(Long.MAX_VALUE);
  }

  public WebSocket socket() {
    return socket;
  }

  /** The next frame, or an AssertionError after the timeout. */
  public JsonNode next(Duration timeout) {
    try {
      JsonNode n = frames.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (n == null) {
        throw new AssertionError("no frame within " + timeout);
      }
      return n;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  public JsonNode next() {
    return next(Duration.ofSeconds(10));
  }

  /** The next frame of {@code type}, skipping others (typing, presence, receipts ...). */
  public JsonNode next(String type) {
    return next(n -> type.equals(n.path("type").asText()), Duration.ofSeconds(10));
  }

  public JsonNode next(Predicate<JsonNode> wanted, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<JsonNode> skipped = new ArrayList<>();
    while (System.nanoTime() < deadline) {
      try {
        JsonNode n = frames.poll(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
        if (n == null) {
          break;
        }
        if (wanted.test(n)) {
          return n;
        }
        skipped.add(n);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("no wanted frame within " + timeout + "; skipped " + skipped);
  }

  /** Frames of {@code type} that arrive within {@code window} (for "nothing more came" checks). */
  public List<JsonNode> drain(String type, Duration window) {
    List<JsonNode> out = new ArrayList<>();
    long deadline = System.nanoTime() + window.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        JsonNode n = frames.poll(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
        if (n != null && (type == null || type.equals(n.path("type").asText()))) {
          out.add(n);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return out;
  }

  /** The close code the server sent (or 1006), waiting up to the timeout. */
  public int closeCode(Duration timeout) {
    try {
      return closeCode.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("socket not closed within " + timeout, e);
    }
  }

  public boolean isClosed() {
    return closeCode.isDone();
  }

  public String closeReason() {
    return closeReason;
  }

  @Override
  public void close() {
    if (!socket.isOutputClosed()) {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
    }
    socket.abort();
  }
}

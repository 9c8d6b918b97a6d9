package dev.parley.bench.seed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Parley client as an application would be one: JDK {@code HttpClient} (HTTP/1.1, keep-alive)
 * for the REST API with a bearer token, and one WebSocket per user for {@code read} frames. The
 * sockets never subscribe to conversations, so the only {@code unread} frame a socket receives for
 * a conversation is the answer to its own {@code read} (see docs/protocol.md §9 on the doubled
 * frame of subscribed sockets); an answer's arrival time is taken in the socket's listener, when the
 * frame is complete, before it is parsed.
 */
public final class ParleyClient {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String baseUrl;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();

  public ParleyClient(String baseUrl) {
    this.baseUrl = baseUrl;
  }

  /** Registers {@code user} and logs in; returns the session token. */
  public String registerAndLogin(String user, String password) throws IOException, InterruptedException {
    call("POST", "/api/users", null, Map.of("username", user, "password", password), 201);
    return call("POST", "/api/sessions", null, Map.of("username", user, "password", password), 200)
        .path("token").asText();
  }

  /** Creates a conversation as the token's user; returns its id. */
  public String create(String token, String type, String name, List<String> members)
      throws IOException, InterruptedException {
    Map<String, Object> body = new HashMap<>();
    body.put("type", type);
    body.put("members", members);
    if (name != null) {
      body.put("name", name);
    }
    return call("POST", "/api/conversations", token, body, 201).path("id").asText();
  }

  /** A GET of {@code path} with the token; returns the body of a 200 (anything else fails). */
  public String get(String path, String token) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(baseUrl + path))
        .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("GET " + path + ": " + r.statusCode() + " " + r.body());
    }
    return r.body();
  }

  public static JsonNode parse(String json) throws IOException {
    return JSON.readTree(json);
  }

  private JsonNode call(String method, String path, String token, Object body, int expected)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path))
        .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
        .header("Content-Type", "application/json");
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != expected) {
      throw new IllegalStateException(method + " " + path + ": " + r.statusCode() + " " + r.body());
    }
    return JSON.readTree(r.body());
  }

  /** Opens the user's WebSocket ({@code /ws}, token in the Authorization header). */
  public Socket connect(String token) {
    Socket socket = new Socket();
    socket.ws = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + token)
        .buildAsync(URI.create(baseUrl.replace("http://", "ws://") + "/ws"), socket.listener()).join();
    return socket;
  }

  /** The answer to a {@code read}: when it arrived ({@code System.nanoTime()}) and the unread count it carried. */
  public record Unread(long arrivedNanos, long count) {}

  /**
   * One user's socket. At most one {@code read} per conversation is outstanding; frames are sent
   * one after the other (a WebSocket takes one send at a time).
   */
  public static final class Socket implements AutoCloseable {
    private final Map<String, CompletableFuture<Unread>> pending = new ConcurrentHashMap<>();
    private CompletableFuture<WebSocket> sending;
    private WebSocket ws;

    /** Sends {@code read {conv, upTo}}; completes when the {@code unread} frame for {@code conv} arrives. */
    public synchronized CompletableFuture<Unread> read(String conv, long upTo) {
      CompletableFuture<Unread> answer = new CompletableFuture<>();
      if (pending.putIfAbsent(conv, answer) != null) {
        throw new IllegalStateException("a read of " + conv + " is already outstanding");
      }
      String frame = "{\"type\":\"read\",\"conv\":\"" + conv + "\",\"upTo\":" + upTo + ",\"ref\":\"r\"}";
      sending = sending == null ? ws.sendText(frame, true)
          : sending.thenCompose(w -> w.sendText(frame, true));
      sending.whenComplete((w, e) -> {
        if (e != null) {
          fail(e);
        }
      });
      return answer;
    }

    private WebSocket.Listener listener() {
      StringBuilder partial = new StringBuilder();
      return new WebSocket.Listener() {
        @Override
        public void onOpen(WebSocket w) {
          w.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
          long arrived = System.nanoTime();
          partial.append(data);
          if (last) {
            String text = partial.toString();
            partial.setLength(0);
            received(text, arrived);
          }
          w.request(1);
          return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket w, int status, String reason) {
          fail(new IllegalStateException("socket closed: " + status + " " + reason));
          return null;
        }

        @Override
        public void onError(WebSocket w, Throwable error) {
          fail(error);
        }
      };
    }

    private void received(String text, long arrived) {
      try {
        JsonNode frame = JSON.readTree(text);
        String type = frame.path("type").asText();
        if (type.equals("unread")) {
          CompletableFuture<Unread> answer = pending.remove(frame.path("conv").asText());
          if (answer != null) {
            answer.complete(new Unread(arrived, frame.path("count").asLong()));
          }
        } else if (type.equals("error")) {
          fail(new IllegalStateException("server error frame: " + text));
        }
      } catch (IOException e) {
        fail(e);
      }
    }

    private void fail(Throwable e) {
      pending.keySet().forEach(conv -> {
        CompletableFuture<Unread> answer = pending.remove(conv);
        if (answer != null) {
          answer.completeExceptionally(e);
        }
      });
    }

    @Override
    public void close() {
      if (ws != null) {
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(2, java.util.concurrent.TimeUnit.SECONDS)
            .exceptionally(e -> null).join();
        ws.abort();
      }
    }
  }
}

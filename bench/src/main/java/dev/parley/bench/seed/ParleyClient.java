package dev.parley.bench.seed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.bench.BenchApi;
import dev.parley.bench.WsHub;
import dev.parley.protocol.ClientFrame;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.ProtocolCodec;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Parley client as an application would be one, through the public API only: REST with a bearer
 * token and one WebSocket per user for {@code send} and {@code read} frames. Setup calls go through
 * {@link BenchApi}; the measured calls go through lean clients ({@link LeanHttp}, {@link WsHub})
 * that add as little client time as possible on a box whose cores the server shares. The sockets
 * never subscribe to conversations, so the only {@code unread} frame a socket receives for a
 * conversation is the answer to its own {@code read} (docs/protocol.md §9 explains the doubled
 * frame of subscribed sockets); an answer's arrival time is when the hub's selector saw its bytes.
 */
public final class ParleyClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String baseUrl;
  /** Setup calls (register, log in, create): not measured. */
  private final BenchApi api;
  private final LeanHttp rest;
  private WsHub hub;

  public ParleyClient(String baseUrl) {
    this.baseUrl = baseUrl;
    this.rest = new LeanHttp(baseUrl);
    this.api = new BenchApi(baseUrl);
  }

  /** Registers {@code user} (password: its name + "-password") and logs in; returns the session token. */
  public String registerAndLogin(String user) {
    return api.registerAndLogin(user).token();
  }

  /** Creates a conversation as the token's user; returns its id. */
  public String create(String token, String type, String name, List<String> members) {
    return api.create(token, ConversationType.valueOf(type), name, members).id();
  }

  /** A measured GET of {@code path} with the token (on {@link LeanHttp}); returns the body of a 200. */
  public String get(String path, String token) throws IOException {
    LeanHttp.Response r = rest.get(path, token);
    if (r.status() != 200) {
      throw new IllegalStateException("GET " + path + ": " + r.status() + " " + r.body());
    }
    return r.body();
  }

  public static JsonNode parse(String json) throws IOException {
    return JSON.readTree(json);
  }

  /** Opens the user's WebSocket ({@code /ws}, token in the Authorization header). */
  public synchronized Socket connect(String token) throws IOException {
    if (hub == null) {
      hub = new WsHub();
    }
    URI u = URI.create(baseUrl);
    Socket socket = new Socket();
    socket.connection = hub.connect(u.getHost(), u.getPort(), token, socket);
    return socket;
  }

  @Override
  public synchronized void close() {
    rest.close();
    if (hub != null) {
      hub.close();
    }
  }

  /** The answer to a {@code read}: when it arrived ({@code System.nanoTime()}) and the unread count it carried. */
  public record Unread(long arrivedNanos, long count) {}

  /** One user's socket. At most one {@code read} per conversation is outstanding; any number of sends. */
  public static final class Socket implements AutoCloseable, WsHub.Handler {
    private final Map<String, CompletableFuture<Unread>> pending = new ConcurrentHashMap<>();
    /** Sends waiting for their ack, by the ref this socket gave them. */
    private final Map<String, CompletableFuture<Long>> sends = new ConcurrentHashMap<>();
    private final AtomicLong refs = new AtomicLong();
    private WsHub.Connection connection;

    /** Sends {@code send {conv, clientMsgId, text}}; completes with the message's seq when the ack arrives. */
    public CompletableFuture<Long> send(String conv, String clientMsgId, String text) {
      CompletableFuture<Long> ack = new CompletableFuture<>();
      String ref = "s" + refs.incrementAndGet();
      sends.put(ref, ack);
      try {
        connection.sendText(ProtocolCodec.write(new ClientFrame.SendFrame(conv, clientMsgId, text, List.of(), ref)));
      } catch (IOException e) {
        closed(e);
      }
      return ack;
    }

    /** Sends {@code read {conv, upTo}}; completes when the {@code unread} frame for {@code conv} arrives. */
    public CompletableFuture<Unread> read(String conv, long upTo) {
      CompletableFuture<Unread> answer = new CompletableFuture<>();
      if (pending.putIfAbsent(conv, answer) != null) {
        throw new IllegalStateException("a read of " + conv + " is already outstanding");
      }
      try {
        connection.sendText("{\"type\":\"read\",\"conv\":\"" + conv + "\",\"upTo\":" + upTo + ",\"ref\":\"r\"}");
      } catch (IOException e) {
        closed(e);
      }
      return answer;
    }

    @Override
    public void text(String text, long arrived) {
      try {
        JsonNode frame = JSON.readTree(text);
        String type = frame.path("type").asText();
        if (type.equals("unread")) {
          CompletableFuture<Unread> answer = pending.remove(frame.path("conv").asText());
          if (answer != null) {
            answer.complete(new Unread(arrived, frame.path("count").asLong()));
          }
        } else if (type.equals("ack")) {
          CompletableFuture<Long> ack = sends.remove(frame.path("ref").asText());
          if (ack != null) {
            ack.complete(frame.path("seq").asLong());
          }
        } else if (type.equals("error")) {
          CompletableFuture<Long> send = sends.remove(frame.path("ref").asText());
          if (send != null) {
            send.completeExceptionally(new IllegalStateException("server error frame: " + text));
          } else {
            closed(new IllegalStateException("server error frame: " + text));
          }
        }
      } catch (IOException e) {
        closed(e);
      }
    }

    @Override
    public void closed(Throwable why) {
      failAll(sends, why);
      failAll(pending, why);
    }

    private static <T> void failAll(Map<String, CompletableFuture<T>> waiting, Throwable why) {
      waiting.keySet().forEach(key -> {
        CompletableFuture<T> answer = waiting.remove(key);
        if (answer != null) {
          answer.completeExceptionally(why);
        }
      });
    }

    @Override
    public void close() {
      connection.close();
    }
  }
}

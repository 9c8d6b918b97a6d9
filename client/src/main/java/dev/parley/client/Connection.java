package dev.parley.client;

import dev.parley.protocol.ProtocolCodec;
import dev.parley.protocol.ProtocolException;
import dev.parley.protocol.ServerFrame;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One JDK WebSocket of a {@link ParleySocket}: the upgrade (Origin, token in the header or a
 * subprotocol, or none for an anonymous session), joining fragmented text into frames, and reporting its end exactly once. It keeps no
 * state across connections; what it had read but not yet handed on when it ends is lost (a partial
 * fragment). Reading starts only when its owner calls {@code ws().request(1)}.
 */
final class Connection implements WebSocket.Listener {
  /** What a connection reports to. Called from the connection's I/O thread, one call at a time. */
  interface Owner {
    void received(Connection c, ServerFrame frame);

    void unreadable(String text, ProtocolException error);

    /** The connection ended: the server's close code, or 1006 with a reason when TCP ended without one. */
    void ended(Connection c, int code, String reason);

    /** Whether to ask for the next message after each one. */
    boolean reading();
  }

  private final Owner owner;
  private final StringBuilder partial = new StringBuilder();
  private final CompletableFuture<Void> ended = new CompletableFuture<>();
  private volatile WebSocket ws;
  private volatile int endCode;
  private volatile String endReason;

  private Connection(Owner owner) {
    this.owner = owner;
  }

  /** Upgrades to a WebSocket with the session's current token; fails with a {@link ParleyException}. */
  static CompletableFuture<Connection> open(ParleySession session, SocketOptions options, Owner owner) {
    Connection c = new Connection(owner);
    WebSocket.Builder b = session.client().httpClient().newWebSocketBuilder().connectTimeout(options.connectTimeout());
    if (options.origin() != null) {
      b.header("Origin", options.origin());
    }
    List<String> protocols = new ArrayList<>(options.subprotocols());
    String token = session.token();
    if (options.tokenInSubprotocol()) {
      if (token != null) {
        protocols.add(0, "parley.token." + token);
      }
      protocols.add(0, "parley.v1");
    } else if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (!protocols.isEmpty()) {
      b.subprotocols(protocols.get(0), protocols.subList(1, protocols.size()).toArray(String[]::new));
    }
    return b.buildAsync(session.client().webSocketUri(), c).handle((ws, failure) -> {
      if (failure != null) {
        throw refusal(session, failure);
      }
      c.ws = ws;
      return c;
    });
  }

  WebSocket ws() {
    return ws;
  }

  /** Completes when the connection has ended (closed by either side, or lost). */
  CompletableFuture<Void> ended() {
    return ended;
  }

  boolean hasEnded() {
    return ended.isDone();
  }

  int endCode() {
    return endCode;
  }

  String endReason() {
    return endReason;
  }

  @Override
  public void onOpen(WebSocket webSocket) {
    // No request(1) here: the owner starts reading once this is its current connection.
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    partial.append(data);
    if (last) {
      String text = partial.toString();
      partial.setLength(0);
      ServerFrame frame = null;
      try {
        frame = ProtocolCodec.readServerFrame(text);
      } catch (ProtocolException e) {
        owner.unreadable(text, e);
      }
      if (frame != null) {
        owner.received(this, frame);
      }
    }
    if (owner.reading()) {
      webSocket.request(1);
    }
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    end(statusCode, reason);
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    end(1006, "connection lost: " + ParleyException.unwrap(error).getMessage());
  }

  private void end(int code, String reason) {
    endCode = code;
    endReason = reason;
    if (ended.complete(null)) {
      owner.ended(this, code, reason);
    }
  }

  /** The {@link ParleyException} for a failed upgrade: the refusal's status and error body, or unreachable. */
  private static ParleyException refusal(ParleySession session, Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof WebSocketHandshakeException h) {
        Object body = h.getResponse().body();
        String text = body instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8)
            : body == null ? "" : body.toString();
        return ParleyException.ofHttp(h.getResponse().statusCode(), text);
      }
    }
    ParleyException e = ParleyException.unwrap(failure);
    return e.fromServer() ? e : ParleyException.unreachable(
        "cannot open " + session.client().webSocketUri() + ": " + e.getMessage(), failure);
  }
}

package dev.parley.client;

import java.time.Duration;
import java.util.List;

/**
 * How a {@link ParleySocket} connects: the {@code Origin} header to send (null: none, as native clients
 * do), whether the token travels in the {@code Authorization} header or, as browsers must, in a
 * {@code parley.token.*} subprotocol next to {@code parley.v1}, any further subprotocols to offer, the
 * upgrade timeout, whether to reconnect after a retryable drop and with which {@link Backoff}, whether to
 * resend requests that had no answer when the connection dropped, and whether to start reading at once
 * (false: the socket reads nothing until {@link ParleySocket#resumeReading()}, as a slow consumer would).
 */
public record SocketOptions(
    String origin,
    boolean tokenInSubprotocol,
    List<String> subprotocols,
    Duration connectTimeout,
    boolean reconnect,
    Backoff backoff,
    boolean resendUnanswered,
    boolean reading) {

  public SocketOptions {
    subprotocols = List.copyOf(subprotocols);
    if (connectTimeout.isNegative() || connectTimeout.isZero()) {
      throw new IllegalArgumentException("connectTimeout must be positive");
    }
    java.util.Objects.requireNonNull(backoff, "backoff");
  }

  /** No Origin, token in the header, 10 s upgrade timeout, reconnect with {@link Backoff#DEFAULT}, resend, reading. */
  public static SocketOptions defaults() {
    return new SocketOptions(null, false, List.of(), Duration.ofSeconds(10), true, Backoff.DEFAULT, true, true);
  }

  /** The {@code Origin} header to send (null: none). */
  public SocketOptions withOrigin(String value) {
    return edit(o -> o.origin = value);
  }

  /** The browser way: offer {@code parley.v1} and {@code parley.token.<token>} instead of the header. */
  public SocketOptions withTokenInSubprotocol(boolean value) {
    return edit(o -> o.tokenInSubprotocol = value);
  }

  /** Further subprotocols to offer (after the token ones). */
  public SocketOptions withSubprotocols(List<String> value) {
    return edit(o -> o.subprotocols = value);
  }

  /** How long an upgrade may take. */
  public SocketOptions withConnectTimeout(Duration value) {
    return edit(o -> o.connectTimeout = value);
  }

  /** Reconnect (with {@code backoff}) after retryable drops, or not ({@code backoff} then unused). */
  public SocketOptions withReconnect(boolean on, Backoff backoff) {
    return edit(o -> {
      o.reconnect = on;
      o.backoff = backoff;
    });
  }

  /** Whether requests without an answer are re-sent after a reconnect (false: they fail with unavailable). */
  public SocketOptions withResendUnanswered(boolean value) {
    return edit(o -> o.resendUnanswered = value);
  }

  /** Whether to read at once (false: nothing is read until {@link ParleySocket#resumeReading()}). */
  public SocketOptions withReading(boolean value) {
    return edit(o -> o.reading = value);
  }

  /** A copy with the fields {@code change} sets. */
  private SocketOptions edit(java.util.function.Consumer<Draft> change) {
    Draft d = new Draft(this);
    change.accept(d);
    return new SocketOptions(d.origin, d.tokenInSubprotocol, d.subprotocols, d.connectTimeout, d.reconnect, d.backoff,
        d.resendUnanswered, d.reading);
  }

  /** The fields of a copy being made. */
  private static final class Draft {
    String origin;
    boolean tokenInSubprotocol;
    List<String> subprotocols;
    Duration connectTimeout;
    boolean reconnect;
    Backoff backoff;
    boolean resendUnanswered;
    boolean reading;

    Draft(SocketOptions o) {
      origin = o.origin;
      tokenInSubprotocol = o.tokenInSubprotocol;
      subprotocols = o.subprotocols;
      connectTimeout = o.connectTimeout;
      reconnect = o.reconnect;
      backoff = o.backoff;
      resendUnanswered = o.resendUnanswered;
      reading = o.reading;
    }
  }
}

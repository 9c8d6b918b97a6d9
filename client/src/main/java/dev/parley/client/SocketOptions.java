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

  public SocketOptions withOrigin(String origin) {
    return new SocketOptions(origin, tokenInSubprotocol, subprotocols, connectTimeout, reconnect, backoff,
        resendUnanswered, reading);
  }

  /** The browser way: offer {@code parley.v1} and {@code parley.token.<token>} instead of the header. */
  public SocketOptions withTokenInSubprotocol(boolean inSubprotocol) {
    return new SocketOptions(origin, inSubprotocol, subprotocols, connectTimeout, reconnect, backoff,
        resendUnanswered, reading);
  }

  public SocketOptions withSubprotocols(List<String> offered) {
    return new SocketOptions(origin, tokenInSubprotocol, offered, connectTimeout, reconnect, backoff,
        resendUnanswered, reading);
  }

  public SocketOptions withConnectTimeout(Duration timeout) {
    return new SocketOptions(origin, tokenInSubprotocol, subprotocols, timeout, reconnect, backoff,
        resendUnanswered, reading);
  }

  /** Reconnect (with {@code backoff}) after retryable drops, or not ({@code backoff} then unused). */
  public SocketOptions withReconnect(boolean on, Backoff backoff) {
    return new SocketOptions(origin, tokenInSubprotocol, subprotocols, connectTimeout, on, backoff,
        resendUnanswered, reading);
  }

  /** Whether requests without an answer are re-sent after a reconnect (false: they fail with unavailable). */
  public SocketOptions withResendUnanswered(boolean resend) {
    return new SocketOptions(origin, tokenInSubprotocol, subprotocols, connectTimeout, reconnect, backoff,
        resend, reading);
  }

  public SocketOptions withReading(boolean readAtOnce) {
    return new SocketOptions(origin, tokenInSubprotocol, subprotocols, connectTimeout, reconnect, backoff,
        resendUnanswered, readAtOnce);
  }
}

package dev.parley.client;

/**
 * What happened to a {@link ParleySocket}'s connection, delivered to
 * {@link SocketListener#onEvent(SocketEvent)} in order with the frames.
 */
public sealed interface SocketEvent {

  /**
   * The connection ended: {@code code} is the close code the server sent, or 1006 when TCP ended without
   * one ({@code reason} then says why). {@code reconnecting} tells whether the socket will try again
   * (a retryable close: 1001, 1006, 1011, 4008) or is now closed for good.
   */
  record Disconnected(int code, String reason, boolean reconnecting) implements SocketEvent {}

  /**
   * Reconnect attempt {@code attempt} failed ({@code error} says how); the next one follows after
   * {@code delayMs}, or none when it is -1 (the attempts are used up and {@link Closed} follows).
   */
  record ReconnectFailed(int attempt, ParleyException error, long delayMs) implements SocketEvent {}

  /**
   * A new connection is open after attempt {@code attempt}; the socket has re-sent {@code subscribe
   * {conv, sinceSeq}} for each of {@code resubscribed} conversations and {@code resent} requests that had
   * no answer yet. Their answers follow as frames.
   */
  record Reconnected(int attempt, int resubscribed, int resent) implements SocketEvent {}

  /**
   * The socket is closed for good: {@code deliberate} when {@link ParleySocket#close()} was called, else
   * after a close that reconnecting cannot fix or after the last reconnect attempt failed
   * ({@code code}/{@code reason} are the last close's). Requests still waiting failed with
   * {@code unavailable}.
   */
  record Closed(int code, String reason, boolean deliberate) implements SocketEvent {}
}

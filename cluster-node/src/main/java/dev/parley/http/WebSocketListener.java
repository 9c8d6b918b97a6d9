package dev.parley.http;

import dev.parley.session.ClientSocket;

/**
 * The application side of one {@link WebSocketConnection}. One instance per connection.
 *
 * <p>All three methods are called on the connection's stream thread, one at a time, and must not block: hand work
 * to an actor (or another executor) and return. Exceptions thrown from {@link #opened} or {@link #received} are
 * logged and close the connection with 1011; exceptions from {@link #closed} are logged.
 */
public interface WebSocketListener {

  /**
   * The connection is open. {@code handle} is thread-safe and may be kept and used from any thread until
   * {@link #closed} (afterwards its calls are ignored).
   */
  void opened(ClientSocket handle);

  /**
   * One complete inbound text message (all fragments assembled). Every call must eventually be acknowledged with
   * {@link ClientSocket#processed()}: while {@link WebSocketLimits#maxInFlight()} messages are
   * unacknowledged the connection stops reading from the socket — including the peer's close frame, so a
   * listener that stops acknowledging stalls the connection until it does (or the transport drops).
   */
  void received(String message);

  /**
   * Called exactly once, however the connection ends, as soon as the end is decided: for a close we initiate
   * ({@link ClientSocket#close}, 1009, 1003, 4008, or a protocol error found by pekko) when our close is
   * decided — before the peer has answered; for a peer close when its close frame arrives; {@code code} 1006 when
   * the transport ended without a close frame.
   *
   * @param code the close code (1005 if the peer's close frame carried none)
   * @param reason the close reason, possibly empty
   * @param byPeer true if the peer closed (close frame, or the connection dropped: 1006), false if this server did
   */
  void closed(int code, String reason, boolean byPeer);
}

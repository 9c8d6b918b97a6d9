package dev.parley.session;

/**
 * The one client connection a {@link Session} writes to, as the session sees it. The transport
 * (today {@code http.WebSocketConnection}) implements it; the session layer never sees the
 * transport's types.
 *
 * <p>Thread-safe; every call returns at once (the work happens on the connection's stream). After
 * the connection is closed (by either side) all calls are ignored: frames handed to a closed socket
 * are lost, and the client resumes with {@code subscribe(sinceSeq)}.
 */
public interface ClientSocket {
  /** Sends one text message; rendered on the calling thread. */
  void send(String json);

  /** Sends a pre-rendered text frame (shared by many connections). */
  void send(OutboundFrame frame);

  /**
   * Sends a close frame with {@code code} and {@code reason} after the frames already queued; later sends are
   * ignored. {@code reason} is truncated to 123 UTF-8 bytes. Only the first close of a connection counts.
   *
   * @throws IllegalArgumentException if {@code code} may not be sent (valid: 1000-1003, 1007-1011, 3000-4999)
   */
  void close(int code, String reason);

  /** Acknowledges one inbound message handed to the session, allowing one more in. */
  void processed();

  /** False once the connection is closing or closed (eventually consistent across threads). */
  boolean isOpen();
}

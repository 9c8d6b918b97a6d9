package dev.parley.http;

import dev.parley.session.ClientSocket;
import java.time.Duration;
import java.util.Objects;

/**
 * Per-connection limits of a {@link WebSocketConnection}.
 *
 * @param maxMessageBytes largest inbound text message, in UTF-8 bytes, summed over all its fragments; one byte more
 *     and the connection is closed with 1009 before anything past the limit is buffered
 * @param maxInFlight inbound messages handed to {@link WebSocketListener#received} and not yet acknowledged with
 *     {@link ClientSocket#processed()}; at the limit the connection stops reading from the socket
 * @param maxOutboundQueue outbound frames waiting for the socket; one more and the connection is closed with 4008
 *     ("slow consumer") and the queued frames are dropped
 * @param keepAliveInterval how often the connection checks for inbound silence; a check that finds none since the
 *     previous one sends a Ping, so an idle socket outlives the server's idle-timeout
 */
public record WebSocketLimits(int maxMessageBytes, int maxInFlight, int maxOutboundQueue, Duration keepAliveInterval) {
  public WebSocketLimits {
    if (maxMessageBytes < 1) {
      throw new IllegalArgumentException("maxMessageBytes must be positive: " + maxMessageBytes);
    }
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("maxInFlight must be positive: " + maxInFlight);
    }
    if (maxOutboundQueue < 1) {
      throw new IllegalArgumentException("maxOutboundQueue must be positive: " + maxOutboundQueue);
    }
    Objects.requireNonNull(keepAliveInterval, "keepAliveInterval");
    if (keepAliveInterval.isZero() || keepAliveInterval.isNegative()) {
      throw new IllegalArgumentException("keepAliveInterval must be positive: " + keepAliveInterval);
    }
  }
}

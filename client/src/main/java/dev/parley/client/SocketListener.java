package dev.parley.client;

import dev.parley.protocol.ProtocolException;
import dev.parley.protocol.ServerFrame;

/**
 * Receives what a {@link ParleySocket} reads, in the order it arrived. Callbacks come one at a time from
 * the socket's I/O thread: keep them short and never block in them waiting for another answer from the
 * same socket (hand the frame to your own thread or a {@link FrameQueue} instead).
 */
public interface SocketListener {

  /**
   * Every frame the server sent, answers included (an {@code ack} also completes the future of its
   * {@code send}), except {@code message} frames of a subscribed conversation at or below the seq already
   * delivered, which resume dropped as duplicates.
   */
  void onFrame(ServerFrame frame);

  /** A connection event (disconnect, reconnect, final close). Default: ignored. */
  default void onEvent(SocketEvent event) {}

  /** A text message the codec could not read (a newer server, or a bug). Default: ignored. */
  default void onUnreadable(String text, ProtocolException error) {}
}

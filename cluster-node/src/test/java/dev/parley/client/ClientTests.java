package dev.parley.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.parley.protocol.ClientFrame;
import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.ServerFrame;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Shared steps of tests that drive a real node through the client library. */
public final class ClientTests {
  private ClientTests() {}

  /** The password {@link #signUp} gives {@code name}. */
  public static String password(String name) {
    return "secret-" + name;
  }

  /** Registers {@code name} (password {@link #password(String)}) and logs in. */
  public static ParleySession signUp(ParleyClient client, String name) {
    assertEquals(name.toLowerCase(java.util.Locale.ROOT), client.register(name, password(name)).join());
    return client.login(name, password(name)).join();
  }

  /** The error {@code future} fails with (within 10 s); an AssertionError when it succeeds. */
  public static ParleyException failure(CompletableFuture<?> future) {
    return ParleyException.unwrap(assertThrows(Exception.class, () -> future.get(10, TimeUnit.SECONDS)));
  }

  /**
   * Sends {@code frame} as docs/protocol.md §5 says a client should: an {@code overloaded} or
   * {@code unknown_outcome} answer is repeated with the same {@code clientMsgId} (after
   * {@code retryAfterMs}, else 200 ms) until it is acked; any other error fails the future.
   */
  public static CompletableFuture<ServerFrame.AckFrame> sendUntilStored(ParleySocket socket, ClientFrame.SendFrame frame) {
    return socket.sendUntilStored(frame);
  }
}

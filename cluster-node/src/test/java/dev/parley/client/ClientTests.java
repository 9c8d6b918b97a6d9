package dev.parley.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
}

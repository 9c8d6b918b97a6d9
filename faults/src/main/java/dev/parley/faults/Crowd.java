package dev.parley.faults;

import dev.parley.client.Backoff;
import dev.parley.client.ParleyClient;
import dev.parley.client.ParleyException;
import dev.parley.client.ParleySession;
import dev.parley.client.SocketOptions;
import dev.parley.protocol.ConversationType;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.function.Function;

/**
 * The people of a scenario, made through the Parley client library: accounts (named with this run's
 * stem, password = name + "-password") and 2-member conversations. Every client of the crowd shares
 * one JDK HTTP client (one selector thread for a thousand sockets). Setup calls block and throw the
 * client's {@link ParleyException}; they are never measured.
 */
final class Crowd {
  /** Reconnect at once and keep trying while a node restarts (the library's resume under test). */
  static final SocketOptions RESUMING = SocketOptions.defaults()
      .withReconnect(true, new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), 0.5, 0));
  /** No reconnect: a scenario that watches a close itself. */
  static final SocketOptions ONCE = SocketOptions.defaults().withReconnect(false, Backoff.DEFAULT);

  private final ParleyClient client;
  private final String stem = UUID.randomUUID().toString().substring(0, 6);

  Crowd(String baseUrl) {
    this.client = ParleyClient.create(baseUrl, HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build(), Duration.ofSeconds(30));
  }

  ParleyClient client() {
    return client;
  }

  /** Registers {@code <stem>.<name>} and logs in. */
  ParleySession user(String name) {
    return join(account(name));
  }

  /** {@code n} users {@code <stem>.<prefix><i>}, 16 at a time. */
  List<ParleySession> users(String prefix, int n) {
    return parallel(n, 16, i -> account(prefix + i));
  }

  private CompletableFuture<ParleySession> account(String name) {
    String username = stem + "." + name;
    String password = username + "-password";
    return client.register(username, password).thenCompose(id -> client.login(username, password));
  }

  /** A SMALL_GROUP of {@code owner} and {@code member}; its id. */
  static String pair(ParleySession owner, ParleySession member, String name) {
    return join(owner.createConversation(ConversationType.SMALL_GROUP, name, List.of(member.userId()))).id();
  }

  /** {@code n} results of {@code call(i)}, at most {@code inFlight} at a time, in index order. */
  static <T> List<T> parallel(int n, int inFlight, Function<Integer, CompletableFuture<T>> call) {
    Semaphore slots = new Semaphore(inFlight);
    List<CompletableFuture<T>> all = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      slots.acquireUninterruptibly();
      all.add(call.apply(i).whenComplete((ok, failure) -> slots.release()));
    }
    List<T> out = new ArrayList<>(n);
    all.forEach(f -> out.add(join(f)));
    return out;
  }

  static <T> T join(CompletableFuture<T> f) {
    try {
      return f.join();
    } catch (CompletionException e) {
      throw ParleyException.unwrap(e);
    }
  }
}

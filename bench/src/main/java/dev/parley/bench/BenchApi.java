package dev.parley.bench;

import dev.parley.client.ParleyClient;
import dev.parley.client.ParleySession;
import dev.parley.protocol.ConversationInfo;
import dev.parley.protocol.ConversationType;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The benchmarks' setup calls to a node (register, log in, create conversations, read {@code /metrics}
 * on its operator port),
 * through the Parley client library. Never measured: the measured calls go through the lean
 * transports ({@code seed.LeanHttp}, {@link WsHub}), which stamp arrival before parsing. Every
 * setup call of every scenario goes through this one class; each blocks until answered and throws
 * the client's {@code ParleyException} (unwrapped) on a refusal.
 */
public final class BenchApi {
  private final ParleyClient client;

  /** {@code baseUrl}: the node's client API, e.g. {@code http://127.0.0.1:8080}. */
  public BenchApi(String baseUrl) {
    this.client = ParleyClient.create(baseUrl);
  }

  /** Registers {@code username} (password: the name + "-password") and logs in. */
  public ParleySession registerAndLogin(String username) {
    String password = username + "-password";
    return join(client.register(username, password).thenCompose(id -> client.login(username, password)));
  }

  /** Creates a conversation as the token's user ({@code name} null for a private one). */
  public ConversationInfo create(String token, ConversationType type, String name, List<String> members) {
    return join(client.session(token).createConversation(type, name, members));
  }

  /**
   * The node's meters in Prometheus text: {@code GET /metrics} on its operator port
   * ({@code managementUrl}, e.g. {@code http://127.0.0.1:8558}; loopback, so no token), never the client port.
   */
  public static String metrics(String managementUrl) {
    ParleyClient.RawResponse r = join(ParleyClient.create(managementUrl).exchange("GET", "/metrics", null, null));
    if (r.status() != 200) {
      throw new IllegalStateException("GET /metrics: " + r.status() + " " + r.body());
    }
    return r.body();
  }

  private static <T> T join(CompletableFuture<T> f) {
    try {
      return f.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }
}

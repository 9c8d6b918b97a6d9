package dev.parley.bench;

import dev.parley.protocol.ConversationInfo;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.CreateConversationRequest;
import dev.parley.protocol.LoginRequest;
import dev.parley.protocol.ProtocolCodec;
import dev.parley.protocol.RegisterRequest;
import dev.parley.protocol.SessionToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The benchmarks' setup calls to a node (register, log in, create conversations, read {@code /metrics}):
 * never measured, so the JDK {@code HttpClient} with the protocol's records and {@link ProtocolCodec}
 * will do. The measured calls go through the lean clients ({@code seed.LeanHttp}, {@link WsHub}).
 * Every setup call of every scenario goes through this one class.
 */
// When the client library (module client) lands, this class becomes a thin use of it: one edit here.
public final class BenchApi {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

  private final String baseUrl;

  /** {@code baseUrl}: the node's client API, e.g. {@code http://127.0.0.1:8080}. */
  public BenchApi(String baseUrl) {
    this.baseUrl = baseUrl;
  }

  /** Registers {@code username} (password: the name + "-password") and logs in. */
  public SessionToken registerAndLogin(String username) {
    String password = username + "-password";
    call("POST", "/api/users", null, new RegisterRequest(username, password), 201);
    return ProtocolCodec.read(call("POST", "/api/sessions", null, new LoginRequest(username, password), 200),
        SessionToken.class);
  }

  /** Creates a conversation as the token's user ({@code name} null for a private one). */
  public ConversationInfo create(String token, ConversationType type, String name, List<String> members) {
    return ProtocolCodec.read(call("POST", "/api/conversations", token,
        new CreateConversationRequest(type, name, members), 201), ConversationInfo.class);
  }

  /** The node's meters in Prometheus text ({@code GET /metrics}). */
  public String metrics() {
    return call("GET", "/metrics", null, null, 200);
  }

  private String call(String method, String path, String token, Object body, int expected) {
    List<String> headers = new ArrayList<>(List.of("Accept", "application/json"));
    if (token != null) {
      headers.addAll(List.of("Authorization", "Bearer " + token));
    }
    HttpRequest.BodyPublisher content = HttpRequest.BodyPublishers.noBody();
    if (body != null) {
      headers.addAll(List.of("Content-Type", "application/json"));
      content = HttpRequest.BodyPublishers.ofByteArray(ProtocolCodec.writeBytes(body));
    }
    HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(TIMEOUT)
        .headers(headers.toArray(String[]::new)).method(method, content).build();
    try {
      HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != expected) {
        throw new IllegalStateException(method + " " + path + ": " + r.statusCode() + " " + r.body());
      }
      return r.body();
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + path + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(method + " " + path + ": interrupted", e);
    }
  }
}

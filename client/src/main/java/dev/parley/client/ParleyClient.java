package dev.parley.client;

import dev.parley.protocol.LoginRequest;
import dev.parley.protocol.ProtocolCodec;
import dev.parley.protocol.RegisterRequest;
import dev.parley.protocol.SessionToken;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * The entry point of the Parley Java client: one node's base URL (e.g. {@code http://127.0.0.1:8080})
 * and one JDK {@link HttpClient}. It registers accounts and logs in; everything that needs a token
 * lives on the {@link ParleySession} that {@link #login} returns, and the live connection on the
 * {@link ParleySocket} that {@link ParleySession#connect} opens.
 *
 * <pre>{@code
 * ParleyClient parley = ParleyClient.create("http://127.0.0.1:8080");
 * ParleySession ann = parley.login("ann", "secret-ann").join();
 * }</pre>
 *
 * <p>Every call returns a {@link CompletableFuture}; it completes with the protocol record of the answer,
 * or fails with a {@link ParleyException} carrying the error code and message of the server's error body
 * (or {@code unavailable} when the node could not be reached). Nothing is retried here: a REST call that
 * failed on the network may or may not have taken effect. The client holds no state beyond its
 * configuration and is safe to share between threads.
 */
public final class ParleyClient {
  /** The HTTP timeout of one REST call unless another is given. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(15);

  private final String baseUrl;
  private final HttpClient http;
  private final Duration requestTimeout;

  private ParleyClient(String baseUrl, HttpClient http, Duration requestTimeout) {
    String url = Objects.requireNonNull(baseUrl, "baseUrl").replaceAll("/+$", "");
    if (!url.matches("https?://[^/]+")) {
      throw new IllegalArgumentException("the base URL is http(s)://host[:port] without a path, got " + baseUrl);
    }
    this.baseUrl = url;
    this.http = Objects.requireNonNull(http, "http");
    this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
  }

  /** A client of the node at {@code baseUrl} with its own HTTP/1.1 client (10 s connect timeout). */
  public static ParleyClient create(String baseUrl) {
    return create(baseUrl, HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build(), DEFAULT_REQUEST_TIMEOUT);
  }

  /** A client on a given {@link HttpClient} (shared connection pool, proxy, executor) and REST timeout. */
  public static ParleyClient create(String baseUrl, HttpClient http, Duration requestTimeout) {
    return new ParleyClient(baseUrl, http, requestTimeout);
  }

  /** The node's base URL, without a trailing slash. */
  public String baseUrl() {
    return baseUrl;
  }

  /** The {@code ws://} (or {@code wss://}) URI of the node's WebSocket endpoint. */
  public URI webSocketUri() {
    return URI.create(baseUrl.replaceFirst("^http", "ws") + "/ws");
  }

  /** The JDK HTTP client used for REST calls and WebSocket upgrades. */
  public HttpClient httpClient() {
    return http;
  }

  /** {@code POST /api/users}: creates the account; completes with the user id (the name in lower case). */
  public CompletableFuture<String> register(String username, String password) {
    return call("POST", "/api/users", null, new RegisterRequest(username, password), Registered.class, 201)
        .thenApply(Registered::userId);
  }

  /**
   * {@code POST /api/sessions}: logs in. The session remembers the credentials so that it can
   * {@linkplain ParleySession#relogin() log in again} when the token dies (an embedded node forgets its
   * tokens when it restarts); use {@link #session(String)} for a session that cannot.
   */
  public CompletableFuture<ParleySession> login(String username, String password) {
    LoginRequest credentials = new LoginRequest(username, password);
    return loginWith(credentials).thenApply(token -> new ParleySession(this, token, credentials));
  }

  /** A session on a token obtained elsewhere; its user id is unknown (null) and it cannot log in again. */
  public ParleySession session(String token) {
    return new ParleySession(this, Objects.requireNonNull(token, "token"));
  }

  /**
   * A session without a token: its REST calls and socket upgrades carry no credentials at all (no
   * {@code Authorization} header, no {@code parley.token.*} subprotocol), which a node refuses with 401
   * everywhere but registration and login. For probing what a node allows without logging in, e.g. in
   * protocol tests; it cannot log in again, and its {@link ParleySession#token()} is null.
   */
  public ParleySession anonymous() {
    return new ParleySession(this, (String) null);
  }

  /**
   * One REST exchange as it is, for requests the typed calls cannot make (malformed bodies, odd paths):
   * {@code body} is sent verbatim as JSON (null: none), {@code token} as the bearer (null: none). Completes
   * with whatever status came back; fails only when the node could not be reached.
   */
  public CompletableFuture<RawResponse> exchange(String method, String path, String token, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(requestTimeout)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString())
        .handle((r, failure) -> {
          if (failure != null) {
            throw ParleyException.unreachable("cannot reach " + baseUrl + ": " + ParleyException.unwrap(failure)
                .getMessage(), failure);
          }
          return new RawResponse(r.statusCode(), r.body());
        });
  }

  /** A REST answer as it came: the HTTP status and the body text ("" when empty). */
  public record RawResponse(int status, String body) {
    public RawResponse {
      body = body == null ? "" : body;
    }

    /** The body as {@code type}, when the status is {@code expected}; else the error it carries. */
    public <T> T as(int expected, Class<T> type) {
      if (status != expected) {
        throw ParleyException.ofHttp(status, body);
      }
      return type == Void.class ? null : ProtocolCodec.read(body, type);
    }
  }

  /** A typed REST call: {@code body} (null: none) as JSON, the answer read as {@code type} when it has {@code expected}. */
  <T> CompletableFuture<T> call(String method, String path, String token, Object body, Class<T> type, int expected) {
    return exchange(method, path, token, body == null ? null : ProtocolCodec.write(body))
        .thenApply(r -> r.as(expected, type));
  }

  CompletableFuture<SessionToken> loginWith(LoginRequest credentials) {
    return call("POST", "/api/sessions", null, credentials, SessionToken.class, 200);
  }

  /** The body of a successful registration. */
  record Registered(String userId) {}
}

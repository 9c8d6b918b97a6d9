package dev.parley.http;

import dev.parley.protocol.ErrorCode;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The operator's HTTP surface, served on the management host and port (never the client port):
 * pekko-management's health ({@code /ready}, {@code /alive}) and cluster ({@code /cluster/...})
 * routes, and the node's meters in Prometheus text at {@code /metrics}. On a loopback host it is
 * open (only this machine can reach it); on any other host every request must carry
 * {@code Authorization: Bearer <PARLEY_ADMIN_TOKEN>}, compared in constant time (SHA-256 of both,
 * then {@link MessageDigest#isEqual}), else 401 {@code unauthorized}. Chat session tokens are never
 * looked up here, so none opens it. Holds only the token's digest; error answers are JSON
 * ({@link JsonErrors}).
 */
public final class OperatorApi extends AllDirectives {
  /** The shortest operator token accepted (a guessable token on an exposed port is no protection). */
  public static final int MIN_TOKEN_LENGTH = 16;

  private final Route management;
  private final Supplier<String> metrics;
  /** SHA-256 of the operator token; null when the port is loopback and needs none. */
  private final byte[] tokenDigest;

  /**
   * @param management pekko-management's routes (health and cluster)
   * @param metrics    the node's Prometheus text, made per request
   * @param host       where the management port binds
   * @param adminToken the operator token (blank when unset)
   * @throws IllegalArgumentException when {@code host} is not loopback and the token is missing or
   *                                  shorter than {@value #MIN_TOKEN_LENGTH} characters
   */
  public OperatorApi(Route management, Supplier<String> metrics, String host, String adminToken) {
    this.management = management;
    this.metrics = metrics;
    checkExposure(host, adminToken);
    this.tokenDigest = isLoopback(host) ? null : sha256(adminToken.trim());
  }

  /**
   * Refuses a management host that is not loopback without an operator token of at least
   * {@value #MIN_TOKEN_LENGTH} characters (the node checks this before it starts anything).
   */
  public static void checkExposure(String host, String adminToken) {
    String token = adminToken == null ? "" : adminToken.trim();
    if (!isLoopback(host) && token.length() < MIN_TOKEN_LENGTH) {
      throw new IllegalArgumentException("the management port binds to " + host + ", which is not loopback: set "
          + "PARLEY_ADMIN_TOKEN (parley.management.admin-token) to a secret of at least " + MIN_TOKEN_LENGTH
          + " characters, or bind it to 127.0.0.1");
    }
  }

  /** Whether requests need the operator token (the host is not loopback). */
  public boolean tokenRequired() {
    return tokenDigest != null;
  }

  public Route routes() {
    return new JsonErrors().wrap(() -> guarded(() -> concat(
        path("metrics", () -> get(() -> complete(HttpResponse.create().withEntity(
            HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8, metrics.get()))))),
        management)));
  }

  private Route guarded(Supplier<Route> inner) {
    if (tokenDigest == null) {
      return inner.get();
    }
    return optionalHeaderValueByName("Authorization", header -> {
      Optional<String> token = ClientApi.bearer(header);
      // Both digests are always computed and compared whole: the time says nothing about the token.
      boolean ok = MessageDigest.isEqual(sha256(token.orElse("")), tokenDigest) && token.isPresent();
      return ok ? inner.get() : complete(ApiErrors.response(ErrorCode.UNAUTHORIZED,
              token.isEmpty() ? "operator token required (Authorization: Bearer ...)" : "wrong operator token")
          .addHeader(HttpHeader.parse("WWW-Authenticate", "Bearer realm=\"parley-operator\"")));
    });
  }

  /** True for 127.0.0.0/8, ::1 and names that resolve to them; false for wildcard and unresolvable hosts. */
  public static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}

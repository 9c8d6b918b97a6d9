package dev.parley.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * pekko-http's own answers (rejections, escaped exceptions, the request timeout, requests too
 * malformed to reach a route) come back as the JSON error body with a stable code, and never with
 * pekko-http's text, which names its configuration keys. A bare HTTP server with small limits, so
 * each case is quick to provoke.
 */
class JsonErrorsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static ActorSystem<Void> system;
  private static ServerBinding binding;
  private static HttpClient http;
  private static String base;

  @BeforeAll
  static void start() throws Exception {
    Config config = ConfigFactory.parseString("""
        pekko.loglevel = WARNING
        pekko.http.server.request-timeout = 500ms
        pekko.http.server.parsing.max-content-length = 1k
        pekko.http.server.parsing.max-uri-length = 1k
        pekko.http.server.parsing.error-handler = "dev.parley.http.JsonParsingErrors"
        """).withFallback(ConfigFactory.defaultReference());
    system = ActorSystem.create(Behaviors.empty(), "json-errors", config);
    Routes r = new Routes();
    binding = Http.get(system).newServerAt("127.0.0.1", 0).bind(new JsonErrors().wrap(r::routes))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    base = "http://127.0.0.1:" + binding.localAddress().getPort();
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterAll
  static void stop() {
    system.terminate();
  }

  static final class Routes extends AllDirectives {
    Route routes() {
      return concat(
          path("slow", () -> get(() -> onSuccess(new CompletableFuture<String>(), s -> complete(s)))),
          path("echo", () -> post(() -> entity(Unmarshaller.entityToString(), s -> complete(s)))),
          path("boom", () -> get(() -> {
            throw new IllegalStateException("a bug with internals in its message");
          })));
    }
  }

  private record Answer(int status, String contentType, JsonNode body, String raw) {
    String code() {
      return body.path("code").asText();
    }
  }

  private static Answer call(HttpRequest.Builder request) throws Exception {
    HttpResponse<String> r = http.send(request.timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    String type = r.headers().firstValue("Content-Type").orElse("");
    JsonNode body;
    try {
      body = JSON.readTree(r.body());
    } catch (java.io.IOException e) {
      throw new AssertionError("not JSON (" + r.statusCode() + " " + type + "): " + r.body(), e);
    }
    Answer a = new Answer(r.statusCode(), type, body, r.body());
    assertEquals("application/json", type, a.raw());
    assertTrue(body.hasNonNull("code") && body.hasNonNull("message"), a.raw());
    String lower = a.raw().toLowerCase(Locale.ROOT);
    assertFalse(lower.contains("pekko") || lower.contains("max-content-length") || lower.contains("withsizelimit")
        || lower.contains("exception"), "no internal text: " + a.raw());
    return a;
  }

  private static HttpRequest.Builder at(String path) {
    return HttpRequest.newBuilder(URI.create(base + path));
  }

  @Test
  void aBodyOverTheLimitIsTooLarge() throws Exception {
    Answer a = call(at("/echo").POST(HttpRequest.BodyPublishers.ofString("x".repeat(2048))));
    assertEquals(413, a.status());
    assertEquals("too_large", a.code());
  }

  @Test
  void aRequestNoRouteAnsweredInTimeIsUnavailableWithARetryHint() throws Exception {
    Answer a = call(at("/slow").GET());
    assertEquals(503, a.status());
    assertEquals("unavailable", a.code());
    assertTrue(a.body().path("retryAfterMs").asLong() > 0, a.raw());
  }

  @Test
  void rejectionsAndEscapedExceptionsAreCoded() throws Exception {
    Answer wrongMethod = call(at("/echo").GET());
    assertEquals(405, wrongMethod.status());
    assertEquals("bad_request", wrongMethod.code());
    assertTrue(wrongMethod.body().path("message").asText().contains("POST"), wrongMethod.raw());
    Answer missing = call(at("/nothing").GET());
    assertEquals(404, missing.status());
    assertEquals("not_found", missing.code());
    Answer bug = call(at("/boom").GET());
    assertEquals(500, bug.status());
    assertEquals("internal", bug.code());
  }

  @Test
  void aRequestTooMalformedToReachARouteStillGetsJson() throws Exception {
    Answer a = call(at("/echo?q=" + "y".repeat(2048)).GET());
    assertEquals(414, a.status());
    assertEquals("bad_request", a.code());
  }
}

package dev.parley.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.parley.client.ClientTests;
import dev.parley.client.ParleyClient;
import dev.parley.protocol.ErrorBody;
import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.ProtocolCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator surface (metrics, health, cluster state) lives on the management port only: open on
 * loopback, token-protected when exposed (a missing, wrong or chat token is refused); the client
 * port serves none of it and binds where the banner says. Two embedded nodes: one with the defaults
 * (loopback), one with its management port on every interface and an operator token.
 */
class OperatorSurfaceTest {
  private static final String ADMIN_TOKEN = "operator-secret-" + System.nanoTime();
  private static ParleyNode local;
  private static ParleyNode exposed;

  @BeforeAll
  static void start() throws Exception {
    local = ParleyNode.start(TestNodes.embedded(Files.createTempDirectory("parley-ops-local")));
    exposed = ParleyNode.start(TestNodes.embedded(Files.createTempDirectory("parley-ops-exposed"), Map.of(
        "parley.management.host", "0.0.0.0",
        "parley.management.admin-token", ADMIN_TOKEN)));
  }

  @AfterAll
  static void stop() {
    for (ParleyNode n : new ParleyNode[] {local, exposed}) {
      if (n != null) {
        n.stopAndWait(Duration.ofSeconds(30));
      }
    }
  }

  private static ParleyClient.RawResponse get(String baseUrl, String path, String token) {
    return ParleyClient.create(baseUrl).exchange("GET", path, token, null).join();
  }

  /** The management port bound to 0.0.0.0 is reached through loopback here. */
  private static String exposedUrl() {
    return exposed.managementUrl().replace("0.0.0.0", "127.0.0.1");
  }

  @Test
  void metricsAreServedOnTheManagementPortAndNotOnTheClientPort() {
    var metrics = get(local.managementUrl(), "/metrics", null);
    assertEquals(200, metrics.status(), metrics.body());
    assertTrue(metrics.body().contains("parley_auth_password_checks_total"), "the node's meters");
    assertEquals(200, get(local.managementUrl(), "/cluster/members", null).status());

    var onClientPort = get(local.httpUrl(), "/metrics", null);
    assertEquals(404, onClientPort.status());
    assertEquals(ErrorCode.NOT_FOUND, ProtocolCodec.read(onClientPort.body(), ErrorBody.class).code());
    assertEquals(404, get(local.httpUrl(), "/cluster/members", null).status());
  }

  @Test
  void anExposedManagementPortRefusesAMissingWrongOrChatToken() {
    ParleyClient chat = ParleyClient.create(exposed.httpUrl());
    String chatToken = ClientTests.signUp(chat, "opsuser" + (System.nanoTime() % 100_000)).token();
    for (String path : List.of("/metrics", "/cluster/members", "/ready")) {
      for (String token : new String[] {null, "wrong-" + ADMIN_TOKEN, ADMIN_TOKEN + "x", chatToken}) {
        var refused = get(exposedUrl(), path, token);
        assertEquals(401, refused.status(), path + " with " + token + ": " + refused.body());
        ErrorBody body = ProtocolCodec.read(refused.body(), ErrorBody.class);
        assertEquals(ErrorCode.UNAUTHORIZED, body.code());
      }
      assertEquals(200, get(exposedUrl(), path, ADMIN_TOKEN).status(), path + " with the operator token");
    }
    assertTrue(get(exposedUrl(), "/metrics", ADMIN_TOKEN).body().contains("parley_"));
  }

  @Test
  void anExposedManagementPortWithoutATokenRefusesToStart() throws Exception {
    Path dir = Files.createTempDirectory("parley-ops-open");
    for (String token : new String[] {"", "short"}) {
      var e = assertThrows(RuntimeException.class, () -> ParleyNode.start(TestNodes.embedded(dir, Map.of(
          "parley.management.host", "0.0.0.0", "parley.management.admin-token", token))));
      assertTrue(e.getMessage().contains("PARLEY_ADMIN_TOKEN"), e.getMessage());
    }
  }

  @Test
  void theClientPortBindsWhereTheBannerSaysAndDefaultsToLoopback() {
    assertEquals("127.0.0.1", NodeConfig.load(ConfigFactory.empty()).getString("parley.http.host"),
        "the client port is loopback unless told otherwise");
    List<String> banner = Main.banner(local);
    String clientLine = banner.stream().filter(l -> l.contains("client API")).findFirst().orElseThrow();
    assertTrue(clientLine.contains(local.httpUrl() + "/api"), clientLine);
    assertTrue(local.httpUrl().startsWith("http://127.0.0.1:"), local.httpUrl());
    String metricsLine = banner.stream().filter(l -> l.contains("metrics")).findFirst().orElseThrow();
    assertTrue(metricsLine.contains(local.managementUrl() + "/metrics"), metricsLine);
    assertTrue(Main.banner(exposed).stream().anyMatch(l -> l.contains(exposed.managementUrl() + "/metrics")
        && l.contains("PARLEY_ADMIN_TOKEN")), "the banner says the exposed port needs the token");
    assertFalse(exposed.managementUrl().contains("127.0.0.1"), "it says where it bound: " + exposed.managementUrl());
  }
}

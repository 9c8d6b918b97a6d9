package dev.parley.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node started in the embedded default (no services) reports ready and alive over pekko-management. */
class NodeReadyTest {
  @TempDir Path dataDir;

  @Test
  void embeddedDefaultNodeAnswers200OnReadyAndAlive() throws Exception {
    ParleyNode node = ParleyNode.start(TestNodes.embedded(dataDir));
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      assertEquals(200, awaitStatus(http, node.managementUrl() + "/ready", 200));
      assertEquals(200, awaitStatus(http, node.managementUrl() + "/alive", 200));
    } finally {
      node.stopAndWait(Duration.ofSeconds(15));
    }
  }

  private static int awaitStatus(HttpClient http, String url, int wanted) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    int last = -1;
    while (System.nanoTime() < deadline) {
      try {
        last = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode();
        if (last == wanted) {
          return last;
        }
      } catch (java.io.IOException e) {
        last = -1;
      }
      Thread.sleep(200);
    }
    return last;
  }
}

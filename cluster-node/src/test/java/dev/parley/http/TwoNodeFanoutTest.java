package dev.parley.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.app.ParleyNode;
import dev.parley.app.PostgresDatabase;
import dev.parley.app.TestNodes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fan-out across a two-node cluster on the local PostgreSQL and Redis: members connected to
 * different nodes chat (tokens are shared through Redis), and a subscription keeps delivering after
 * its conversation moved to the other node.
 */
class TwoNodeFanoutTest {
  static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final String PREFIX = "f" + Long.toString(System.nanoTime() % 1_000_000, 36);

  @TempDir Path dir;

  private static String send(String conv, String id, String text) {
    return "{\"type\":\"send\",\"conv\":\"" + conv + "\",\"clientMsgId\":\"" + id + "\",\"text\":\"" + text + "\"}";
  }

  private static String subscribe(String conv) {
    return "{\"type\":\"subscribe\",\"conv\":\"" + conv + "\"}";
  }

  private Map<String, Object> settings(String keyPrefix, Map<String, Object> extra) {
    Map<String, Object> m = new HashMap<>(extra);
    m.put("parley.redis.url", "redis://127.0.0.1:6379");
    m.put("parley.auth.redis-key-prefix", keyPrefix);
    return m;
  }

  @Test
  void membersOnDifferentNodesChatAndASubscriptionSurvivesAHandOff() throws Exception {
    String keyPrefix = "parley-test:" + UUID.randomUUID() + ":";
    try (PostgresDatabase db = PostgresDatabase.create()) {
      ParleyNode a = ParleyNode.start(TestNodes.postgres(db, dir.resolve("a"), settings(keyPrefix, Map.of())));
      ParleyNode b = null;
      try {
        b = ParleyNode.start(TestNodes.postgres(db, dir.resolve("b"), settings(keyPrefix,
            Map.of("parley.cluster.seed-nodes", a.system().address().toString()))));
        TestNodes.awaitUpMembers(b, 2, TIMEOUT);
        ApiClient viaA = new ApiClient(a.httpUrl());
        ApiClient viaB = new ApiClient(b.httpUrl());
        String ann = PREFIX + "ann";
        String bo = PREFIX + "bo";
        String cy = PREFIX + "cy";
        String annToken = viaA.registerAndLogin(ann);
        String boToken = viaB.registerAndLogin(bo);
        String cyToken = viaB.registerAndLogin(cy);
        String conv = viaA.create(annToken, "SMALL_GROUP", "across", List.of(bo, cy));

        // ann and cy on node A, bo on node B; cy's token was issued by B and is used on A (shared via Redis).
        try (WsClient annWs = WsClient.connect(a.httpUrl(), annToken);
            WsClient boWs = WsClient.connect(b.httpUrl(), boToken);
            WsClient cyWs = WsClient.connect(a.httpUrl(), cyToken)) {
          for (WsClient c : List.of(annWs, boWs, cyWs)) {
            c.send(subscribe(conv));
            c.next("subscribed");
          }
          annWs.send(send(conv, "x1", "from A"));
          boWs.send(send(conv, "x2", "from B"));
          for (WsClient c : List.of(annWs, boWs, cyWs)) {
            JsonNode first = c.next("message");
            JsonNode second = c.next("message");
            assertEquals(1, first.path("message").path("seq").asLong());
            assertEquals(2, second.path("message").path("seq").asLong());
          }
        }

        // Hand-off: clients on the node that does not host the conversation; stop the one that does.
        boolean onA = TestNodes.hostedConversations(a).contains(conv);
        ParleyNode host = onA ? a : b;
        ParleyNode survivor = onA ? b : a;
        try (WsClient boWs = WsClient.connect(survivor.httpUrl(), boToken);
            WsClient cyWs = WsClient.connect(survivor.httpUrl(), cyToken)) {
          boWs.send(subscribe(conv));
          cyWs.send(subscribe(conv));
          assertEquals(2, boWs.next("subscribed").path("lastSeq").asLong());
          cyWs.next("subscribed");
          host.stopAndWait(TIMEOUT);
          if (host == a) {
            a = null;
          } else {
            b = null;
          }
          boWs.send(send(conv, "x3", "after the move"));
          // The sender's ack and its own copy of the message may come in either order.
          JsonNode first = boWs.next(n -> n.path("type").asText().matches("ack|message"), TIMEOUT);
          JsonNode second = boWs.next(first.path("type").asText().equals("ack") ? "message" : "ack");
          JsonNode ack = first.path("type").asText().equals("ack") ? first : second;
          JsonNode message = first == ack ? second : first;
          assertEquals(3, ack.path("seq").asLong());
          assertEquals(3, message.path("message").path("seq").asLong());
          assertEquals(3, cyWs.next("message").path("message").path("seq").asLong());
        }
      } finally {
        if (b != null) {
          b.stopAndWait(TIMEOUT);
        }
        if (a != null) {
          a.stopAndWait(TIMEOUT);
        }
      }
    }
  }
}

package dev.parley.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.parley.app.ParleyNode;
import dev.parley.app.PostgresDatabase;
import dev.parley.app.TestNodes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that stops reading is cut off with 4008 once its bounded outbound queue is full, while
 * a client that reads keeps receiving every message in order (R10).
 */
class SlowConsumerTest {
  @TempDir Path dir;

  @Test
  void aSlowConsumerIsClosedWhileAFastOneKeepsReceiving() throws Exception {
    try (PostgresDatabase db = PostgresDatabase.create()) {
      ParleyNode node = ParleyNode.start(TestNodes.postgres(db, dir, Map.of(
          "parley.session.max-outbound-queue", 16,
          "parley.session.send-rate", 10000,
          "parley.session.send-burst", 10000,
          "parley.session.frame-rate", 10000,
          "parley.session.frame-burst", 10000,
          "parley.session.max-message-size", "128KiB",
          "parley.conversation.max-text-length", 60000)));
      try {
        ApiClient api = new ApiClient(node.httpUrl());
        String ann = api.registerAndLogin("slow-ann");
        String bo = api.registerAndLogin("slow-bo");
        String cy = api.registerAndLogin("slow-cy");
        String conv = api.create(ann, "SMALL_GROUP", "firehose", List.of("slow-bo", "slow-cy"));
        String text = "x".repeat(50_000);
        int count = 300;
        try (WsClient sender = WsClient.connect(node.httpUrl(), ann);
            WsClient fast = WsClient.connect(node.httpUrl(), bo);
            WsClient slow = WsClient.connect(node.httpUrl(), cy, false, null)) {
          slow.send("{\"type\":\"subscribe\",\"conv\":\"" + conv + "\"}");
          fast.send("{\"type\":\"subscribe\",\"conv\":\"" + conv + "\"}");
          fast.next("subscribed");
          Thread.sleep(300);
          for (int i = 1; i <= count; i++) {
            sender.send("{\"type\":\"send\",\"conv\":\"" + conv + "\",\"clientMsgId\":\"m" + i + "\",\"text\":\""
                + text + "\"}");
          }
          for (long seq = 1; seq <= count; seq++) {
            assertEquals(seq, fast.next("message").path("message").path("seq").asLong());
          }
          // The slow client reads again: it finds at most the queued frames, then the 4008 close.
          slow.resume();
          assertEquals(4008, slow.closeCode(Duration.ofSeconds(20)));
        }
      } finally {
        node.stopAndWait(Duration.ofSeconds(30));
      }
    }
  }
}

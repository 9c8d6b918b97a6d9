package dev.parley.protocol.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.protocol.ProtocolCodec;
import dev.parley.protocol.ProtocolException;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class MonitorCodecTest {
  static final Instant AT = Instant.parse("2026-12-03T10:00:00Z");
  static final NodeStats NODE = new NodeStats(NodeStats.SCHEMA, "pekko://parley@127.0.0.1:2551", List.of("conversation"),
      "http://127.0.0.1:8558", "http://127.0.0.1:8080", AT, 60_000, 1.0,
      new TrafficStats(1200, 40.5, 2400, 81.0, 12, 1.2, 9.8, 0.8, 4.1),
      List.of(new CacheStats("recent", "redis", 90, 10, 0, 0.9, null)),
      new ReceiptStats("writer", 3, 10, 1.0, 200, 20.0, 20.0, 50.0, 2.5, 7.0, null,
          List.of(new ReceiptStats.TierReceipts("small_group", 100, 180, 18.0))),
      List.of(new ShardLoad("7", 3, 500, 12.5, 40, 1.0)),
      new JvmStats(100 << 20, 512 << 20, 4, 30, 0.5, 40, 0.12));

  @Test
  void roundTripsANodeAndAClusterView() {
    assertEquals(NODE, ProtocolCodec.read(ProtocolCodec.write(NODE), NodeStats.class));
    ClusterView view = new ClusterView(NodeStats.SCHEMA, AT, NODE.address(),
        List.of(new ClusterView.MemberInfo(NODE.address(), List.of("conversation"), "Up", true, true, NODE.managementUrl())),
        List.of(NODE), List.of(new ClusterView.NodeProblem("pekko://parley@127.0.0.1:2552", "unreachable")),
        List.of(new ClusterView.ShardPlacement("7", NODE.address(), 3)),
        List.of(new ClusterView.ClusterEvent(AT, ClusterView.Kind.SHARD_MOVED, NODE.address(), "shard 7 moved")));
    assertEquals(view, ProtocolCodec.read(ProtocolCodec.write(view), ClusterView.class));
    assertEquals(3, NODE.entities());
  }

  @Test
  void unknownFiguresStayAbsentRatherThanZero() {
    String json = ProtocolCodec.write(NODE);
    assertTrue(!json.contains("queueDepth"), json);
    assertNull(ProtocolCodec.read(json, NodeStats.class).receipts().queueDepth());
    assertNull(CacheStats.rate(0, 0));
    assertEquals(0.75, CacheStats.rate(3, 1));
  }

  @Test
  void aNewerNodesExtraFieldsAreIgnoredAndAMissingAddressIsRefused() {
    String newer = ProtocolCodec.write(NODE).replaceFirst("\\{", "{\"disk\":{\"free\":1},");
    assertEquals(NODE, ProtocolCodec.read(newer, NodeStats.class));
    String broken = ProtocolCodec.write(NODE).replace("\"address\":\"pekko://parley@127.0.0.1:2551\",", "");
    ProtocolException e = assertThrows(ProtocolException.class, () -> ProtocolCodec.read(broken, NodeStats.class));
    assertTrue(e.getMessage().contains("address"), e.getMessage());
  }
}

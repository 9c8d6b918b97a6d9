package dev.parley.protocol.monitor;

import dev.parley.protocol.Fields;
import java.time.Instant;
import java.util.List;

/**
 * One node's figures at one instant ({@code GET /monitor/node} on its operator port).
 *
 * @param schema        {@link #SCHEMA} when written
 * @param address       the member's cluster address ({@code pekko://parley@host:port})
 * @param roles         its cluster roles
 * @param managementUrl its operator port's base URL, as it bound it (a monitor switches to it when
 *                      the node it watched goes away)
 * @param clientUrl     its client port's base URL (REST and WebSocket), as bound
 * @param at            when the figures were read
 * @param uptimeMs      since the node started
 * @param windowSeconds what the rates below are averaged over (time since this node's previous sample)
 * @param traffic       messages, deliveries, sockets, persist and journal latency
 * @param caches        one entry per cache (recent messages, summaries, session tokens)
 * @param receipts      read-receipt write-behind figures
 * @param shards        the conversation shards this node hosts, with their load
 * @param jvm           heap, GC, threads, CPU
 */
public record NodeStats(int schema, String address, List<String> roles, String managementUrl, String clientUrl,
    Instant at, long uptimeMs, double windowSeconds, TrafficStats traffic, List<CacheStats> caches,
    ReceiptStats receipts, List<ShardLoad> shards, JvmStats jvm) {
  public static final int SCHEMA = 1;

  public NodeStats {
    Fields.require(address, "address", "nodeStats");
    Fields.require(at, "at", "nodeStats");
    Fields.require(traffic, "traffic", "nodeStats");
    Fields.require(receipts, "receipts", "nodeStats");
    Fields.require(jvm, "jvm", "nodeStats");
    roles = Fields.list(roles, "roles", "nodeStats");
    caches = Fields.list(caches, "caches", "nodeStats");
    shards = Fields.list(shards, "shards", "nodeStats");
  }

  /** Entities hosted on this node, summed over its shards. */
  public int entities() {
    return shards.stream().mapToInt(ShardLoad::entities).sum();
  }
}

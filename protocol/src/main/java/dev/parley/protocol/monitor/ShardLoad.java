package dev.parley.protocol.monitor;

import dev.parley.protocol.Fields;

/**
 * One conversation shard on the node that hosts it.
 *
 * @param shardId        the shard's id (as Pekko sharding names it)
 * @param entities       conversations active in it now
 * @param messagesTotal  messages persisted by its conversations on this node since start (or since it moved here)
 * @param messagesPerSec of those, per second over the sample window
 * @param readsTotal     read positions advanced (mark-read) in it on this node since start
 * @param readsPerSec    of those, per second
 */
public record ShardLoad(String shardId, int entities, long messagesTotal, double messagesPerSec, long readsTotal,
    double readsPerSec) {
  public ShardLoad {
    Fields.require(shardId, "shardId", "shardLoad");
  }
}

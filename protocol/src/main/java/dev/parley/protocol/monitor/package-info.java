/**
 * What a node's operator port says about the cluster, as JSON (ProtocolCodec): {@link NodeStats}
 * per node at {@code GET /monitor/node}, {@link ClusterView} for all members at
 * {@code GET /monitor/cluster} (any node answers), and a server-sent-events stream of
 * {@link ClusterView}s at {@code GET /monitor/stream}. Totals are counters since the node started;
 * rates are over {@link NodeStats#windowSeconds()} (the time since that node's previous sample, at
 * least one second when sampled that often); latency percentiles are over the last minute or so
 * (Micrometer's decaying window). A figure that cannot be known (no lookups yet, no Kafka) is
 * absent (null), never zero. Readers ignore fields they do not know; a change of meaning bumps
 * {@link NodeStats#SCHEMA}.
 */
package dev.parley.protocol.monitor;

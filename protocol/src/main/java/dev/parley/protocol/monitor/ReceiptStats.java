package dev.parley.protocol.monitor;

import dev.parley.protocol.Fields;
import java.util.List;

/**
 * Read-receipt write-behind on one node: conversations buffer members' read positions and flush
 * them in batches to PostgreSQL (writer mode) or through Kafka (kafka mode).
 *
 * @param mode              {@code writer} or {@code kafka}
 * @param positionsBuffered read positions held by conversations hosted here, not yet flushed
 * @param flushes           batches written to PostgreSQL since start
 * @param flushesPerSec     of those, per second over the sample window
 * @param rowsWritten       receipt rows written since start
 * @param rowsPerSec        of those, per second
 * @param meanBatchSize     rows per batch since start; null before the first flush
 * @param maxBatchSize      the largest batch since start; null before the first flush
 * @param flushP50Ms        one batch's write, median over the recent window; null before the first flush
 * @param flushP99Ms        the same, 99th percentile
 * @param queueDepth        kafka mode: receipts produced but not yet written (consumer lag); null in writer mode
 * @param tiers             the same figures per conversation tier
 */
public record ReceiptStats(String mode, long positionsBuffered, long flushes, double flushesPerSec, long rowsWritten,
    double rowsPerSec, Double meanBatchSize, Double maxBatchSize, Double flushP50Ms, Double flushP99Ms,
    Long queueDepth, List<TierReceipts> tiers) {
  public ReceiptStats {
    Fields.require(mode, "mode", "receiptStats");
    tiers = Fields.list(tiers, "tiers", "receiptStats");
  }

  /**
   * One tier's share.
   *
   * @param tier        {@code private}, {@code small_group}, {@code large_group} or {@code channel}
   *                    (ConversationType's wire names)
   * @param positions   read positions flushed since start
   * @param rowsWritten receipt rows written for them since start
   * @param rowsPerSec  of those, per second over the sample window
   */
  public record TierReceipts(String tier, long positions, long rowsWritten, double rowsPerSec) {
    public TierReceipts {
      Fields.require(tier, "tier", "tierReceipts");
    }
  }
}

package dev.parley.receipts;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * {@code parley.receipts} (receipts.conf), read once at startup.
 *
 * @param flushInterval how often an entity hands its dirty positions to the sink
 * @param flushMax an entity flushes at once when this many members are dirty
 * @param gatherWindow how long the writer gathers batches of many conversations into one transaction
 * @param maxBatches most batches in one transaction
 * @param queueCapacity batches waiting for the writer before submits are refused
 * @param kafkaTopic the receipts topic (Kafka mode)
 */
public record ReceiptSettings(
    Duration flushInterval,
    int flushMax,
    Duration gatherWindow,
    int maxBatches,
    int queueCapacity,
    Duration minBackoff,
    Duration maxBackoff,
    String kafkaTopic) {

  public static final ReceiptSettings DEFAULTS = new ReceiptSettings(Duration.ofSeconds(1), 500,
      Duration.ofMillis(20), 500, 10_000, Duration.ofMillis(100), Duration.ofSeconds(5), "parley.receipts");

  public static ReceiptSettings fromConfig(Config config) {
    Config c = config.getConfig("parley.receipts");
    return new ReceiptSettings(
        c.getDuration("flush-interval"),
        c.getInt("flush-max"),
        c.getDuration("gather-window"),
        c.getInt("max-batches"),
        c.getInt("queue-capacity"),
        c.getDuration("min-backoff"),
        c.getDuration("max-backoff"),
        c.getString("kafka-topic"));
  }
}

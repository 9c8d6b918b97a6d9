package dev.parley.kafka;

import com.typesafe.config.Config;

/**
 * {@code parley.kafka} (kafka.conf), read once at startup. Kafka mode is on when {@code bootstrap}
 * names at least one broker.
 *
 * @param bootstrap the brokers, {@code host:port,...}; empty = no Kafka
 * @param eventsTopic where {@link EventExport} publishes the conversation events
 * @param receiptsGroup the consumer group of the receipt writers (one member per node)
 */
public record KafkaSettings(String bootstrap, String eventsTopic, String receiptsGroup) {

  public KafkaSettings {
    bootstrap = bootstrap.trim();
    if (eventsTopic.isBlank() || receiptsGroup.isBlank()) {
      throw new IllegalArgumentException("parley.kafka.events-topic and receipts-group must not be empty");
    }
  }

  public static KafkaSettings fromConfig(Config config) {
    Config c = config.getConfig("parley.kafka");
    return new KafkaSettings(c.getString("bootstrap"), c.getString("events-topic"), c.getString("receipts-group"));
  }

  /** Whether Kafka mode is on (brokers are configured). */
  public boolean enabled() {
    return !bootstrap.isEmpty();
  }
}

package dev.parley;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.testkit.KafkaClusterTestKit;
import kafka.testkit.TestKitNodes;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * A one-node Kafka (combined KRaft controller and broker) in this JVM, on ephemeral ports, with its
 * logs in a temporary directory that {@link #close()} deletes. It wraps Kafka's internal
 * {@code kafka.testkit.KafkaClusterTestKit} (test jars of kafka_2.13 3.9.x; it moves in Kafka 4), so
 * no other class may use that API. A single broker needs the internal topics' replication factor
 * and min ISR at 1, else the consumer group coordinator never starts and consumers wait forever
 * (research/pekko-ecosystem.md §3). Topics are not created automatically: {@link #createTopic}.
 * The broker's and the clients' INFO logs are silenced (WARN and up are kept).
 */
public final class KafkaTestBroker implements AutoCloseable {
  private final KafkaClusterTestKit cluster;

  private KafkaTestBroker(KafkaClusterTestKit cluster) {
    this.cluster = cluster;
  }

  /** Formats and starts the node; returns once the broker is ready (about 2 s). */
  public static KafkaTestBroker start() throws Exception {
    for (String logger : List.of("kafka", "org.apache.kafka", "state.change.logger")) {
      ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(logger))
          .setLevel(ch.qos.logback.classic.Level.WARN);
    }
    KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(
            new TestKitNodes.Builder().setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build())
        .setConfigProp("offsets.topic.replication.factor", "1")
        .setConfigProp("offsets.topic.num.partitions", "1")
        .setConfigProp("transaction.state.log.replication.factor", "1")
        .setConfigProp("transaction.state.log.min.isr", "1")
        .setConfigProp("group.initial.rebalance.delay.ms", "0")
        .setConfigProp("auto.create.topics.enable", "false")
        .build();
    try {
      cluster.format();
      cluster.startup();
      cluster.waitForReadyBrokers();
    } catch (Exception e) {
      cluster.close();
      throw e;
    }
    return new KafkaTestBroker(cluster);
  }

  /** {@code host:port} of the broker's client listener. */
  public String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  /** Creates a topic (replication factor 1) and waits until the broker has it. */
  public void createTopic(String name, int partitions) throws Exception {
    try (Admin admin = admin()) {
      admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
  }

  /** An admin client of this broker (the caller closes it). */
  public Admin admin() {
    Properties p = new Properties();
    p.putAll(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
    return Admin.create(p);
  }

  @Override
  public void close() throws Exception {
    cluster.close();
  }
}

package dev.parley.receipts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.parley.KafkaTestBroker;
import dev.parley.TcpProxy;
import dev.parley.app.PostgresDatabase;
import dev.parley.app.Schema;
import dev.parley.kafka.KafkaSettings;
import dev.parley.protocol.ConversationType;
import dev.parley.sql.Jdbc;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Kafka-mode receipts against the in-JVM broker and the real PostgreSQL: what entities submit lands
 * in conversation_reads, message_reads and channel_views; offsets are committed after the SQL commit
 * so a restarted writer resumes where it stopped, and a full redelivery (the group's offsets reset)
 * changes no row; malformed records are skipped and committed past; a database outage holds the
 * records in Kafka until the database is back. Each test has its own topic and group.
 */
class KafkaReceiptsTest {
  static final Instant T0 = Instant.parse("2026-11-24T10:00:00Z");
  static KafkaTestBroker broker;
  static PostgresDatabase pg;
  static HikariDataSource pool;
  static ActorTestKit testKit;
  static ExecutorService blocking;

  @BeforeAll
  static void setUp() throws Exception {
    broker = KafkaTestBroker.start();
    pg = PostgresDatabase.create();
    Schema.migrate(pg.database());
    pool = pool(pg.url());
    // kafka.conf (the producer's timeouts) as the node loads it, plus quiet logs.
    Config config = ConfigFactory.parseString("pekko.loglevel = WARNING")
        .withFallback(ConfigFactory.parseResources("kafka.conf")).resolve();
    testKit = ActorTestKit.create("kafka-receipts", config);
    blocking = Executors.newFixedThreadPool(4);
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (testKit != null) {
      testKit.shutdownTestKit();
    }
    if (blocking != null) {
      blocking.shutdownNow();
    }
    if (pool != null) {
      pool.close();
    }
    if (pg != null) {
      pg.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  static HikariDataSource pool(String url) {
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl(url);
    c.setUsername(pg.user());
    c.setMaximumPoolSize(4);
    c.setConnectionTimeout(1000);
    return new HikariDataSource(c);
  }

  private static ReceiptSettings settings(String topic) {
    return new ReceiptSettings(Duration.ofSeconds(1), 500, Duration.ofMillis(50), 500, 1000,
        Duration.ofMillis(50), Duration.ofMillis(400), topic);
  }

  private static KafkaSettings kafka(String group) {
    Config c = ConfigFactory.parseMap(Map.of("parley.kafka.bootstrap", broker.bootstrapServers(),
        "parley.kafka.receipts-group", group)).withFallback(testKit.system().settings().config());
    return KafkaSettings.fromConfig(c);
  }

  private static KafkaReceipts receipts(DataSource db, String topic, String group, MeterRegistry metrics) {
    return new KafkaReceipts(new ReceiptStore(new Jdbc(db, true), metrics), settings(topic), kafka(group), blocking,
        testKit.system(), metrics);
  }

  private static void submitAll(KafkaReceipts receipts, List<ReceiptBatch> batches) throws Exception {
    List<CompletableFuture<?>> acks = new ArrayList<>();
    for (ReceiptBatch b : batches) {
      acks.add(receipts.submit(b).toCompletableFuture());
    }
    CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
  }

  @Test
  void submittedBatchesLandInTheirTables() throws Exception {
    String topic = "receipts-land";
    broker.createTopic(topic, 3);
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    KafkaReceipts receipts = receipts(pool, topic, "land", metrics);
    try {
      submitAll(receipts, List.of(
          new ReceiptBatch("g-land", ConversationType.SMALL_GROUP, T0,
              List.of(new ReceiptBatch.Position("ann", 3, 4), new ReceiptBatch.Position("bo", 0, 4)),
              List.of(new ReceiptBatch.MessageRead(3, "ann", true), new ReceiptBatch.MessageRead(4, "bo", false)),
              List.of()),
          new ReceiptBatch("ch-land", ConversationType.CHANNEL, T0.plusSeconds(1),
              List.of(new ReceiptBatch.Position("cy", 7, 7)), List.of(),
              List.of(new ReceiptBatch.ChannelView(6, 12), new ReceiptBatch.ChannelView(7, 3)))));
      assertEquals(2, counter(metrics, "parley.receipts.kafka.published"), "both acknowledged by the broker");
      assertEquals(0, count("SELECT count(*) FROM conversation_reads WHERE conversation_id IN ('g-land', 'ch-land')"),
          "nothing is written before the writer runs: the batches wait in Kafka");

      receipts.startWriter();
      await(() -> counter(metrics, "parley.receipts.kafka.consumed"), 2);

      assertEquals(List.of("ann 3 4 " + T0 + " " + T0, "bo 0 4 null " + T0),
          rows("SELECT user_id, last_read_seq, last_delivered_seq, read_at, delivered_at FROM conversation_reads "
              + "WHERE conversation_id = 'g-land' ORDER BY user_id"));
      assertEquals(List.of("3 ann " + T0 + " " + T0, "4 bo null " + T0),
          rows("SELECT seq, user_id, read_at, delivered_at FROM message_reads WHERE conversation_id = 'g-land' "
              + "ORDER BY seq"));
      assertEquals(List.of("6 12", "7 3"),
          rows("SELECT seq, views FROM channel_views WHERE conversation_id = 'ch-land' ORDER BY seq"));
      assertEquals(Map.of("cy", 7L), receipts.positionsOf("ch-land").toCompletableFuture().get(5, TimeUnit.SECONDS)
          .entrySet().stream().collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, e -> e.getValue()[0])));
      assertEquals(0, counter(metrics, "parley.receipts.kafka.malformed"));
    } finally {
      receipts.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  /**
   * Batch i of conversation "g-once": ann's positions rise with i, bo's fall (an older batch arriving
   * late), bo has received message i, cy has read message i - 1 (per-message rows repeat across batches).
   */
  private static ReceiptBatch onceBatch(int i) {
    List<ReceiptBatch.MessageRead> reads = new ArrayList<>(List.of(new ReceiptBatch.MessageRead(i, "bo", false)));
    if (i > 1) {
      reads.add(new ReceiptBatch.MessageRead(i - 1, "cy", true));
      reads.add(new ReceiptBatch.MessageRead(i - 1, "bo", false));
    }
    return new ReceiptBatch("g-once", ConversationType.SMALL_GROUP, T0.plusSeconds(i),
        List.of(new ReceiptBatch.Position("ann", i, i + 1), new ReceiptBatch.Position("bo", 100 - i, 100 - i)),
        reads, List.of());
  }

  @Test
  void eachReceiptLandsOnceAcrossAWriterRestartAndAFullRedelivery() throws Exception {
    String topic = "receipts-once";
    String group = "once";
    broker.createTopic(topic, 3);
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    KafkaReceipts first = receipts(pool, topic, group, metrics);
    List<ReceiptBatch> firstHalf = new ArrayList<>();
    for (int i = 1; i <= 20; i++) {
      firstHalf.add(onceBatch(i));
    }
    submitAll(first, firstHalf);
    first.startWriter();
    await(() -> counter(metrics, "parley.receipts.kafka.consumed"), 20);
    first.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);

    // A new writer of the same group (a restarted node) resumes after the committed offsets.
    KafkaReceipts second = receipts(pool, topic, group, metrics);
    try {
      List<ReceiptBatch> secondHalf = new ArrayList<>();
      for (int i = 21; i <= 30; i++) {
        secondHalf.add(onceBatch(i));
      }
      submitAll(second, secondHalf);
      second.startWriter();
      await(() -> count("SELECT count(*) FROM message_reads WHERE conversation_id = 'g-once' AND seq = 30"), 1);
      // One key, so one partition, read in order: a replay of 1..20 would have come before batch 30.
      Thread.sleep(300);
      assertEquals(30, counter(metrics, "parley.receipts.kafka.consumed"),
          "the restarted writer read only the 10 new records: offsets were committed after the SQL commit");
    } finally {
      second.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    List<String> before = onceRows();
    assertOnceRows(before);

    // Redelivery of everything: the group's offsets go back to 0 and a writer of the group runs again.
    try (Admin admin = broker.admin()) {
      Map<TopicPartition, OffsetAndMetadata> zero = new HashMap<>();
      for (int p = 0; p < 3; p++) {
        zero.put(new TopicPartition(topic, p), new OffsetAndMetadata(0));
      }
      admin.alterConsumerGroupOffsets(group, zero).all().get(30, TimeUnit.SECONDS);
    }
    KafkaReceipts replay = receipts(pool, topic, group, metrics);
    try {
      replay.startWriter();
      await(() -> counter(metrics, "parley.receipts.kafka.consumed"), 60);
    } finally {
      replay.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    assertEquals(before, onceRows(), "writing all 30 batches again changed no row");
  }

  private static List<String> onceRows() throws SQLException {
    List<String> all = new ArrayList<>(rows("SELECT user_id, last_read_seq, last_delivered_seq, read_at, delivered_at "
        + "FROM conversation_reads WHERE conversation_id = 'g-once' ORDER BY user_id"));
    all.addAll(rows("SELECT seq, user_id, read_at, delivered_at FROM message_reads WHERE conversation_id = 'g-once' "
        + "ORDER BY seq, user_id"));
    return all;
  }

  private static void assertOnceRows(List<String> rows) throws SQLException {
    assertEquals("ann 30 31 " + T0.plusSeconds(30) + " " + T0.plusSeconds(30), rows.get(0),
        "ann's positions are those of the newest batch");
    assertTrue(rows.get(1).startsWith("bo 99 99 "),
        "bo's positions keep the greatest (batch 1), later lower ones do not win: " + rows.get(1));
    assertEquals(30 + 29, count("SELECT count(*) FROM message_reads WHERE conversation_id = 'g-once'"),
        "one row per (conversation, seq, user): 30 of bo, 29 of cy");
    assertEquals(30, count("SELECT count(DISTINCT seq) FROM message_reads WHERE conversation_id = 'g-once' "
        + "AND user_id = 'bo' AND delivered_at = TIMESTAMP WITH TIME ZONE '2026-11-24 10:00:00+00' "
        + "+ seq * INTERVAL '1 second' AND read_at IS NULL"),
        "bo's rows keep the time of the first batch that delivered them (batch i, not the repeat in i + 1)");
    assertEquals(29, count("SELECT count(*) FROM message_reads WHERE conversation_id = 'g-once' AND user_id = 'cy' "
        + "AND read_at = TIMESTAMP WITH TIME ZONE '2026-11-24 10:00:00+00' + (seq + 1) * INTERVAL '1 second'"));
  }

  @Test
  void malformedRecordsAreSkippedAndCommittedPast() throws Exception {
    String topic = "receipts-malformed";
    String group = "malformed";
    broker.createTopic(topic, 1);
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    KafkaReceipts receipts = receipts(pool, topic, group, metrics);
    try (KafkaProducer<String, String> raw = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all"),
        new StringSerializer(), new StringSerializer())) {
      submitAll(receipts, List.of(batch("m-1", 1)));
      raw.send(new ProducerRecord<>(topic, "m-x", "{not json")).get(10, TimeUnit.SECONDS);
      raw.send(new ProducerRecord<>(topic, "m-x", "{\"conversationId\": \"m-x\"}")).get(10, TimeUnit.SECONDS);
      // Valid JSON the database refuses (PostgreSQL text cannot hold NUL): written alone and skipped.
      submitAll(receipts, List.of(batch("m-bad\u0000", 1), batch("m-2", 2)));
      receipts.startWriter();
      await(() -> counter(metrics, "parley.receipts.kafka.consumed"), 2);
      assertEquals(3, counter(metrics, "parley.receipts.kafka.malformed"));
      await(() -> count("SELECT count(*) FROM quarantine WHERE stream = 'receipts-kafka'"), 3);
      assertEquals(3, (long) metrics.get("parley.quarantined").tag("stream", KafkaReceipts.STREAM).counter().count(),
          "the SQL writer's quarantine, one rule for both writers (ADR 0013)");
      assertEquals(List.of("m-1 ann 1", "m-2 ann 2"), rows("SELECT conversation_id, user_id, last_read_seq "
          + "FROM conversation_reads WHERE conversation_id LIKE 'm-%' ORDER BY conversation_id"));
    } finally {
      receipts.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    KafkaReceipts again = receipts(pool, topic, group, metrics);
    try {
      submitAll(again, List.of(batch("m-3", 3)));
      again.startWriter();
      await(() -> count("SELECT count(*) FROM conversation_reads WHERE conversation_id = 'm-3'"), 1);
      Thread.sleep(300);
      assertEquals(3, counter(metrics, "parley.receipts.kafka.consumed"));
      assertEquals(3, counter(metrics, "parley.receipts.kafka.malformed"),
          "the skipped records were committed past: a restarted writer does not meet them again");
    } finally {
      again.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aDatabaseOutageKeepsTheRecordsUntilTheDatabaseIsBack() throws Exception {
    String topic = "receipts-outage";
    broker.createTopic(topic, 2);
    String host = PostgresDatabase.HOST.split(":")[0];
    int port = Integer.parseInt(PostgresDatabase.HOST.split(":")[1]);
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    try (TcpProxy proxy = new TcpProxy(host, port);
        HikariDataSource viaProxy = pool("jdbc:postgresql://127.0.0.1:" + proxy.port() + "/" + pg.name()
            + "?connectTimeout=1&socketTimeout=2")) {
      KafkaReceipts receipts = receipts(viaProxy, topic, "outage", metrics);
      try {
        proxy.cut();
        viaProxy.getHikariPoolMXBean().softEvictConnections();
        List<ReceiptBatch> batches = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
          batches.add(batch("o-" + i, i));
        }
        submitAll(receipts, batches);
        receipts.startWriter();
        Thread.sleep(2500);
        assertEquals(0, counter(metrics, "parley.receipts.kafka.consumed"), "nothing is written while the database is down");
        assertEquals(0, metrics.get("parley.receipts.flush").timer().count(), "no transaction committed");
        proxy.restore();
        await(() -> counter(metrics, "parley.receipts.kafka.consumed"), 10);
        assertEquals(10, count("SELECT count(*) FROM conversation_reads WHERE conversation_id LIKE 'o-%' "
            + "AND last_read_seq = CAST(substring(conversation_id from 3) AS bigint)"));
        assertEquals(0, counter(metrics, "parley.receipts.kafka.malformed"), "an outage is not a malformed record");
      } finally {
        receipts.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
    }
  }

  private static ReceiptBatch batch(String conv, long seq) {
    return new ReceiptBatch(conv, ConversationType.PRIVATE, T0,
        List.of(new ReceiptBatch.Position("ann", seq, seq)), List.of(), List.of());
  }

  private static long counter(MeterRegistry metrics, String name) {
    return (long) metrics.get(name).counter().count();
  }

  private interface Probe {
    long get() throws Exception;
  }

  /** Waits (at most 30 s) until the probe reads {@code expected}; fails if it passes it or never gets there. */
  private static void await(Probe probe, long expected) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    long last = probe.get();
    while (last < expected && System.nanoTime() < deadline) {
      Thread.sleep(50);
      last = probe.get();
    }
    assertEquals(expected, last);
  }

  private static long count(String sql) throws SQLException {
    try (Connection c = pool.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Each row as its columns joined by spaces (timestamps as instants). */
  private static List<String> rows(String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = pool.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        StringBuilder row = new StringBuilder();
        for (int i = 1; i <= n; i++) {
          Object v = rs.getObject(i);
          if (v instanceof java.time.OffsetDateTime t) {
            v = t.toInstant();
          } else if (v instanceof java.sql.Timestamp t) {
            v = t.toInstant();
          }
          row.append(i == 1 ? "" : " ").append(v);
        }
        out.add(row.toString());
      }
    }
    return out;
  }
}

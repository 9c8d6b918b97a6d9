package dev.parley.receipts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.parley.TcpProxy;
import dev.parley.app.NodeConfig;
import dev.parley.app.PostgresDatabase;
import dev.parley.app.Schema;
import dev.parley.app.TestNodes;
import dev.parley.protocol.ConversationType;
import dev.parley.sql.Jdbc;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The receipt store and writer against the real PostgreSQL (and the embedded H2 where SQL differs). */
class ReceiptStoreTest {
  static PostgresDatabase pg;
  static HikariDataSource pgPool;
  static HikariDataSource h2Pool;
  static ActorTestKit testKit;
  static final Instant T0 = Instant.parse("2026-11-24T10:00:00Z");

  @BeforeAll
  static void setUp() throws Exception {
    pg = PostgresDatabase.create();
    pgPool = migratedPool(pg.url(), pg.user());
    Path dir = Files.createTempDirectory("parley-receipts");
    h2Pool = migratedPool("jdbc:h2:file:" + dir.resolve("db"), "sa");
    testKit = ActorTestKit.create();
  }

  @AfterAll
  static void tearDown() {
    testKit.shutdownTestKit();
    pgPool.close();
    h2Pool.close();
    pg.close();
  }

  static HikariDataSource pool(String url, String user) {
    return TestNodes.pool(database(url, user), 4, Duration.ofSeconds(1));
  }

  private static HikariDataSource migratedPool(String url, String user) {
    Schema.migrate(database(url, user));
    return pool(url, user);
  }

  private static NodeConfig.Database database(String url, String user) {
    return url.startsWith("jdbc:h2:")
        ? new NodeConfig.Database(url, user, "", "org.h2.Driver", "slick.jdbc.H2Profile$", "h2")
        : new NodeConfig.Database(url, user, "", "org.postgresql.Driver", "slick.jdbc.PostgresProfile$", "postgresql");
  }

  private static ReceiptStore store(String db) {
    return new ReceiptStore(new Jdbc(db.equals("pg") ? pgPool : h2Pool, db.equals("pg")), new SimpleMeterRegistry());
  }

  private static HikariDataSource ds(String db) {
    return db.equals("pg") ? pgPool : h2Pool;
  }

  private static ReceiptBatch batch(String conv, Instant at, List<ReceiptBatch.Position> ps,
      List<ReceiptBatch.MessageRead> reads, List<ReceiptBatch.ChannelView> views) {
    return new ReceiptBatch(conv, ConversationType.SMALL_GROUP, at, ps, reads, views);
  }

  @ParameterizedTest
  @ValueSource(strings = {"pg", "h2"})
  void positionsKeepTheGreatestAndRewritingChangesNothing(String db) throws Exception {
    ReceiptStore store = store(db);
    String conv = "c-" + db + "-pos";
    store.write(List.of(batch(conv, T0, List.of(new ReceiptBatch.Position("ann", 5, 7)), List.of(), List.of())));
    store.write(List.of(batch(conv, T0.plusSeconds(1), List.of(new ReceiptBatch.Position("ann", 3, 9)), List.of(),
        List.of())));
    store.write(List.of(batch(conv, T0.plusSeconds(1), List.of(new ReceiptBatch.Position("ann", 3, 9)), List.of(),
        List.of())));
    Map<String, long[]> stored = store.positionsOf(conv);
    assertEquals(5, stored.get("ann")[0], "a lower read position never wins");
    assertEquals(9, stored.get("ann")[1]);
    assertEquals(1, count(db, "SELECT count(*) FROM conversation_reads WHERE conversation_id = '" + conv + "'"));
    try (Connection c = ds(db).getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT read_at, delivered_at FROM conversation_reads WHERE conversation_id = '"
            + conv + "'")) {
      rs.next();
      assertEquals(T0, Jdbc.instant(rs, "read_at"), "read_at stays at the time the read position was reached");
      assertEquals(T0.plusSeconds(1), Jdbc.instant(rs, "delivered_at"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"pg", "h2"})
  void messageReadsLandOncePerMessageAndUserAndKeepTheFirstTimes(String db) throws Exception {
    ReceiptStore store = store(db);
    String conv = "c-" + db + "-rows";
    var delivered = List.of(new ReceiptBatch.MessageRead(1, "bo", false), new ReceiptBatch.MessageRead(2, "bo", false));
    store.write(List.of(batch(conv, T0, List.of(), delivered, List.of())));
    var read = List.of(new ReceiptBatch.MessageRead(1, "bo", true), new ReceiptBatch.MessageRead(2, "bo", true));
    store.write(List.of(batch(conv, T0.plusSeconds(5), List.of(), read, List.of())));
    store.write(List.of(batch(conv, T0.plusSeconds(9), List.of(), read, List.of()))); // a redelivery
    assertEquals(2, count(db, "SELECT count(*) FROM message_reads WHERE conversation_id = '" + conv + "'"));
    try (Connection c = ds(db).getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT read_at, delivered_at FROM message_reads WHERE conversation_id = '"
            + conv + "' AND seq = 1")) {
      rs.next();
      assertEquals(T0.plusSeconds(5), Jdbc.instant(rs, "read_at"));
      assertEquals(T0, Jdbc.instant(rs, "delivered_at"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"pg", "h2"})
  void channelViewsAreAbsoluteAndNeverGoDown(String db) throws Exception {
    ReceiptStore store = store(db);
    String conv = "c-" + db + "-views";
    store.write(List.of(batch(conv, T0, List.of(), List.of(), List.of(new ReceiptBatch.ChannelView(1, 10)))));
    store.write(List.of(batch(conv, T0, List.of(), List.of(), List.of(new ReceiptBatch.ChannelView(1, 10)))));
    store.write(List.of(batch(conv, T0, List.of(), List.of(), List.of(new ReceiptBatch.ChannelView(1, 7)))));
    assertEquals(10, count(db, "SELECT views FROM channel_views WHERE conversation_id = '" + conv + "'"));
  }

  @Test
  void manyBatchesOfOneFlushMergeDuplicateKeysIntoOneStatement() throws Exception {
    ReceiptStore store = store("pg");
    String conv = "c-merge";
    List<ReceiptBatch> batches = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      batches.add(batch(conv, T0.plusSeconds(i), List.of(new ReceiptBatch.Position("ann", i, i)),
          List.of(new ReceiptBatch.MessageRead(1, "ann", i > 2)), List.of()));
    }
    assertEquals(2, store.write(batches), "one position row and one message row after merging");
    assertEquals(5, store.positionsOf(conv).get("ann")[0]);
  }

  @Test
  void theWriterGathersAHundredMembersIntoOneTransaction() throws Exception {
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    ReceiptStore store = new ReceiptStore(new Jdbc(pgPool, true), metrics);
    ReceiptSettings settings = new ReceiptSettings(Duration.ofSeconds(1), 500, Duration.ofMillis(200), 500, 1000,
        Duration.ofMillis(50), Duration.ofMillis(200), "t");
    ReceiptWriter writer = new ReceiptWriter(store, settings, Runnable::run, testKit.system(), metrics);
    List<ReceiptBatch.Position> hundred = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      hundred.add(new ReceiptBatch.Position("member-" + i, 42, 42));
    }
    writer.submit(batch("c-hundred", T0, hundred, List.of(), List.of())).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(1, metrics.get("parley.receipts.flush").timer().count(), "one transaction for 100 members");
    assertEquals(100, metrics.get("parley.receipts.flush.rows").summary().totalAmount());
    assertEquals(100, count("pg", "SELECT count(*) FROM conversation_reads WHERE conversation_id = 'c-hundred' "
        + "AND last_read_seq = 42"));
  }

  /**
   * No poison pill (ADR 0013): a batch the database refuses as data (here a NUL in a user id, which
   * PostgreSQL text cannot hold: SQLState 22021), gathered into one transaction with good batches,
   * no longer fails them all (and then again at every flush, since their entities kept them dirty):
   * the good ones are written, the refused one is quarantined (row, metric), and every submit
   * completes, so no entity offers the refused rows again.
   */
  @Test
  void aBatchTheDatabaseRefusesIsQuarantinedAndTheBatchesGatheredWithItAreWritten() throws Exception {
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    ReceiptStore store = new ReceiptStore(new Jdbc(pgPool, true), metrics);
    ReceiptSettings settings = new ReceiptSettings(Duration.ofSeconds(1), 500, Duration.ofMillis(300), 500, 1000,
        Duration.ofMillis(20), Duration.ofMillis(100), "t");
    ReceiptWriter writer = new ReceiptWriter(store, settings, Runnable::run, testKit.system(), metrics);
    List<CompletableFuture<?>> pending = List.of(
        writer.submit(batch("c-before-poison", T0, List.of(new ReceiptBatch.Position("ann", 3, 3)), List.of(),
            List.of())).toCompletableFuture(),
        writer.submit(batch("c-poison", T0, List.of(new ReceiptBatch.Position("a\u0000b", 3, 3)), List.of(),
            List.of())).toCompletableFuture(),
        writer.submit(batch("c-after-poison", T0, List.of(new ReceiptBatch.Position("bo", 4, 4)),
            List.of(new ReceiptBatch.MessageRead(4, "bo", true)), List.of())).toCompletableFuture());
    CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
    assertEquals(3, count("pg", "SELECT last_read_seq FROM conversation_reads WHERE conversation_id = 'c-before-poison'"));
    assertEquals(4, count("pg", "SELECT last_read_seq FROM conversation_reads WHERE conversation_id = 'c-after-poison'"));
    assertEquals(1, count("pg", "SELECT count(*) FROM message_reads WHERE conversation_id = 'c-after-poison'"));
    assertEquals(0, count("pg", "SELECT count(*) FROM conversation_reads WHERE conversation_id = 'c-poison'"));
    assertEquals(1, count("pg", "SELECT count(*) FROM quarantine WHERE stream = 'receipts' AND source = 'c-poison' "
        + "AND reason LIKE 'SQLState 22%'"));
    assertEquals(1.0, metrics.get("parley.quarantined").tag("stream", ReceiptWriter.STREAM).counter().count());
    writer.drain(Duration.ofSeconds(2)).toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @Test
  void aFlushDuringADatabaseOutageLosesNothingOnceTheDatabaseIsBack() throws Exception {
    String host = PostgresDatabase.HOST.split(":")[0];
    int port = Integer.parseInt(PostgresDatabase.HOST.split(":")[1]);
    try (TcpProxy proxy = new TcpProxy(host, port);
        HikariDataSource viaProxy = pool("jdbc:postgresql://127.0.0.1:" + proxy.port() + "/" + pg.name()
            + "?connectTimeout=1&socketTimeout=2", pg.user())) {
      SimpleMeterRegistry metrics = new SimpleMeterRegistry();
      ReceiptStore store = new ReceiptStore(new Jdbc(viaProxy, true), metrics);
      ReceiptSettings settings = new ReceiptSettings(Duration.ofSeconds(1), 500, Duration.ofMillis(20), 500, 1000,
          Duration.ofMillis(50), Duration.ofMillis(300), "t");
      ReceiptWriter writer = new ReceiptWriter(store, settings,
          java.util.concurrent.Executors.newSingleThreadExecutor(), testKit.system(), metrics);
      proxy.cut();
      viaProxy.getHikariPoolMXBean().softEvictConnections();
      List<CompletableFuture<?>> pending = new ArrayList<>();
      for (int i = 1; i <= 20; i++) {
        pending.add(writer.submit(batch("c-outage", T0, List.of(new ReceiptBatch.Position("u" + i, i, i)),
            List.of(new ReceiptBatch.MessageRead(i, "u" + i, true)), List.of())).toCompletableFuture());
      }
      Thread.sleep(2500);
      assertFalse(pending.stream().anyMatch(CompletableFuture::isDone), "nothing is acknowledged while the database is down");
      assertTrue(metrics.get("parley.receipts.flush.failures").counter().count() >= 1);
      proxy.restore();
      CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
      assertEquals(20, count("pg", "SELECT count(*) FROM conversation_reads WHERE conversation_id = 'c-outage'"));
      assertEquals(20, count("pg", "SELECT count(*) FROM message_reads WHERE conversation_id = 'c-outage'"));
      assertEquals(20, count("pg", "SELECT count(*) FROM conversation_reads WHERE conversation_id = 'c-outage' "
          + "AND last_read_seq = CAST(substring(user_id from 2) AS bigint)"));
      writer.drain(Duration.ofSeconds(2)).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }
  }

  private static long count(String db, String sql) throws SQLException {
    try (Connection c = ds(db).getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}

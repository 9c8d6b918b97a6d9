package dev.parley.readmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.app.ParleyNode;
import dev.parley.app.PostgresDatabase;
import dev.parley.app.TestNodes;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.apache.pekko.persistence.jdbc.db.SlickExtension;
import org.apache.pekko.persistence.jdbc.db.SlickExtensionImpl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import slick.jdbc.JdbcBackend;

/**
 * The read journal (the projections' eventsByTag polls) on its own pool, planning each poll for
 * its actual offsets: a plan cached while the journal was nearly empty must not be reused once it
 * has grown (it made polls take seconds and the read model fall tens of seconds behind).
 */
class ReadJournalPoolTest {
  /** The plugin's eventsByTag query (pekko-persistence-jdbc 1.1.1, as logged by PostgreSQL), trimmed to what it plans on. */
  private static final String POLL = "SELECT x2.x3 FROM (SELECT ordering AS x3, event_payload AS x10 FROM event_journal "
      + "WHERE deleted = false) x2, event_tag x16 WHERE ((x16.tag = $1) AND ((x2.x3 > $2) AND (x2.x3 <= $3))) "
      + "AND (x2.x3 = x16.event_id) ORDER BY x2.x3 LIMIT $4";

  static PostgresDatabase db;
  static ParleyNode node;

  @BeforeAll
  static void setUp() throws Exception {
    db = PostgresDatabase.create();
    node = ParleyNode.start(TestNodes.postgres(db, Files.createTempDirectory("parley-read-journal"), Map.of(
        "parley.redis.url", "redis://127.0.0.1:6379",
        "parley.auth.redis-key-prefix", "test:readjournal:")));
  }

  @AfterAll
  static void tearDown() {
    node.stopAndWait(Duration.ofSeconds(30));
    db.close();
  }

  private static JdbcBackend.JdbcDatabaseDef pool(String plugin) {
    SlickExtensionImpl slick = (SlickExtensionImpl) SlickExtension.get(node.system());
    return slick.database(node.system().settings().config().getConfig(plugin)).database();
  }

  private static String one(Statement s, String sql) throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  @Test
  void theReadJournalHasItsOwnPoolAndPlansEveryPoll() throws Exception {
    JdbcBackend.JdbcDatabaseDef read = pool("jdbc-read-journal");
    JdbcBackend.JdbcDatabaseDef journal = pool("jdbc-journal");
    assertNotSame(read, journal, "polls never take the connections journal writes wait for");
    try (Connection c = read.source().createConnection(); Statement s = c.createStatement()) {
      assertEquals("force_custom_plan", one(s, "SHOW plan_cache_mode"));
    }
    try (Connection c = journal.source().createConnection(); Statement s = c.createStatement()) {
      assertEquals("auto", one(s, "SHOW plan_cache_mode"), "journal writes keep their cached plans");
    }
  }

  @Test
  void aPollPreparedOnAnEmptyJournalIsPlannedForItsOffsetsOnceTheJournalGrew() throws Exception {
    try (Connection c = pool("jdbc-read-journal").source().createConnection(); Statement s = c.createStatement()) {
      // Rows under tags no projection reads, so the node's projections never see them.
      s.execute("INSERT INTO event_journal (persistence_id, sequence_number, writer, write_timestamp, event_ser_id, "
          + "event_ser_manifest, event_payload) SELECT 'Probe|p-' || (i % 50), i, 'w', 0, 1, 'm', '\\x00' "
          + "FROM generate_series(1, 50) i");
      s.execute("INSERT INTO event_tag (event_id, tag) SELECT ordering, 'probe-' || (ordering % 8) FROM event_journal "
          + "WHERE persistence_id LIKE 'Probe|%'");
      s.execute("PREPARE poll(text, bigint, bigint, bigint) AS " + POLL);
      for (int i = 0; i < 6; i++) {
        s.execute("EXECUTE poll('probe-3', 0, 50, 500)");
      }
      s.execute("INSERT INTO event_journal (persistence_id, sequence_number, writer, write_timestamp, event_ser_id, "
          + "event_ser_manifest, event_payload) SELECT 'Probe|p-' || (i % 50), i, 'w', 0, 1, 'm', '\\x00' "
          + "FROM generate_series(51, 20000) i");
      s.execute("INSERT INTO event_tag (event_id, tag) SELECT ordering, 'probe-' || (ordering % 8) FROM event_journal "
          + "WHERE persistence_id LIKE 'Probe|%' ON CONFLICT DO NOTHING");
      StringBuilder plan = new StringBuilder();
      try (ResultSet rs = s.executeQuery("EXPLAIN EXECUTE poll('probe-3', 15000, 16000, 500)")) {
        while (rs.next()) {
          plan.append(rs.getString(1)).append('\n');
        }
      }
      assertFalse(plan.toString().contains("$1"), "planned for the poll's own tag and offsets, not generically:\n" + plan);
      assertTrue(plan.toString().contains("'probe-3'"), plan.toString());
    }
  }
}

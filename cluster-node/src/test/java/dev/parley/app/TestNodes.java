package dev.parley.app;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.parley.conversation.ConversationEntity;
import dev.parley.testkit.FreePort;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.sharding.ShardRegion.CurrentShardRegionState;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Configurations for nodes started by tests: an ephemeral cluster port (read the real one from
 * {@code system.address()}), a free management port, quiet logs, the given storage.
 */
public final class TestNodes {
  private TestNodes() {}

  /** An embedded-mode node (H2 file under {@code dataDir}). */
  public static Config embedded(Path dataDir) {
    return NodeConfig.load(base(dataDir, Map.of()));
  }

  /** An embedded-mode node on a fixed HTTP port, so that a restarted node is found at the same URL. */
  public static Config embedded(Path dataDir, int httpPort) {
    return NodeConfig.load(base(dataDir, Map.of("parley.http.port", httpPort)));
  }

  /** An embedded-mode node with extra settings on top. */
  public static Config embedded(Path dataDir, Map<String, Object> extra) {
    return NodeConfig.load(base(dataDir, extra));
  }

  /** A full-mode node on the given PostgreSQL database, with extra settings on top. */
  public static Config postgres(PostgresDatabase db, Path dataDir, Map<String, Object> extra) {
    Map<String, Object> m = new HashMap<>(extra);
    m.put("parley.db.url", db.url());
    m.put("parley.db.user", db.user());
    return NodeConfig.load(base(dataDir, m));
  }

  private static Config base(Path dataDir, Map<String, Object> extra) {
    Map<String, Object> m = new HashMap<>();
    m.put("parley.data-dir", dataDir.toString());
    m.put("parley.cluster.port", 0);
    m.put("parley.management.port", freePort());
    m.put("parley.db.pool-size", 4);
    m.put("parley.db.api-pool-size", 4);
    m.put("parley.http.host", "127.0.0.1");
    m.put("parley.http.port", 0);
    m.put("parley.auth.bcrypt-cost", 4);
    m.put("pekko.loglevel", "WARNING");
    m.put("pekko.coordinated-shutdown.exit-jvm", "off");
    m.putAll(extra);
    return ConfigFactory.parseMap(m);
  }

  /** A small connection pool on a test database (tests that use the read model or receipts without a node). */
  public static com.zaxxer.hikari.HikariDataSource pool(NodeConfig.Database db, int size, Duration connectionTimeout) {
    com.zaxxer.hikari.HikariConfig c = new com.zaxxer.hikari.HikariConfig();
    c.setJdbcUrl(db.url());
    c.setUsername(db.user());
    c.setPassword(db.password());
    c.setDriverClassName(db.driver());
    c.setMaximumPoolSize(size);
    c.setConnectionTimeout(connectionTimeout.toMillis());
    return new com.zaxxer.hikari.HikariDataSource(c);
  }

  /** The ids of the conversations hosted on this node right now. */
  public static Set<String> hostedConversations(ParleyNode node) {
    TestProbe<CurrentShardRegionState> probe = TestProbe.create(node.system());
    ClusterSharding.get(node.system()).shardState()
        .tell(new GetShardRegionState(ConversationEntity.ENTITY_KEY, probe.getRef()));
    return probe.receiveMessage(Duration.ofSeconds(5)).getShards().stream()
        .flatMap(s -> s.getEntityIds().stream())
        .collect(Collectors.toSet());
  }

  public static int freePort() {
    return FreePort.pick();
  }

  /** Waits until the node sees {@code n} Up members in its cluster. */
  public static void awaitUpMembers(ParleyNode node, int n, java.time.Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      long up = java.util.stream.StreamSupport.stream(
              org.apache.pekko.cluster.typed.Cluster.get(node.system()).state().getMembers().spliterator(), false)
          .filter(m -> m.status() == org.apache.pekko.cluster.MemberStatus.up()).count();
      if (up == n) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("cluster did not reach " + n + " Up members");
  }
}

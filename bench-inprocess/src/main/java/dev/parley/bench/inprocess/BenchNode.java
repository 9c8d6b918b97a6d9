package dev.parley.bench.inprocess;

import com.typesafe.config.ConfigFactory;
import com.zaxxer.hikari.HikariDataSource;
import dev.parley.app.NodeConfig;
import dev.parley.app.ParleyNode;
import dev.parley.app.PostgresDatabase;
import dev.parley.app.Schema;
import dev.parley.app.TestNodes;
import dev.parley.conversation.ConversationEntity;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;

/**
 * A full-mode node in the benchmark's JVM, on ephemeral ports, on a throw-away database of the
 * machine's PostgreSQL ({@link PostgresDatabase}: PARLEY_TEST_PG_HOST, default 127.0.0.1:5432) and
 * the machine's Redis (PARLEY_REDIS_URL, default redis://127.0.0.1:6379).
 */
final class BenchNode {
  private BenchNode() {}

  static ParleyNode start(PostgresDatabase db) throws IOException {
    return start(db, Map.of());
  }

  /**
   * As {@link #start(PostgresDatabase)} with {@code overrides} on top. Logins are not measured, so
   * passwords are hashed at bcrypt cost 4 to register thousands of users quickly.
   */
  static ParleyNode start(PostgresDatabase db, Map<String, Object> overrides) throws IOException {
    Map<String, Object> m = new HashMap<>();
    m.put("parley.auth.bcrypt-cost", 4);
    m.put("parley.data-dir", Files.createTempDirectory("parley-bench").toString());
    m.put("parley.db.url", db.url());
    m.put("parley.db.user", db.user());
    m.put("parley.redis.url", System.getenv().getOrDefault("PARLEY_REDIS_URL", "redis://127.0.0.1:6379"));
    m.put("parley.auth.redis-key-prefix", "parley-bench:" + UUID.randomUUID() + ":");
    m.put("parley.cluster.port", 0);
    m.put("parley.management.port", TestNodes.freePort());
    m.put("parley.http.host", "127.0.0.1");
    m.put("parley.http.port", 0);
    m.put("pekko.loglevel", "WARNING");
    m.put("pekko.coordinated-shutdown.exit-jvm", "off");
    m.putAll(overrides);
    return ParleyNode.start(NodeConfig.load(ConfigFactory.parseMap(m)));
  }

  /** Asks a conversation entity; fails with the rejection's message on a rejection. */
  static <R> CompletionStage<R> ask(ParleyNode node, String conversationId,
      Function<ActorRef<StatusReply<R>>, ConversationEntity.Command> command) {
    return ClusterSharding.get(node.system()).entityRefFor(ConversationEntity.ENTITY_KEY, conversationId)
        .<R>askWithStatus(command::apply, Duration.ofSeconds(30));
  }

  /** Applies the node's migrations to {@code db} and opens a pool of {@code size} connections on it. */
  static HikariDataSource migratedPool(PostgresDatabase db, int size) {
    Schema.migrate(db.database());
    return TestNodes.pool(db.database(), size, Duration.ofSeconds(30));
  }
}

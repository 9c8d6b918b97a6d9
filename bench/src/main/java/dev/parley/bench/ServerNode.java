package dev.parley.bench;

import dev.parley.protocol.bench.BenchReport;
import dev.parley.testkit.NodeProcess;
import dev.parley.testkit.TempDirs;
import dev.parley.testkit.TestDatabase;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The node under load in its own JVM (so its CPU is told apart from the generator's), full mode on
 * a throw-away PostgreSQL database and the machine's Redis, launched from this JVM's classpath
 * (bench has the node at runtime scope only: no compile-time access to its classes). Passwords are
 * hashed at bcrypt cost 4 ({@link NodeProcess#fullMode}): logins are never measured. Per-user and per-connection rate
 * limits and the password pool's per-address cap and queue bound are lifted: the benchmark
 * measures the node, not its throttles. {@code PARLEY_BENCH_JFR}
 * = a file name records a JFR profile of the node for the whole run; {@code PARLEY_BENCH_NODE_OPTS}
 * adds JVM options to the node's (e.g. a different garbage collector).
 */
final class ServerNode implements AutoCloseable {
  /** The node's database; benchmarks read it by SQL only as an outside observer. */
  final TestDatabase db;
  final NodeProcess node;
  private final String redisUrl;
  private final String sessionPrefix;
  private final Path dataDir;
  private final List<String> conversations = new ArrayList<>();

  private ServerNode(TestDatabase db, NodeProcess node, String redisUrl, String sessionPrefix, Path dataDir) {
    this.db = db;
    this.node = node;
    this.redisUrl = redisUrl;
    this.sessionPrefix = sessionPrefix;
    this.dataDir = dataDir;
  }

  /** Users and conversations made through the node's API; their cache keys go when the node does. */
  List<Population.Conversation> populate(int conversations, int members) throws Exception {
    List<Population.Conversation> pop = Population.create(url(), conversations, members);
    pop.forEach(c -> forgetOnClose(c.id()));
    return pop;
  }

  /** A conversation made through the node's API whose Redis cache entries go when the node does. */
  synchronized void forgetOnClose(String conversationId) {
    conversations.add(conversationId);
  }

  static ServerNode start(Map<String, String> extra) throws Exception {
    TestDatabase db = TestDatabase.create();
    try {
      Map<String, String> s = new HashMap<>();
      String redisUrl = System.getenv().getOrDefault("PARLEY_REDIS_URL", "redis://127.0.0.1:6379");
      String sessionPrefix = "parley-bench:" + UUID.randomUUID() + ":";
      s.put("parley.redis.url", redisUrl);
      s.put("parley.auth.redis-key-prefix", sessionPrefix);
      s.putAll(NodeProcess.liftedLimits());
      s.putAll(extra);
      List<String> jvm = new ArrayList<>(List.of("-Xms1g", "-Xmx2g"));
      String opts = System.getenv("PARLEY_BENCH_NODE_OPTS");
      if (opts != null && !opts.isBlank()) {
        jvm.addAll(List.of(opts.trim().split("\\s+")));
      }
      String jfr = System.getenv("PARLEY_BENCH_JFR");
      if (jfr != null && !jfr.isBlank()) {
        jvm.add("-XX:StartFlightRecording=filename=" + jfr + ",settings=profile,dumponexit=true");
      }
      Path dataDir = Files.createTempDirectory("parley-bench-node");
      NodeProcess node = NodeProcess.startOn(db, dataDir, s, jvm);
      return new ServerNode(db, node, redisUrl, sessionPrefix, dataDir);
    } catch (Exception e) {
      db.close();
      throw e;
    }
  }

  String url() {
    return node.httpUrl();
  }

  /** The node's operator port (health, cluster state, {@code /metrics}); loopback, no token. */
  String managementUrl() {
    return node.managementUrl();
  }

  /** The box, with the version of the PostgreSQL the node writes to. */
  BenchReport.Machine machine() {
    return Reports.machine(db::connect);
  }

  long pid() {
    return node.pid();
  }

  @Override
  public void close() throws Exception {
    try {
      node.stop();
    } finally {
      try {
        forgetRedisKeys();
      } finally {
        db.close();
        TempDirs.delete(dataDir);
      }
    }
  }

  /** Session tokens under this run's prefix and the cache entries of this run's conversations. */
  private synchronized void forgetRedisKeys() {
    RedisClient client = RedisClient.create(redisUrl);
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      SeedTable.deleteKeys(c.sync(), sessionPrefix + "*");
      for (String conv : conversations) {
        c.sync().del("parley:conv:" + conv + ":recent", "parley:conv:" + conv + ":summary");
      }
    } finally {
      client.shutdown();
    }
  }
}

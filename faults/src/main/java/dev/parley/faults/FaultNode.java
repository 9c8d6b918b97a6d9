package dev.parley.faults;

import dev.parley.testkit.FreePort;
import dev.parley.testkit.NodeProcess;
import dev.parley.testkit.TcpProxy;
import dev.parley.testkit.TempDirs;
import dev.parley.testkit.TestDatabase;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The node a scenario breaks: full mode in its own JVM ({@link NodeProcess}) on a throw-away PostgreSQL
 * database and the machine's Redis ({@code PARLEY_REDIS_URL}, default 127.0.0.1:6379), optionally
 * through a {@link TcpProxy} to each so a scenario can cut them. Its client port is fixed for the run,
 * so a restarted node is found where clients reconnect. Client rate limits are lifted (the scenarios
 * measure faults, not throttles). It owns the database, the data directory, the proxies and the run's
 * Redis keys (session tokens under its own prefix, the cache entries of the conversations it was told
 * of), and removes all of them on {@link #close()}, whatever state the process is in.
 */
final class FaultNode implements AutoCloseable {
  static final String REDIS_URL = System.getenv().getOrDefault("PARLEY_REDIS_URL", "redis://127.0.0.1:6379");

  final TestDatabase db;
  private final Path dataDir;
  private final int httpPort;
  private final TcpProxy postgres;
  private final TcpProxy redis;
  private final Map<String, String> settings;
  private final String sessionPrefix;
  private final List<String> conversations = new ArrayList<>();
  private NodeProcess process;

  /** What a scenario needs of its node: proxies, and settings on top of the defaults. */
  record Options(boolean proxyPostgres, boolean proxyRedis, Map<String, String> settings) {
    static Options plain() {
      return new Options(false, false, Map.of());
    }

    Options with(String key, String value) {
      Map<String, String> s = new HashMap<>(settings);
      s.put(key, value);
      return new Options(proxyPostgres, proxyRedis, s);
    }
  }

  private FaultNode(TestDatabase db, Path dataDir, TcpProxy postgres, TcpProxy redis, Map<String, String> settings,
      String sessionPrefix) {
    this.db = db;
    this.dataDir = dataDir;
    this.httpPort = FreePort.pick();
    this.postgres = postgres;
    this.redis = redis;
    this.settings = settings;
    this.sessionPrefix = sessionPrefix;
  }

  static FaultNode start(Options o) throws Exception {
    TestDatabase db = TestDatabase.create();
    TcpProxy pg = null;
    TcpProxy rd = null;
    Path dir = null;
    try {
      URI pgAt = URI.create("postgresql://" + TestDatabase.HOST);
      URI redisAt = URI.create(REDIS_URL);
      pg = o.proxyPostgres() ? new TcpProxy(pgAt.getHost(), pgAt.getPort()) : null;
      rd = o.proxyRedis() ? new TcpProxy(redisAt.getHost(), redisAt.getPort()) : null;
      String prefix = "parley-faults:" + UUID.randomUUID() + ":";
      Map<String, String> s = new HashMap<>();
      s.put("parley.redis.url", rd == null ? REDIS_URL : "redis://127.0.0.1:" + rd.port());
      s.put("parley.auth.redis-key-prefix", prefix);
      if (pg != null) {
        s.put("parley.db.url",
            "jdbc:postgresql://127.0.0.1:" + pg.port() + "/" + db.name() + "?reWriteBatchedInserts=true");
      }
      // Setup logs in hundreds of users from one address at once: throttles and login caps lifted.
      s.putAll(NodeProcess.liftedLimits());
      s.putAll(o.settings());
      dir = Files.createTempDirectory("parley-faults-node");
      FaultNode node = new FaultNode(db, dir, pg, rd, s, prefix);
      node.launch();
      return node;
    } catch (Exception e) {
      if (pg != null) {
        pg.close();
      }
      if (rd != null) {
        rd.close();
      }
      if (dir != null) {
        TempDirs.delete(dir);
      }
      db.close();
      throw e;
    }
  }

  /** Starts the node process (again) on the same database, data directory and client port. */
  void launch() throws IOException {
    Map<String, String> s = new HashMap<>(settings);
    s.put("parley.http.port", Integer.toString(httpPort));
    process = NodeProcess.startOn(db, dataDir, s, List.of("-Xms512m", "-Xmx2g"));
  }

  /** The client API, e.g. {@code http://127.0.0.1:41234}; the same across restarts. */
  String url() {
    return "http://127.0.0.1:" + httpPort;
  }

  int httpPort() {
    return httpPort;
  }

  NodeProcess process() {
    return process;
  }

  /** The proxy between the node and PostgreSQL (null unless asked for). */
  TcpProxy postgres() {
    return postgres;
  }

  /** The proxy between the node and Redis (null unless asked for). */
  TcpProxy redis() {
    return redis;
  }

  /** A conversation whose Redis cache entries go when this node does. */
  synchronized void forgetOnClose(String conversationId) {
    conversations.add(conversationId);
  }

  @Override
  public void close() throws Exception {
    try {
      if (process != null && process.isAlive()) {
        process.resume(); // a paused process would not act on SIGTERM until SIGCONT
        process.stop();
      }
    } finally {
      try {
        forgetRedisKeys();
      } finally {
        if (postgres != null) {
          postgres.close();
        }
        if (redis != null) {
          redis.close();
        }
        db.close();
        TempDirs.delete(dataDir);
      }
    }
  }

  /** Session tokens under this run's prefix and the cache entries of this run's conversations. */
  private synchronized void forgetRedisKeys() {
    RedisClient client = RedisClient.create(REDIS_URL);
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      RedisCommands<String, String> r = c.sync();
      ScanCursor cursor = ScanCursor.INITIAL;
      do {
        KeyScanCursor<String> page = r.scan(cursor, ScanArgs.Builder.matches(sessionPrefix + "*").limit(1000));
        if (!page.getKeys().isEmpty()) {
          r.del(page.getKeys().toArray(String[]::new));
        }
        cursor = page;
      } while (!cursor.isFinished());
      for (int i = 0; i < conversations.size(); i += 500) {
        r.del(conversations.subList(i, Math.min(conversations.size(), i + 500)).stream()
            .flatMap(conv -> Stream.of("parley:conv:" + conv + ":recent", "parley:conv:" + conv + ":summary"))
            .toArray(String[]::new));
      }
    } finally {
      client.shutdown();
    }
  }
}

package dev.parley.app;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Configurations for nodes started by tests: free ports on 127.0.0.1, quiet logs, the given storage. */
public final class TestNodes {
  private TestNodes() {}

  /** An embedded-mode node (H2 file under {@code dataDir}). */
  public static Config embedded(Path dataDir) {
    return NodeConfig.load(base(dataDir, Map.of()));
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
    m.put("parley.cluster.port", freePort());
    m.put("parley.management.port", freePort());
    m.put("parley.db.pool-size", 4);
    m.put("pekko.loglevel", "WARNING");
    m.put("pekko.coordinated-shutdown.exit-jvm", "off");
    m.putAll(extra);
    return ConfigFactory.parseMap(m);
  }

  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}

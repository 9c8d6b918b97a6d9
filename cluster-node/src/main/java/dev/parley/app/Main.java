package dev.parley.app;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * Starts one Parley node. With no environment set it runs the embedded default (an H2 file under
 * ./data, a single-node cluster on 127.0.0.1); PARLEY_DB_URL, PARLEY_SEED_NODES and the other
 * PARLEY_* variables in the *.conf files switch to full mode and multi-node clusters. SIGTERM runs
 * CoordinatedShutdown: shards hand off, the node leaves the cluster, then the JVM exits.
 */
public final class Main {
  private Main() {}

  /** The JDK property that sizes {@link java.util.concurrent.ForkJoinPool#commonPool()}. */
  static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

  public static void main(String[] args) {
    sizeCommonPool();
    Config config = NodeConfig.load(ConfigFactory.empty(),
        ConfigFactory.parseString("pekko.coordinated-shutdown.exit-jvm = on"));
    ParleyNode node;
    try {
      node = ParleyNode.start(config);
    } catch (RuntimeException e) {
      System.err.println("Parley node failed to start: " + e.getMessage());
      System.exit(1);
      return;
    }
    NodeConfig.Database db = node.database();
    System.out.println();
    System.out.println("Parley node is up.");
    System.out.println("  client API      : " + node.httpUrl() + "/api  (REST)   "
        + node.httpUrl().replace("http://", "ws://") + "/ws  (WebSocket)");
    System.out.println("  cluster address : " + node.system().address());
    System.out.println("  health          : " + node.managementUrl() + "/ready  and  /alive");
    System.out.println("  cluster state   : " + node.managementUrl() + "/cluster/members");
    System.out.println("  storage         : " + (db.embedded()
        ? "embedded " + db.url() + "  (set PARLEY_DB_URL for PostgreSQL)"
        : db.url()));
    System.out.println("  session tokens  : " + (node.redisUrl().isEmpty()
        ? "in memory  (set PARLEY_REDIS_URL for Redis)" : node.redisUrl()));
    System.out.println("Stop with Ctrl-C (shards hand off, the node leaves the cluster).");
  }

  /**
   * Pekko's Java API completes every ask, {@code askWithStatus} and {@code pipeToSelf} through the
   * CompletionStage's default executor, {@code ForkJoinPool.commonPool()}. On a machine with fewer
   * than 3 cores the JDK sizes that pool below 2 and CompletableFuture then starts a new thread for
   * every such completion: on 2 cores that was one thread per message sent (ADR 8). Set before any
   * CompletableFuture exists; an explicit -D setting wins.
   */
  static void sizeCommonPool() {
    if (System.getProperty(COMMON_POOL_PARALLELISM) == null
        && Runtime.getRuntime().availableProcessors() - 1 < 2) {
      System.setProperty(COMMON_POOL_PARALLELISM, "2");
    }
  }
}

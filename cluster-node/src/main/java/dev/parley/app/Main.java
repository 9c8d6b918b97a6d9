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
    banner(node).forEach(System.out::println);
  }

  /**
   * What the node prints once it is up: where each port is bound (exactly as bound: 0.0.0.0 means
   * every interface), storage and session tokens. Tools parse the "client API" and "metrics" lines.
   */
  static java.util.List<String> banner(ParleyNode node) {
    NodeConfig.Database db = node.database();
    var config = node.system().settings().config();
    String http = node.httpUrl();
    String mgmt = node.managementUrl();
    boolean tokenRequired = !dev.parley.http.OperatorApi.isLoopback(config.getString("parley.management.host"));
    return java.util.List.of(
        "",
        "Parley node is up.",
        "  client API      : " + http + "/api  (REST)   " + http.replace("http://", "ws://") + "/ws  (WebSocket)"
            + (http.contains("//0.0.0.0:") ? "  on all interfaces" : ""),
        "  cluster address : " + node.system().address(),
        "  health          : " + mgmt + "/ready  and  /alive",
        "  cluster state   : " + mgmt + "/cluster/members",
        "  metrics         : " + mgmt + "/metrics  (operator port: "
            + (tokenRequired ? "every request needs Authorization: Bearer $PARLEY_ADMIN_TOKEN)" : "loopback only, no token)"),
        "  storage         : " + (db.embedded()
            ? "embedded " + db.url() + "  (set PARLEY_DB_URL for PostgreSQL)"
            : db.url()),
        "  session tokens  : " + (node.redisUrl().isEmpty()
            ? "in memory  (set PARLEY_REDIS_URL for Redis)" : node.redisUrl()),
        "Stop with Ctrl-C (shards hand off, the node leaves the cluster).");
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

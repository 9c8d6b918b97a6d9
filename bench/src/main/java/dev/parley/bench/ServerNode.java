package dev.parley.bench;

import dev.parley.app.ChildNode;
import com.zaxxer.hikari.HikariDataSource;
import dev.parley.app.PostgresDatabase;
import dev.parley.app.TestNodes;
import dev.parley.protocol.bench.BenchReport;
import java.time.Duration;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The node under load in its own JVM (so its CPU is told apart from the generator's), full mode on
 * a throw-away PostgreSQL database and the machine's Redis. Per-user and per-connection rate
 * limits are lifted: the benchmark measures the node, not its throttles. {@code PARLEY_BENCH_JFR}
 * = a file name records a JFR profile of the node for the whole run; {@code PARLEY_BENCH_NODE_OPTS}
 * adds JVM options to the node's (e.g. a different garbage collector).
 */
final class ServerNode implements AutoCloseable {
  final PostgresDatabase db;
  final ChildNode node;

  private ServerNode(PostgresDatabase db, ChildNode node) {
    this.db = db;
    this.node = node;
  }

  static ServerNode start(Map<String, String> extra) throws Exception {
    PostgresDatabase db = PostgresDatabase.create();
    try {
      Map<String, String> s = new HashMap<>();
      s.put("parley.redis.url", System.getenv().getOrDefault("PARLEY_REDIS_URL", "redis://127.0.0.1:6379"));
      s.put("parley.auth.redis-key-prefix", "parley-bench:" + UUID.randomUUID() + ":");
      s.put("parley.session.send-rate", "100000");
      s.put("parley.session.send-burst", "100000");
      s.put("parley.session.frame-rate", "100000");
      s.put("parley.session.frame-burst", "100000");
      s.put("parley.session.max-errors-per-minute", "100000");
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
      ChildNode node = ChildNode.startOn(db, Files.createTempDirectory("parley-bench-node"), s, jvm);
      return new ServerNode(db, node);
    } catch (Exception e) {
      db.close();
      throw e;
    }
  }

  String url() {
    return node.httpUrl();
  }

  /** The box, with the version of the PostgreSQL the node writes to. */
  BenchReport.Machine machine() {
    try (HikariDataSource ds = TestNodes.pool(db.database(), 1, Duration.ofSeconds(10))) {
      return Reports.machine(ds);
    }
  }

  long pid() {
    return node.pid();
  }

  @Override
  public void close() throws Exception {
    try {
      node.stop();
    } finally {
      db.close();
    }
  }
}

package dev.parley.app;

import dev.parley.testkit.NodeProcess;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A Parley node in its own JVM ({@link Main} on this test's classpath, through the testkit's
 * {@link NodeProcess}), for tests that need a real crash: {@link #kill()} sends SIGKILL, so no
 * shutdown hook, coordinated shutdown or final flush runs. Settings are passed as {@code -D} system
 * properties, which the node's config honours over its files.
 */
public final class ChildNode implements AutoCloseable {
  private final NodeProcess process;

  private ChildNode(NodeProcess process) {
    this.process = process;
  }

  /** Starts a full-mode node on {@code db} in a new JVM and waits until it serves clients. */
  public static ChildNode startOn(PostgresDatabase db, Path dataDir, Map<String, String> settings) throws Exception {
    return startOn(db, dataDir, settings, List.of("-Xmx512m"));
  }

  /** As {@link #startOn(PostgresDatabase, Path, Map)} with these JVM options (heap, GC, JFR) instead of -Xmx512m. */
  public static ChildNode startOn(PostgresDatabase db, Path dataDir, Map<String, String> settings, List<String> jvmOptions)
      throws Exception {
    return new ChildNode(NodeProcess.startOn(db.throwaway(), dataDir, settings, jvmOptions));
  }

  /** The node's operating-system process id (for CPU accounting). */
  public long pid() {
    return process.pid();
  }

  public String httpUrl() {
    return process.httpUrl();
  }

  /** The node's operator port: /metrics, /ready, /cluster/members (loopback, no token). */
  public String managementUrl() {
    return process.managementUrl();
  }

  /** SIGKILL: the JVM dies at once, with whatever it held in memory. */
  public void kill() throws InterruptedException {
    process.kill();
  }

  /** SIGTERM: the node shuts down as in production (coordinated shutdown, final flush); SIGKILL after 30 s. */
  public void stop() throws InterruptedException {
    process.stop();
  }

  /** What the node printed (stdout and stderr), for failure messages. */
  public List<String> output() {
    return process.output();
  }

  @Override
  public void close() throws InterruptedException {
    process.close();
  }
}

package dev.parley.app;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Parley node in its own JVM ({@link Main} on this test's classpath), for tests that need a real
 * crash: {@link #kill()} sends SIGKILL, so no shutdown hook, coordinated shutdown or final flush runs.
 * Settings are passed as {@code -D} system properties, which the node's config honours over its files.
 */
public final class ChildNode implements AutoCloseable {
  private static final Pattern API = Pattern.compile("client API\\s*:\\s*(http://\\S+)/api");

  private final Process process;
  private final String httpUrl;
  private final List<String> output = java.util.Collections.synchronizedList(new ArrayList<>());

  private ChildNode(Process process, Duration startTimeout) throws Exception {
    this.process = process;
    CompletableFuture<String> url = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          output.add(line);
          Matcher m = API.matcher(line);
          if (m.find()) {
            url.complete(m.group(1));
          }
        }
      } catch (IOException ignored) {
        // the process died; its output ends here
      }
      url.completeExceptionally(new IllegalStateException("node exited before it was up: " + output));
    }, "child-node-output");
    reader.setDaemon(true);
    reader.start();
    try {
      this.httpUrl = url.get(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      process.destroyForcibly();
      throw new IllegalStateException("child node did not start: " + output, e);
    }
  }

  /** Starts a full-mode node on {@code db} in a new JVM and waits until it serves clients. */
  public static ChildNode startOn(PostgresDatabase db, Path dataDir, Map<String, String> settings) throws Exception {
    return startOn(db, dataDir, settings, List.of("-Xmx512m"));
  }

  /** As {@link #startOn(PostgresDatabase, Path, Map)} with these JVM options (heap, GC, JFR) instead of -Xmx512m. */
  public static ChildNode startOn(PostgresDatabase db, Path dataDir, Map<String, String> settings, List<String> jvmOptions)
      throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse(
        Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    Map<String, String> all = new java.util.HashMap<>(Map.of(
        "parley.db.url", db.url(),
        "parley.db.user", db.user(),
        "parley.data-dir", dataDir.toString(),
        "parley.cluster.port", "0",
        "parley.management.port", String.valueOf(TestNodes.freePort()),
        "parley.http.host", "127.0.0.1",
        "parley.http.port", "0",
        "parley.auth.bcrypt-cost", "4",
        "pekko.loglevel", "WARNING"));
    all.putAll(settings);
    all.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
    cmd.add(Main.class.getName());
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    return new ChildNode(p, Duration.ofSeconds(60));
  }

  /** The node's operating-system process id (for CPU accounting). */
  public long pid() {
    return process.pid();
  }

  public String httpUrl() {
    return httpUrl;
  }

  /** SIGKILL: the JVM dies at once, with whatever it held in memory. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("child node did not die");
    }
  }

  /** SIGTERM: the node shuts down as in production (coordinated shutdown, final flush); SIGKILL after 30 s. */
  public void stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      kill();
    }
  }

  /** What the node printed (stdout and stderr), for failure messages. */
  public List<String> output() {
    return List.copyOf(output);
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}

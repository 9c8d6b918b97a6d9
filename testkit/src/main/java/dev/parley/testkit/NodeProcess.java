package dev.parley.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Parley node in its own JVM: {@value #MAIN_CLASS}, named by class so that this module needs none
 * of the server's code, started from a given classpath (or this JVM's) with its settings as
 * {@code -D} system properties, which the node's config honours over its files. Up once it prints its
 * "client API" and "metrics" lines (the client port, and the operator port that serves health,
 * cluster state and metrics). {@link #stop()} is SIGTERM (coordinated shutdown, final flush), {@link #kill()}
 * SIGKILL (a real crash: no shutdown hook runs), {@link #pause()} and {@link #resume()} SIGSTOP and
 * SIGCONT (a frozen process whose sockets stay open, as in a long GC pause).
 */
public final class NodeProcess implements AutoCloseable {
  public static final String MAIN_CLASS = "dev.parley.app.Main";
  private static final Pattern API = Pattern.compile("client API\\s*:\\s*(http://\\S+)/api");
  private static final Pattern METRICS = Pattern.compile("metrics\\s*:\\s*(http://\\S+)/metrics");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final Process process;
  private final String httpUrl;
  private final String managementUrl;
  private final List<String> output = Collections.synchronizedList(new ArrayList<>());

  private NodeProcess(Process process, Duration startTimeout) {
    this.process = process;
    CompletableFuture<String> url = new CompletableFuture<>();
    CompletableFuture<String> management = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          output.add(line);
          Matcher m = API.matcher(line);
          if (m.find()) {
            url.complete(m.group(1));
          }
          Matcher mm = METRICS.matcher(line);
          if (mm.find()) {
            management.complete(mm.group(1));
          }
        }
      } catch (IOException ignored) {
        // the process died; its output ends here
      }
      url.completeExceptionally(new IllegalStateException("node exited before it was up: " + output));
      management.completeExceptionally(new IllegalStateException("node exited before it was up: " + output));
    }, "node-process-output");
    reader.setDaemon(true);
    reader.start();
    try {
      this.httpUrl = url.get(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
      this.managementUrl = management.get(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      process.destroyForcibly();
      throw new IllegalStateException("node process did not start: " + output, e);
    }
  }

  /**
   * Settings that lift a node's per-user and per-connection throttles (send and frame rates, the
   * error budget) and the password pool's per-address cap and queue bound: for load generators and
   * fault scenarios that drive a node from one address with many users, measuring the node rather
   * than its throttles. Never for a node that serves real clients.
   */
  public static Map<String, String> liftedLimits() {
    return Map.of(
        "parley.session.send-rate", "100000",
        "parley.session.send-burst", "100000",
        "parley.session.frame-rate", "100000",
        "parley.session.frame-burst", "100000",
        "parley.session.max-errors-per-minute", "100000",
        "parley.auth.password-pool.per-address", "0",
        "parley.auth.password-pool.queue", "100000");
  }

  /**
   * The settings of a full-mode node on {@code db}, its files under {@code dataDir}, on ephemeral ports
   * of 127.0.0.1, with quiet logs and passwords hashed at bcrypt cost 4 (logins are never what is tested).
   */
  public static Map<String, String> fullMode(TestDatabase db, Path dataDir) {
    Map<String, String> s = new HashMap<>();
    s.put("parley.db.url", db.url());
    s.put("parley.db.user", db.user());
    s.put("parley.data-dir", dataDir.toString());
    s.put("parley.cluster.port", "0");
    s.put("parley.management.port", String.valueOf(FreePort.pick()));
    s.put("parley.http.host", "127.0.0.1");
    s.put("parley.http.port", "0");
    s.put("parley.auth.bcrypt-cost", "4");
    s.put("pekko.loglevel", "WARNING");
    return s;
  }

  /** A full-mode node ({@link #fullMode}, with {@code settings} on top) from this JVM's classpath. */
  public static NodeProcess startOn(TestDatabase db, Path dataDir, Map<String, String> settings, List<String> jvmOptions)
      throws IOException {
    Map<String, String> all = fullMode(db, dataDir);
    all.putAll(settings);
    return start(System.getProperty("java.class.path"), jvmOptions, all);
  }

  /** Starts {@value #MAIN_CLASS} from {@code classpath} and waits (up to a minute) until it serves clients. */
  public static NodeProcess start(String classpath, List<String> jvmOptions, Map<String, String> settings)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse(
        Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(classpath);
    settings.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
    cmd.add(MAIN_CLASS);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    return new NodeProcess(p, START_TIMEOUT);
  }

  /** The node's operating-system process id (for CPU accounting). */
  public long pid() {
    return process.pid();
  }

  /** Whether the process is still running (paused counts as running). */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** Where its client API listens, e.g. {@code http://127.0.0.1:41234} (REST under /api, WebSocket at /ws). */
  public String httpUrl() {
    return httpUrl;
  }

  /**
   * Where its operator port listens, e.g. {@code http://127.0.0.1:41235}: {@code /metrics}
   * (Prometheus text), {@code /ready}, {@code /cluster/members}. Loopback, so no token is needed.
   */
  public String managementUrl() {
    return managementUrl;
  }

  /** SIGKILL: the JVM dies at once, with whatever it held in memory. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("node process did not die");
    }
  }

  /** SIGTERM: the node shuts down as in production (coordinated shutdown, final flush); SIGKILL after 30 s. */
  public void stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      kill();
    }
  }

  /** SIGSTOP: the JVM stops where it is, its sockets open and unanswered, until {@link #resume()}. */
  public void pause() throws IOException, InterruptedException {
    signal("STOP");
  }

  /** SIGCONT: a {@linkplain #pause() paused} JVM runs on; its timers that fell due meanwhile fire at once. */
  public void resume() throws IOException, InterruptedException {
    signal("CONT");
  }

  /** Sends {@code kill -<name>} to this process only (by its pid). */
  private void signal(String name) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).redirectErrorStream(true).start();
    String said = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (kill.waitFor() != 0) {
      throw new IllegalStateException("kill -" + name + " " + process.pid() + ": " + said);
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

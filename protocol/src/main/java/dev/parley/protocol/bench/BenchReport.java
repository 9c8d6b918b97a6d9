package dev.parley.protocol.bench;

import dev.parley.protocol.Fields;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One benchmark run as the {@code bench} module writes it (JSON, {@code ProtocolCodec}) and the
 * monitor plots it. A scenario's figures are {@link Measurement}s; what the project aims at is in
 * {@link TargetCheck}s, reported and never asserted. Readers ignore fields they do not know, so a
 * newer bench may add fields; a change of meaning bumps {@link #SCHEMA}.
 *
 * @param schema     {@link #SCHEMA} when written
 * @param scenario   e.g. {@code seed-table}, {@code send-deliver}, {@code throughput}
 * @param title      one line saying what was measured
 * @param startedAt  when the run started
 * @param seconds    wall time of the whole scenario
 * @param machine    where it ran
 * @param parameters what the scenario was asked to do (sizes, rates, durations), as strings
 * @param results    every figure, one row per (series, labels)
 * @param targets    the project's targets against the measured figures
 */
public record BenchReport(int schema, String scenario, String title, Instant startedAt, double seconds,
    Machine machine, Map<String, String> parameters, List<Measurement> results, List<TargetCheck> targets) {
  public static final int SCHEMA = 1;

  public BenchReport {
    Fields.require(scenario, "scenario", "benchReport");
    Fields.require(startedAt, "startedAt", "benchReport");
    Fields.require(machine, "machine", "benchReport");
    parameters = ordered(parameters);
    results = Fields.list(results, "results", "benchReport");
    targets = targets == null ? List.of() : List.copyOf(targets);
  }

  /** An unmodifiable copy keeping the writer's order (tables list columns in it); null becomes empty. */
  private static <V> Map<String, V> ordered(Map<String, V> m) {
    return m == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(m));
  }

  /**
   * The box: everything (node, PostgreSQL, Redis, generator) shares it unless said otherwise.
   *
   * @param cores       available processors
   * @param memoryBytes physical memory
   */
  public record Machine(String host, int cores, long memoryBytes, String os, String jvm, String postgres) {
    /** The box this JVM runs on, with the given PostgreSQL version (null: not asked). */
    public static Machine here(String postgres) {
      String host;
      try {
        host = java.net.InetAddress.getLocalHost().getHostName();
      } catch (java.io.IOException e) {
        host = "unknown";
      }
      long memory = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
          .getOperatingSystemMXBean()).getTotalMemorySize();
      return new Machine(host, Runtime.getRuntime().availableProcessors(), memory,
          System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
          System.getProperty("java.vm.name") + " " + System.getProperty("java.version"), postgres);
    }
  }

  /**
   * One row of figures.
   *
   * @param series  what is measured, e.g. {@code load 50 messages}, {@code send→deliver}
   * @param labels  what distinguishes rows of a series, e.g. {@code column=seed, with indexes},
   *                {@code rate=800}, {@code recipient=last}
   * @param samples operations measured (after warm-up)
   * @param values  named figures: latencies in ms ({@code p50Ms}, {@code p90Ms}, {@code p99Ms},
   *                {@code p999Ms}, {@code maxMs}), rates per second ({@code offeredPerSec},
   *                {@code achievedPerSec}), counts ({@code errors}), CPU in cores ({@code cpuNode}, ...)
   */
  public record Measurement(String series, Map<String, String> labels, long samples, Map<String, Double> values) {
    public Measurement {
      Fields.require(series, "series", "measurement");
      labels = ordered(labels);
      values = ordered(values);
    }
  }

  /**
   * A target the project set (README "Benchmarks"), e.g. "history p50 ≤ 0.5 ms", against its measured figure.
   *
   * @param met null when the figure could not be measured in this run
   */
  public record TargetCheck(String target, String measured, Boolean met) {
    public TargetCheck {
      Fields.require(target, "target", "targetCheck");
    }
  }
}

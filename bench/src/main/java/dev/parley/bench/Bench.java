package dev.parley.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Benchmark scenarios, each run several times on a fresh PostgreSQL database; prints every run and
 * the medians as a Markdown table. Figures, never pass/fail: see README "Benchmarks".
 *
 * <pre>
 * receipts-writer  [--members 100] [--seconds 15] [--runs 3]   receipt writer alone, rows/s into SQL
 * receipts-node    [--members 100] [--seconds 15] [--runs 3]   MarkRead asks on a node, marks/s and rows/s
 * projection-lag   [--rates 200,500,1000,2000] [--seconds 20] [--runs 3]   ack to row in SQL
 * seed-table       [--size full|smoke]   the seed's table (no indexes / indexes / Redis cache) beside Parley's API
 * send-deliver     [--members 2|100] [--conversations N] [--rates a,b,c] [--step-seconds 15] [--slo-ms 15]
 *                  open-loop send→ack and send→deliver latency per rate step; knee; half-knee run
 * throughput       [--receipts on|off] [--conversations 1000] [--in-flight 256] [--seconds 30]
 *                  durable messages/s one node accepts; with receipts, receipts/s absorbed and rows/s flushed
 * </pre>
 * Scenarios that produce a {@link dev.parley.protocol.bench.BenchReport} also write it as JSON to
 * {@code --out} (default {@code results/}).
 * {@code --members} up to 50 makes SMALL_GROUP conversations (per-message rows), above that LARGE_GROUP.
 */
public final class Bench {
  private Bench() {}

  @FunctionalInterface
  private interface Scenario {
    Map<String, Double> run() throws Exception;
  }

  public static void main(String[] args) throws Exception {
    String what = args.length == 0 ? "help" : args[0];
    Map<String, String> opts = options(Arrays.copyOfRange(args, Math.min(1, args.length), args.length));
    int runs = Integer.parseInt(opts.getOrDefault("runs", "3"));
    switch (what) {
      case "receipts-writer" -> {
        int members = Integer.parseInt(opts.getOrDefault("members", "100"));
        int seconds = Integer.parseInt(opts.getOrDefault("seconds", "15"));
        report("receipt writer alone, " + members + "-member batches, " + seconds + " s", runs,
            () -> ReceiptThroughput.writer(members, seconds));
      }
      case "receipts-node" -> {
        int members = Integer.parseInt(opts.getOrDefault("members", "100"));
        int seconds = Integer.parseInt(opts.getOrDefault("seconds", "15"));
        report("MarkRead on a node, 100 conversations of " + members + " members, " + seconds + " s", runs,
            () -> ReceiptThroughput.node(members, seconds));
      }
      case "projection-lag" -> {
        int seconds = Integer.parseInt(opts.getOrDefault("seconds", "20"));
        for (String r : opts.getOrDefault("rates", "200,500,1000,2000").split(",")) {
          int rate = Integer.parseInt(r.trim());
          report("projection lag at " + rate + " messages/s over 50 conversations, " + seconds + " s", runs,
              () -> ProjectionLag.run(rate, seconds));
        }
      }
      case "seed-table" -> Reports.publish(SeedTable.run("smoke".equals(opts.get("size"))
          ? SeedTable.Sizes.smoke() : SeedTable.Sizes.full()), out(opts));
      case "send-deliver" -> {
        int members = Integer.parseInt(opts.getOrDefault("members", "2"));
        SendDeliver.Options d = SendDeliver.Options.full(members);
        SendDeliver.Options o = new SendDeliver.Options(members,
            Integer.parseInt(opts.getOrDefault("conversations", String.valueOf(d.conversations()))),
            opts.containsKey("rates") ? ints(opts.get("rates")) : d.rates(),
            Integer.parseInt(opts.getOrDefault("jit-warmup-seconds", String.valueOf(d.jitWarmupSeconds()))),
            Integer.parseInt(opts.getOrDefault("warmup-seconds", String.valueOf(d.warmupSeconds()))),
            Integer.parseInt(opts.getOrDefault("step-seconds", String.valueOf(d.stepSeconds()))),
            Double.parseDouble(opts.getOrDefault("slo-ms", String.valueOf(d.sloP99Ms()))),
            !"fixed".equals(opts.get("schedule")));
        Reports.publish(SendDeliver.run(o), out(opts));
      }
      case "throughput" -> {
        boolean receipts = !"off".equals(opts.get("receipts"));
        Throughput.Options d = Throughput.Options.full(receipts);
        Reports.publish(Throughput.run(new Throughput.Options(
            Integer.parseInt(opts.getOrDefault("conversations", String.valueOf(d.conversations()))),
            Integer.parseInt(opts.getOrDefault("in-flight", String.valueOf(d.inFlight()))),
            Integer.parseInt(opts.getOrDefault("warmup-seconds", String.valueOf(d.warmupSeconds()))),
            Integer.parseInt(opts.getOrDefault("seconds", String.valueOf(d.seconds()))), receipts)), out(opts));
      }
      default -> {
        System.out.println("usage: Bench receipts-writer|receipts-node|projection-lag|send-deliver [--members N] "
            + "[--seconds N] [--runs N] [--rates a,b,c] [--out dir]  (see Bench's javadoc and README \"Benchmarks\")");
        if (!what.equals("help")) {
          System.exit(2);
        }
      }
    }
    System.exit(0);
  }

  private static void report(String title, int runs, Scenario scenario) throws Exception {
    List<Map<String, Double>> results = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      results.add(scenario.run());
    }
    List<String> columns = new ArrayList<>(results.get(0).keySet());
    StringBuilder out = new StringBuilder("\n### ").append(title).append("\n\n| run |");
    columns.forEach(c -> out.append(' ').append(c).append(" |"));
    out.append("\n|---|").append("---:|".repeat(columns.size())).append('\n');
    for (int i = 0; i < results.size(); i++) {
      out.append("| ").append(i + 1).append(" |");
      for (String c : columns) {
        out.append(' ').append(Reports.format(results.get(i).get(c))).append(" |");
      }
      out.append('\n');
    }
    out.append("| **median** |");
    for (String c : columns) {
      double median = median(results.stream().mapToDouble(r -> r.get(c)).toArray());
      out.append(" **").append(Reports.format(median)).append("** |");
    }
    System.out.println(out.append('\n'));
  }

  static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static java.nio.file.Path out(Map<String, String> opts) {
    return java.nio.file.Path.of(opts.getOrDefault("out", "results"));
  }

  private static List<Integer> ints(String csv) {
    return Arrays.stream(csv.split(",")).map(String::trim).map(Integer::valueOf).toList();
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> opts = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("expected --option value, got " + args[i]);
      }
      opts.put(args[i].substring(2), args[i + 1]);
    }
    return opts;
  }
}

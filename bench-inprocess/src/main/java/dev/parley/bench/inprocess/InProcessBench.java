package dev.parley.bench.inprocess;

import dev.parley.bench.Reports;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The scenarios that must run inside a node (they drive its receipt writer, its conversation
 * entities and its projection directly), each run several times on a fresh PostgreSQL database;
 * prints every run and the medians as a Markdown table. Figures, never pass/fail: see README
 * "Benchmarks". Everything that can be measured through the public API lives in {@code bench}.
 *
 * <pre>
 * receipts-writer  [--members 100] [--seconds 15] [--runs 3]   receipt writer alone, rows/s into SQL
 * receipts-node    [--members 100] [--seconds 15] [--runs 3]   MarkRead asks on a node, marks/s and rows/s
 * projection-lag   [--rates 200,500,1000,2000] [--seconds 20] [--runs 3]   ack to row in SQL
 * </pre>
 * {@code --members} up to 50 makes SMALL_GROUP conversations (per-message rows), above that LARGE_GROUP.
 */
@Command(name = "bench-inprocess", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,
    description = "In-process benchmarks of one node's internals (docs/benchmarks.md).",
    subcommands = CommandLine.HelpCommand.class)
public final class InProcessBench {
  private static final String MEMBERS = "members per conversation (≤ 50: per-message rows)";

  /** One run of a scenario: a figure per column name. */
  @FunctionalInterface
  interface Scenario {
    Map<String, Double> run() throws Exception;
  }

  @Option(names = "--runs", defaultValue = "3", scope = CommandLine.ScopeType.INHERIT,
      description = "runs, each on a fresh database; the table shows each and the median")
  int runs;

  public static void main(String[] args) {
    System.exit(new CommandLine(new InProcessBench()).execute(args.length == 0 ? new String[] {"help"} : args));
  }

  @Command(name = "receipts-writer", description = "The receipt writer alone, fed entity-shaped batches: rows/s.")
  void receiptsWriter(@Option(names = "--members", defaultValue = "100", description = MEMBERS) int members,
      @Option(names = "--seconds", defaultValue = "15") int seconds) throws Exception {
    print("receipt writer alone, " + members + "-member batches, " + seconds + " s",
        () -> ReceiptThroughput.writer(members, seconds));
  }

  @Command(name = "receipts-node", description = "MarkRead asks on a node, 100 conversations: marks/s and rows/s.")
  void receiptsNode(@Option(names = "--members", defaultValue = "100", description = MEMBERS) int members,
      @Option(names = "--seconds", defaultValue = "15") int seconds) throws Exception {
    print("MarkRead on a node, 100 conversations of " + members + " members, " + seconds + " s",
        () -> ReceiptThroughput.node(members, seconds));
  }

  @Command(name = "projection-lag", description = "Ack to row in SQL: how far the read model trails the journal.")
  void projectionLag(@Option(names = "--rates", defaultValue = "200,500,1000,2000", split = ",") List<Integer> rates,
      @Option(names = "--seconds", defaultValue = "20") int seconds) throws Exception {
    for (int rate : rates) {
      print("projection lag at " + rate + " messages/s over 50 conversations, " + seconds + " s",
          () -> ProjectionLag.run(rate, seconds));
    }
  }

  /** Runs {@code scenario} {@code --runs} times and prints the table. */
  private void print(String title, Scenario scenario) throws Exception {
    List<Map<String, Double>> results = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      results.add(scenario.run());
    }
    System.out.println(table(title, results));
  }

  /** A Markdown table: a row per run, a column per figure, and the medians. */
  static String table(String title, List<Map<String, Double>> results) {
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
    return out.append('\n').toString();
  }

  static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}

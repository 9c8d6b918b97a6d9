package dev.parley.bench.inprocess;

import dev.parley.bench.Reports;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The scenarios that must run inside a node (they drive its receipt writer, its conversation
 * entities and its projection directly), each run several times on a fresh PostgreSQL database;
 * prints every run and the medians as a Markdown table. Figures, never pass/fail: see README
 * "Benchmarks". Everything that can be measured through the public API lives in {@code bench}.
 */
@Command(name = "bench-inprocess", mixinStandardHelpOptions = true,
    description = "In-process benchmarks of one node's internals (docs/benchmarks.md).",
    subcommands = {CommandLine.HelpCommand.class, InProcessBench.ReceiptsWriter.class,
        InProcessBench.ReceiptsNode.class, InProcessBench.ProjectionLagCommand.class})
public final class InProcessBench {
  /** One scenario's result: a figure per column name. */
  @FunctionalInterface
  public interface Scenario {
    Map<String, Double> run() throws Exception;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new InProcessBench()).execute(args.length == 0 ? new String[] {"help"} : args));
  }

  @Command(name = "receipts-writer", mixinStandardHelpOptions = true,
      description = "The receipt writer alone, fed entity-shaped batches: rows/s into SQL.")
  static final class ReceiptsWriter implements Callable<Integer> {
    @Option(names = "--members", defaultValue = "100", description = "members per batch (≤ 50: per-message rows)")
    int members;
    @Option(names = "--seconds", defaultValue = "15", description = "measured seconds per run")
    int seconds;
    @Option(names = "--runs", defaultValue = "3", description = "runs (the table shows each and the median)")
    int runs;

    @Override
    public Integer call() throws Exception {
      System.out.println(table("receipt writer alone, " + members + "-member batches, " + seconds + " s",
          repeat(runs, () -> ReceiptThroughput.writer(members, seconds))));
      return 0;
    }
  }

  @Command(name = "receipts-node", mixinStandardHelpOptions = true,
      description = "MarkRead asks on an in-process node, 100 conversations: marks/s and rows/s.")
  static final class ReceiptsNode implements Callable<Integer> {
    @Option(names = "--members", defaultValue = "100", description = "members per conversation")
    int members;
    @Option(names = "--seconds", defaultValue = "15", description = "measured seconds per run")
    int seconds;
    @Option(names = "--runs", defaultValue = "3", description = "runs (the table shows each and the median)")
    int runs;

    @Override
    public Integer call() throws Exception {
      System.out.println(table("MarkRead on a node, 100 conversations of " + members + " members, " + seconds + " s",
          repeat(runs, () -> ReceiptThroughput.node(members, seconds))));
      return 0;
    }
  }

  @Command(name = "projection-lag", mixinStandardHelpOptions = true,
      description = "Ack to row in SQL: how far the read model trails the journal, per offered rate.")
  static final class ProjectionLagCommand implements Callable<Integer> {
    @Option(names = "--rates", defaultValue = "200,500,1000,2000", split = ",", description = "messages/s, one table each")
    List<Integer> rates;
    @Option(names = "--seconds", defaultValue = "20", description = "sending seconds per run")
    int seconds;
    @Option(names = "--runs", defaultValue = "3", description = "runs (the table shows each and the median)")
    int runs;

    @Override
    public Integer call() throws Exception {
      for (int rate : rates) {
        System.out.println(table("projection lag at " + rate + " messages/s over 50 conversations, " + seconds + " s",
            repeat(runs, () -> ProjectionLag.run(rate, seconds))));
      }
      return 0;
    }
  }

  static List<Map<String, Double>> repeat(int runs, Scenario scenario) throws Exception {
    List<Map<String, Double>> results = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      results.add(scenario.run());
    }
    return results;
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

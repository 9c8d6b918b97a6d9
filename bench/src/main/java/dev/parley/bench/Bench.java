package dev.parley.bench;

import dev.parley.protocol.bench.BenchReport;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The benchmark scenarios that drive a node through its public API, the node in its own JVM on a
 * fresh PostgreSQL database; each prints Markdown tables and writes its
 * {@link dev.parley.protocol.bench.BenchReport} as JSON to {@code --out} (default {@code results/}).
 * Figures, never pass/fail: see README "Benchmarks". The scenarios that must run inside a node
 * (receipts-writer, receipts-node, projection-lag) are in the bench-inprocess module.
 *
 * <pre>
 * seed-table       [--size full|smoke]   the seed's table (no indexes / indexes / Redis cache) beside Parley's API
 * send-deliver     [--members 2|100] [--conversations N] [--rates a,b,c] [--step-seconds 15] [--slo-ms 15]
 *                  open-loop send→ack and send→deliver latency per rate step; knee; half-knee run
 * throughput       [--receipts on|off] [--conversations 1000] [--in-flight 256] [--seconds 30]
 *                  durable messages/s one node accepts; with receipts, receipts/s absorbed and rows/s flushed
 * </pre>
 * {@code --members} up to 50 makes SMALL_GROUP conversations (per-message rows), above that LARGE_GROUP.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,
    description = {"Benchmarks of a Parley node through its public API (docs/benchmarks.md).",
        "In-process scenarios (receipts-writer, receipts-node, projection-lag): module bench-inprocess."},
    subcommands = {CommandLine.HelpCommand.class, Bench.SeedTableCommand.class, Bench.SendDeliverCommand.class,
        Bench.ThroughputCommand.class})
public final class Bench {
  private Bench() {}

  public static void main(String[] args) {
    System.exit(new CommandLine(new Bench()).execute(args.length == 0 ? new String[] {"help"} : args));
  }

  /** A scenario that writes a report: prints it as Markdown and writes its JSON under {@code --out}. */
  abstract static class Reporting implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "results", description = "JSON report directory (default: ${DEFAULT-VALUE})")
    Path out;

    abstract BenchReport report() throws Exception;

    @Override
    public Integer call() throws Exception {
      Reports.publish(report(), out);
      return 0;
    }
  }

  @Command(name = "seed-table", description = "The seed's table (no indexes / indexes / cache) beside Parley's API.")
  static final class SeedTableCommand extends Reporting {
    @Option(names = "--size", defaultValue = "full", description = "full or smoke") String size;

    @Override
    BenchReport report() throws Exception {
      return SeedTable.run("smoke".equals(size) ? SeedTable.Sizes.smoke() : SeedTable.Sizes.full());
    }
  }

  @Command(name = "send-deliver", description = "Open-loop send→ack, send→deliver latency per rate step; knee.")
  static final class SendDeliverCommand extends Reporting {
    @Option(names = "--members", defaultValue = "2", description = "members per conversation") int members;
    @Option(names = "--conversations", description = "default: 500 (2 members), else 10") Integer conversations;
    @Option(names = "--rates", split = ",", description = "offered msgs/s per step, a,b,c") List<Integer> rates;
    @Option(names = "--jit-warmup-seconds") Integer jitWarmupSeconds;
    @Option(names = "--warmup-seconds") Integer warmupSeconds;
    @Option(names = "--step-seconds", description = "default: 15") Integer stepSeconds;
    @Option(names = "--slo-ms", description = "p99 SLO; default: 15 (2 members), else 25") Double sloMs;
    @Option(names = "--schedule", defaultValue = "poisson", description = "poisson or fixed") String schedule;

    @Override
    BenchReport report() throws Exception {
      SendDeliver.Options d = SendDeliver.Options.full(members);
      return SendDeliver.run(new SendDeliver.Options(members,
          conversations != null ? conversations : d.conversations(),
          rates != null ? rates : d.rates(),
          jitWarmupSeconds != null ? jitWarmupSeconds : d.jitWarmupSeconds(),
          warmupSeconds != null ? warmupSeconds : d.warmupSeconds(),
          stepSeconds != null ? stepSeconds : d.stepSeconds(),
          sloMs != null ? sloMs : d.sloP99Ms(),
          !"fixed".equals(schedule)));
    }
  }

  @Command(name = "throughput", description = "Durable msgs/s one node accepts (+ receipts/s, rows/s flushed).")
  static final class ThroughputCommand extends Reporting {
    @Option(names = "--receipts", defaultValue = "on", description = "on or off") String receipts;
    @Option(names = "--conversations", description = "2-member conversations (default: 1000)") Integer conversations;
    @Option(names = "--in-flight", description = "sends in flight (default: 256)") Integer inFlight;
    @Option(names = "--warmup-seconds", description = "default: 10") Integer warmupSeconds;
    @Option(names = "--seconds", description = "measured seconds (default: 30)") Integer seconds;

    @Override
    BenchReport report() throws Exception {
      boolean on = !"off".equals(receipts);
      Throughput.Options d = Throughput.Options.full(on);
      return Throughput.run(new Throughput.Options(
          conversations != null ? conversations : d.conversations(),
          inFlight != null ? inFlight : d.inFlight(),
          warmupSeconds != null ? warmupSeconds : d.warmupSeconds(),
          seconds != null ? seconds : d.seconds(), on));
    }
  }
}

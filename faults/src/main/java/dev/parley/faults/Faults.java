package dev.parley.faults;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The fault suite (docs/reliability.md): each scenario breaks a real node in its own JVM on a fresh
 * PostgreSQL database and the local Redis, through the public API, and reports what was done, what was
 * expected and what was measured: a Markdown table on stdout and a {@code BenchReport} JSON under
 * {@code --out}. {@code --size quick} runs the seconds-long versions the tests run (FaultSuiteTest).
 *
 * <pre>
 * kill | postgres-cut | redis-cut | pause | slow-consumer | reconnect-storm | recovery | fixtures | all
 *   [--size full|quick] [--out results] [--count N]   (N: the scenario's clients, messages or conversations)
 * </pre>
 * The process exits 0 once the table is written, whether or not every expectation held (the table says
 * which did not), and 1 when a scenario could not run.
 */
@Command(name = "faults", mixinStandardHelpOptions = true,
    description = {"Fault scenarios against a real Parley node (docs/reliability.md)."},
    subcommands = CommandLine.HelpCommand.class)
public final class Faults {
  /** A scenario's run at full or quick size; {@code count} (null: the size's) overrides its main number. */
  @FunctionalInterface
  interface Run {
    Findings run(boolean full, Integer count) throws Exception;
  }

  /** A scenario as the command line names it. */
  record Scenario(String name, String description, Run run) {}

  static final List<Scenario> SCENARIOS = List.of(
      new Scenario("kill", "kill -9 under load: acked lost, duplicates, time to resume (count: clients)",
          (full, n) -> KillUnderLoad.run(clients(full ? KillUnderLoad.FULL : KillUnderLoad.QUICK, n))),
      new Scenario("postgres-cut", "PostgreSQL cut mid-persist and mid-flush (count: clients)",
          (full, n) -> PostgresCut.run(clients(full ? PostgresCut.FULL : PostgresCut.QUICK, n))),
      new Scenario("redis-cut", "Redis cut: client-visible errors, sends still acked (count: clients)",
          (full, n) -> RedisCut.run(clients(full ? RedisCut.FULL : RedisCut.QUICK, n))),
      new Scenario("pause", "SIGSTOP past the failure detector, SIGCONT: does the node serve again (count: clients)",
          (full, n) -> PausedNode.run(clients(full ? PausedNode.FULL : PausedNode.QUICK, n))),
      new Scenario("slow-consumer", "a socket that stops reading gets 4008, others are unaffected (count: messages)",
          (full, n) -> {
            SlowConsumer.Size s = full ? SlowConsumer.FULL : SlowConsumer.QUICK;
            return SlowConsumer.run(n == null ? s : s.withMessages(n));
          }),
      new Scenario("reconnect-storm", "every client dropped at once reconnects and resumes (count: sockets)",
          (full, n) -> ReconnectStorm.run(n != null ? n : full ? ReconnectStorm.FULL : ReconnectStorm.QUICK)),
      new Scenario("recovery", "conversations, full restart, time until all answer (count: conversations)",
          (full, n) -> {
            Recovery.Size s = full ? Recovery.FULL : Recovery.QUICK;
            return Recovery.run(n == null ? s : s.withConversations(n));
          }),
      new Scenario("fixtures", "where old event fixtures are checked (cluster-node SerializationTest)",
          (full, n) -> fixtures()));

  private Faults() {}

  public static void main(String[] args) {
    CommandLine cl = new CommandLine(new Faults());
    for (Scenario s : SCENARIOS) {
      cl.addSubcommand(s.name(), command(new ScenarioCommand(List.of(s)), s.description()));
    }
    cl.addSubcommand("all", command(new ScenarioCommand(SCENARIOS), "every scenario, one after the other, one table"));
    System.exit(cl.execute(args.length == 0 ? new String[] {"help"} : args));
  }

  private static CommandLine command(ScenarioCommand c, String description) {
    CommandLine cl = new CommandLine(c);
    cl.getCommandSpec().usageMessage().description(description);
    return cl;
  }

  private static Timeline clients(Timeline t, Integer n) {
    return n == null ? t : t.withClients(n);
  }

  /** The row for old event fixtures: a unit test in cluster-node, not a process-level fault. */
  static Findings fixtures() {
    return new Findings("old event fixtures", "journal events and snapshots written by earlier versions (Base64 "
        + "bytes in the test) deserialized by today's code")
        .report("every stored fixture still deserializes to the same event / state",
            "checked by cluster-node SerializationTest (journalBytesWrittenBeforeTheSplitStillDeserialize, "
                + "snapshotsWrittenBeforeTheSplitStillDeserialize) in the test command; not repeated here");
  }

  /** Runs scenarios in order, printing each one's table as it finishes, then publishes them all. */
  @Command(mixinStandardHelpOptions = true)
  static final class ScenarioCommand implements Callable<Integer> {
    private final List<Scenario> scenarios;
    @Option(names = "--size", defaultValue = "full", description = "full or quick (the tests' sizes)")
    String size;
    @Option(names = "--out", defaultValue = "results", description = "JSON report directory (default: ${DEFAULT-VALUE})")
    Path out;
    @Option(names = "--count", description = "the scenario's clients, messages or conversations (default: its size's)")
    Integer count;

    ScenarioCommand(List<Scenario> scenarios) {
      this.scenarios = scenarios;
    }

    @Override
    public Integer call() throws Exception {
      boolean full = !"quick".equals(size);
      Instant startedAt = Instant.now();
      long t0 = System.nanoTime();
      List<Findings> all = new ArrayList<>();
      for (Scenario s : scenarios) {
        Findings f = s.run().run(full, scenarios.size() == 1 ? count : null);
        if (scenarios.size() > 1) {
          System.out.println(FaultReport.markdown(List.of(f))); // progress: the whole table follows at the end
        }
        all.add(f);
      }
      Map<String, String> parameters = new LinkedHashMap<>();
      parameters.put("size", full ? "full" : "quick");
      if (count != null && scenarios.size() == 1) {
        parameters.put("count", count.toString());
      }
      FaultReport.publish(FaultReport.of(all, startedAt, (System.nanoTime() - t0) / 1e9, parameters), all, out);
      return 0;
    }
  }
}

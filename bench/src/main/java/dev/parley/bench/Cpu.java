package dev.parley.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongPredicate;
import java.util.stream.Stream;

/**
 * CPU time of the processes that share the box during a run, from {@code /proc/<pid>/stat}
 * (user + system ticks; Linux only, elsewhere every figure is NaN). Reported in cores: CPU seconds
 * per wall second over a window, so 2.0 is both cores of this machine. Processes that exit inside
 * a window lose their time in it; the node, the generator and pooled PostgreSQL backends do not.
 * "postgres" is every process of that name, so another PostgreSQL cluster on the box counts too.
 */
final class Cpu {
  /** Clock ticks per second of {@code /proc} times; 100 on every Linux this runs on. */
  private static final double TICKS = 100.0;

  private final Map<String, LongPredicate> groups = new LinkedHashMap<>();
  private Map<String, Long> startTicks;
  private long startNanos;

  /** Groups: the node's JVM, this generator JVM, every postgres and every redis-server process. */
  static Cpu of(long nodePid) {
    long self = ProcessHandle.current().pid();
    Cpu cpu = new Cpu();
    cpu.groups.put("cpuNode", pid -> pid == nodePid);
    cpu.groups.put("cpuGenerator", pid -> pid == self);
    cpu.groups.put("cpuPostgres", pid -> "postgres".equals(comm(pid)));
    cpu.groups.put("cpuRedis", pid -> "redis-server".equals(comm(pid)));
    return cpu;
  }

  void start() {
    startTicks = ticks();
    startNanos = System.nanoTime();
  }

  /** Cores used by each group since {@link #start()}, plus {@code cpuTotal} for the whole box. */
  Map<String, Double> stop() {
    Map<String, Long> end = ticks();
    double wall = (System.nanoTime() - startNanos) / 1e9;
    Map<String, Double> out = new LinkedHashMap<>();
    end.forEach((group, t) -> out.put(group, t < 0 || startTicks.get(group) < 0
        ? Double.NaN : (t - startTicks.get(group)) / TICKS / wall));
    return out;
  }

  private Map<String, Long> ticks() {
    Map<String, Long> sums = new LinkedHashMap<>();
    groups.keySet().forEach(g -> sums.put(g, 0L));
    sums.put("cpuTotal", totalTicks());
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      procs.map(p -> p.getFileName().toString()).filter(n -> n.chars().allMatch(Character::isDigit)).forEach(n -> {
        long pid = Long.parseLong(n);
        groups.forEach((g, member) -> {
          if (member.test(pid)) {
            sums.merge(g, processTicks(pid), Long::sum);
          }
        });
      });
    } catch (IOException | java.io.UncheckedIOException e) {
      sums.replaceAll((g, v) -> -1L);
    }
    return sums;
  }

  /**
   * Busy ticks of all cores: user, nice, system, irq and softirq from the first line of /proc/stat
   * (idle, iowait and a VM's steal are not this box's work); -1 if unreadable.
   */
  private static long totalTicks() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long busy = 0;
      for (int i = 1; i < Math.min(f.length, 8); i++) {
        if (i != 4 && i != 5) {
          busy += Long.parseLong(f[i]);
        }
      }
      return busy;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static long processTicks(long pid) {
    String stat = read("/proc/" + pid + "/stat");
    if (stat == null) {
      return 0;
    }
    // After the ")" that closes the command name: state is field 3, utime 14, stime 15.
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  private static String comm(long pid) {
    String c = read("/proc/" + pid + "/comm");
    return c == null ? "" : c.trim();
  }

  private static String read(String file) {
    try {
      return Files.readString(Path.of(file));
    } catch (IOException e) {
      return null;
    }
  }
}

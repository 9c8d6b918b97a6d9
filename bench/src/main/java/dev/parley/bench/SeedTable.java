package dev.parley.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.parley.bench.seed.DataSet;
import dev.parley.bench.seed.SeedSchema;
import dev.parley.bench.seed.SeedService;
import dev.parley.protocol.bench.BenchReport;
import dev.parley.protocol.bench.BenchReport.Measurement;
import dev.parley.protocol.bench.BenchReport.TargetCheck;
import dev.parley.testkit.TestDatabase;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;

/**
 * The seed's "Performance Benchmarks" table (docs/seed/chat-scalability-recommendations.md), rebuilt
 * on this machine beside Parley in one run, on one data set: the rows "load 50 messages", "check
 * unread count", "mark as read, 1-on-1" and "mark as read, 100-member group"; the columns "seed, no
 * indexes" (its Prisma schema with only keys), "seed, with indexes" (its recommended indexes added,
 * then ANALYZE), "seed + Redis cache" (its cache-aside recipe on top) and "Parley" (a node in its
 * own JVM, {@link ServerNode}, through its public REST and WebSocket API only).
 *
 * <p>Per-operation latency, closed loop: one operation at a time, the next after the previous
 * answered, after a warm-up; not a load test, and so free of queueing but open to coordinated
 * omission (a stall delays later operations instead of being counted for each of them).
 *
 * <p>Order: Parley is loaded first through its API (REST for users and conversations, WebSocket
 * sends for the bulk of messages; not measured), its read model is copied into the seed schema (same
 * ids, senders, texts and times), Parley's cells are measured and the node stopped; then the seed's
 * columns run one after the other on the same database, whose Message table grows by the messages
 * the mark-read rows post. Every mark-read operation first posts a new message (untimed), so there
 * is always something to read. Each cell has a warm-up and a measuring time budget; a cell that
 * reaches its budget (in practice only the seed's group row without indexes) reports fewer samples.
 *
 * <p>Caveats: everything (node, PostgreSQL, Redis, the clients) shares the machine's cores, and the
 * machine may be shared with other work (the load average at start and end is reported); the seed
 * columns have no HTTP or ORM layer (charitable to the seed) while Parley's include its whole client
 * API, measured with lean clients that add as little client time as they can.
 */
final class SeedTable {
  static final String HISTORY = "load 50 messages";
  static final String UNREAD = "check unread count";
  static final String READ_PRIVATE = "mark as read, 1-on-1";
  static final String READ_GROUP = "mark as read, 100-member group";
  /** Per member of the group row: from the first send to that member's answer. */
  static final String READ_GROUP_MEMBER = "mark as read, 100-member group, per member";
  static final List<String> ROWS = List.of(HISTORY, UNREAD, READ_PRIVATE, READ_GROUP);

  static final String NO_INDEXES = "seed, no indexes";
  static final String INDEXES = "seed, with indexes";
  static final String CACHE = "seed + Redis cache";
  static final String PARLEY = "Parley";
  static final List<String> COLUMNS = List.of(NO_INDEXES, INDEXES, CACHE, PARLEY);

  private static final Duration WARMUP_BUDGET = Duration.ofSeconds(60);
  private static final Duration MEASURE_BUDGET = Duration.ofSeconds(180);
  /** Prisma's default pool on this box: num_cpus * 2 + 1. */
  private static final int SEED_POOL = 5;
  static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(30);

  private SeedTable() {}

  /**
   * What one run holds and does.
   *
   * @param privateConversations 1-on-1 conversations
   * @param groups               groups of {@code groupMembers} (LARGE_GROUP above 50 members)
   * @param largeGroups          how many of the groups hold {@code largeGroupMessages}; the others {@code groupMessages}
   * @param users                the pool members are drawn from
   * @param ops                  measured operations per cell
   * @param warmup               untimed operations per cell before measuring (history and unread warm up at
   *                             least one pass over their rotation, so the cache column starts warm)
   */
  record Sizes(int privateConversations, int groups, int largeGroups, int groupMembers, int privateMessages,
      int groupMessages, int largeGroupMessages, int users, int ops, int warmup) {
    static Sizes full() {
      return new Sizes(900, 100, 10, 100, 20, 100, 10_000, 1000, 1000, 200);
    }

    static Sizes smoke() {
      return new Sizes(20, 3, 1, 10, 5, 60, 120, 30, 30, 10);
    }
  }

  /** One operation: its untimed preparation, then the timed part; returns the timed span in ns. */
  @FunctionalInterface
  interface Operation {
    /** @param perMember per-member spans of a group operation; null during warm-up */
    long run(long i, Latency perMember) throws Exception;
  }

  /** One measured cell: the operation spans, the per-member spans (group row), MessageRead rows written. */
  record Cell(int warmedUp, Histogram total, Histogram perMember, long rows) {}

  static BenchReport run(Sizes sizes) throws Exception {
    Instant startedAt = Instant.now();
    long t0 = System.nanoTime();
    String runId = UUID.randomUUID().toString().substring(0, 6);
    DataSet data = new DataSet(runId, sizes.users(), sizes.privateConversations(), sizes.privateMessages(),
        sizes.groups(), sizes.largeGroups(), sizes.groupMembers(), sizes.groupMessages(), sizes.largeGroupMessages());
    String prefix = "seedtable:" + runId + ":";
    Map<String, Map<String, Cell>> cells = new LinkedHashMap<>();
    Map<String, String> parameters = parameters(sizes, data);
    BenchReport.Machine machine;
    RedisClient redis = RedisClient.create(System.getenv().getOrDefault("PARLEY_REDIS_URL", "redis://127.0.0.1:6379"));
    StatefulRedisConnection<String, String> redisConnection = redis.connect();
    String[] ids = new String[data.conversations().size()];
    try (TestDatabase seedDb = TestDatabase.create()) {
      // The node's session tokens and its conversations' cache entries go with it (ServerNode.close).
      try (ServerNode server = ServerNode.start(Map.of()); SeedTableParley parley = new SeedTableParley(server, data, ids)) {
        TestDatabase parleyDb = server.db;
        long t = System.nanoTime();
        parley.load();
        parameters.put("parleyLoadSeconds", seconds(t));
        t = System.nanoTime();
        try (Connection from = parleyDb.connect(); Connection to = seedDb.connect()) {
          SeedSchema.load(from, to);
          parameters.put("seedMessageReadRows", Long.toString(SeedSchema.count(to, "MessageRead")));
          parameters.put("seedMessageRows", Long.toString(SeedSchema.count(to, "Message")));
        }
        parameters.put("seedLoadSeconds", seconds(t));
        try (Connection c = parleyDb.connect(); Statement s = c.createStatement()) {
          s.execute("VACUUM ANALYZE");
        }
        measureColumn(cells, PARLEY, sizes, data, parley.history(), parley.unread(), parley.readPrivate(),
            parley.readGroup(), null);
      }

      HikariConfig config = new HikariConfig();
      config.setJdbcUrl(seedDb.url());
      config.setUsername(seedDb.user());
      config.setMaximumPoolSize(SEED_POOL);
      config.setMinimumIdle(SEED_POOL);
      config.setPoolName("seed-prisma");
      ExecutorService requests = Executors.newFixedThreadPool(SEED_POOL, daemon("seed-request"));
      try (HikariDataSource pool = new HikariDataSource(config)) {
        machine = Reports.machine(pool::getConnection);
        SeedSide plain = new SeedSide(new SeedService(pool, null), data, ids, requests);
        measureColumn(cells, NO_INDEXES, sizes, data, plain.history(), plain.unread(), plain.readPrivate(),
            plain.readGroup(), plain.rows);
        long t = System.nanoTime();
        try (Connection c = seedDb.connect()) {
          SeedSchema.addRecommendedIndexes(c);
        }
        parameters.put("seedIndexSeconds", seconds(t));
        measureColumn(cells, INDEXES, sizes, data, plain.history(), plain.unread(), plain.readPrivate(),
            plain.readGroup(), plain.rows);
        SeedSide cached = new SeedSide(new SeedService(pool,
            new SeedService.Cache(redisConnection.sync(), prefix + "cache:")), data, ids, requests);
        measureColumn(cells, CACHE, sizes, data, cached.history(), cached.unread(), cached.readPrivate(),
            cached.readGroup(), cached.rows);
      } finally {
        requests.shutdownNow();
      }
    } finally {
      deleteKeys(redisConnection.sync(), prefix + "*");
      redisConnection.close();
      redis.shutdown();
    }
    parameters.put("loadAverageAtEnd", loadAverage());
    return report(startedAt, (System.nanoTime() - t0) / 1e9, machine, parameters, cells);
  }

  // -- measuring ------------------------------------------------------------------------------------

  private static void measureColumn(Map<String, Map<String, Cell>> cells, String column, Sizes sizes, DataSet data,
      Operation history, Operation unread, Operation readPrivate, Operation readGroup, LongAdder rows)
      throws Exception {
    int historyWarmup = Math.max(sizes.warmup(), data.historyRotation().size());
    int unreadWarmup = Math.max(sizes.warmup(), data.users().size());
    cells.computeIfAbsent(HISTORY, k -> new LinkedHashMap<>()).put(column,
        measure(HISTORY, column, historyWarmup, sizes.ops(), history, null));
    cells.computeIfAbsent(UNREAD, k -> new LinkedHashMap<>()).put(column,
        measure(UNREAD, column, unreadWarmup, sizes.ops(), unread, null));
    if (!data.privates().isEmpty()) {
      cells.computeIfAbsent(READ_PRIVATE, k -> new LinkedHashMap<>()).put(column,
          measure(READ_PRIVATE, column, sizes.warmup(), sizes.ops(), readPrivate, rows));
    }
    if (!data.groups().isEmpty()) {
      cells.computeIfAbsent(READ_GROUP, k -> new LinkedHashMap<>()).put(column,
          measure(READ_GROUP, column, sizes.warmup(), sizes.ops(), readGroup, rows));
    }
  }

  private static Cell measure(String row, String column, int warmup, int ops, Operation op, LongAdder rows)
      throws Exception {
    long i = 0;
    long deadline = System.nanoTime() + WARMUP_BUDGET.toNanos();
    while (i < warmup && System.nanoTime() < deadline) {
      op.run(i++, null);
    }
    int warmedUp = (int) i;
    if (rows != null) {
      rows.reset();
    }
    Latency total = new Latency();
    Latency perMember = new Latency();
    deadline = System.nanoTime() + MEASURE_BUDGET.toNanos();
    for (int n = 0; n < ops && System.nanoTime() < deadline; n++) {
      total.record(op.run(i++, perMember));
    }
    Cell cell = new Cell(warmedUp, total.total(), perMember.total(), rows == null ? -1 : rows.sum());
    System.err.printf(Locale.ROOT, "seed-table: %s | %s: %d ops (warm-up %d), p50 %.3f ms, p99 %.3f ms%n", row,
        column, cell.total().getTotalCount(), warmedUp, Latency.ms(cell.total().getValueAtPercentile(50)),
        Latency.ms(cell.total().getValueAtPercentile(99)));
    return cell;
  }

  // -- the seed -------------------------------------------------------------------------------------

  /**
   * A seed column's operations on {@link SeedService}: the same sequence as Parley's. The group row
   * issues the members' markAsRead calls all at once, each its own transaction as each member's
   * request would be; at most {@value #SEED_POOL} run at a time (the pool), the rest queue, which a
   * 5-thread executor models without 100 threads blocked on the pool.
   */
  private static final class SeedSide {
    private final SeedService service;
    private final DataSet data;
    private final String[] ids;
    private final ExecutorService requests;
    private final Map<String, Integer> conversationsOf = new HashMap<>();
    final LongAdder rows = new LongAdder();

    SeedSide(SeedService service, DataSet data, String[] ids, ExecutorService requests) {
      this.service = service;
      this.data = data;
      this.ids = ids;
      this.requests = requests;
      data.conversations().forEach(c -> c.members().forEach(m -> conversationsOf.merge(m, 1, Integer::sum)));
    }

    Operation history() {
      return (i, perMember) -> {
        DataSet.Visit v = data.history(i);
        long start = System.nanoTime();
        int n = service.history(ids[v.conversation().index()]).size();
        long span = System.nanoTime() - start;
        check(n == Math.min(50, v.conversation().messages()) || n == 50, "seed history held " + n);
        return span;
      };
    }

    Operation unread() {
      return (i, perMember) -> {
        String user = data.unreadUser(i);
        long start = System.nanoTime();
        int n = service.unread(user).size();
        long span = System.nanoTime() - start;
        check(n == conversationsOf.getOrDefault(user, 0), "seed unread of " + user + " listed " + n);
        return span;
      };
    }

    Operation readPrivate() {
      return (i, perMember) -> {
        DataSet.Visit v = data.privateRead(i);
        String conv = ids[v.conversation().index()];
        service.post(conv, v.sender(), DataSet.text(v.conversation(), v.conversation().messages() + i),
            v.conversation().members());
        long start = System.nanoTime();
        rows.add(service.markAsRead(conv, v.user()));
        return System.nanoTime() - start;
      };
    }

    Operation readGroup() {
      return (i, perMember) -> {
        DataSet.Visit v = data.groupRead(i);
        String conv = ids[v.conversation().index()];
        List<String> members = v.conversation().members();
        service.post(conv, v.sender(), DataSet.text(v.conversation(), v.conversation().messages() + i), members);
        List<CompletableFuture<Long>> done = new ArrayList<>(members.size());
        long start = System.nanoTime();
        for (String member : members) {
          done.add(CompletableFuture.supplyAsync(() -> {
            try {
              rows.add(service.markAsRead(conv, member));
            } catch (SQLException e) {
              throw new IllegalStateException("markAsRead " + conv + " " + member + ": " + e.getMessage(), e);
            }
            return System.nanoTime();
          }, requests));
        }
        long last = start;
        for (CompletableFuture<Long> f : done) {
          long at = f.get(ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
          last = Math.max(last, at);
          if (perMember != null) {
            perMember.record(at - start);
          }
        }
        return last - start;
      };
    }
  }

  // -- the report -----------------------------------------------------------------------------------

  private static Map<String, String> parameters(Sizes sizes, DataSet data) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("privateConversations", Integer.toString(sizes.privateConversations()));
    p.put("privateMessages", Integer.toString(sizes.privateMessages()));
    p.put("groups", Integer.toString(sizes.groups()));
    p.put("groupMembers", Integer.toString(sizes.groupMembers()));
    p.put("groupMessages", Integer.toString(sizes.groupMessages()));
    p.put("largeGroups", Integer.toString(sizes.largeGroups()));
    p.put("largeGroupMessages", Integer.toString(sizes.largeGroupMessages()));
    p.put("users", Integer.toString(sizes.users()));
    p.put("messages", Long.toString(data.totalMessages()));
    p.put("memberships", Long.toString(data.totalMemberships()));
    p.put("ops", Integer.toString(sizes.ops()));
    p.put("warmup", sizes.warmup() + " (history at least " + data.historyRotation().size()
        + ", unread at least " + data.users().size() + ": one pass over the rotation)");
    p.put("cellBudget", WARMUP_BUDGET.toSeconds() + " s warm-up, " + MEASURE_BUDGET.toSeconds() + " s measuring");
    p.put("loop", "closed, one operation at a time");
    p.put("historyRotation", (data.groups().isEmpty() ? "private conversations" : "groups")
        + ", newest 50, read by a member in turn");
    p.put("unreadRotation", "every user in turn, counts for all their conversations");
    p.put("readState", "before measuring, every member has read every loaded message (both systems)");
    p.put("markRead", "each operation first posts a new message (untimed), then the reader(s) mark read");
    p.put("groupRead", "all members (the sender too) read at once; done when the last answers");
    p.put("seedPool", "HikariCP " + SEED_POOL + " (Prisma default num_cpus*2+1)");
    p.put("seedLayer", "plain JDBC prepared statements, no HTTP or ORM layer");
    p.put("seedUnread", "ConversationRead.lastReadAt, one query over the user's conversations");
    p.put("seedMarkRead", "one transaction: INSERT MessageRead .. SELECT unread .. ON CONFLICT DO NOTHING "
        + "RETURNING, upsert ConversationRead");
    p.put("seedIndexes", String.join("; ", SeedSchema.RECOMMENDED_INDEXES) + "; ANALYZE");
    p.put("seedCache", "Redis cache-aside: GET/SETEX 300 JSON conversation:<id>:messages and unread:<user>; "
        + "DEL on post and mark-read");
    p.put("parleyApi", "history GET /api/conversations/{id}/messages?limit=50 and unread GET /api/unread on one "
        + "keep-alive HTTP/1.1 connection, timed to the last body byte; read frame {conv, upTo: the new seq} on an "
        + "open, unsubscribed WebSocket per user, timed to when the client's selector saw the unread frame");
    p.put("parleyNode", "own JVM (-Xms1g -Xmx2g), full mode, bcrypt cost 4; loaded and measured through its API only");
    p.put("parleyLimits", "send and frame rates lifted (100000/s) for the untimed bulk load through the API; "
        + "the measured operations stay far below the defaults (one frame at a time per socket)");
    p.put("commonPoolParallelism", Integer.toString(java.util.concurrent.ForkJoinPool.getCommonPoolParallelism()));
    p.put("loadAverageAtStart", loadAverage());
    return p;
  }

  private static BenchReport report(Instant startedAt, double seconds, BenchReport.Machine machine,
      Map<String, String> parameters, Map<String, Map<String, Cell>> cells) {
    List<Measurement> results = new ArrayList<>();
    List<TargetCheck> targets = new ArrayList<>();
    for (String row : ROWS) {
      Map<String, Cell> byColumn = cells.getOrDefault(row, Map.of());
      for (String column : COLUMNS) {
        Cell cell = byColumn.get(column);
        if (cell == null) {
          continue;
        }
        Map<String, Double> values = new LinkedHashMap<>(Latency.percentiles(cell.total()));
        values.put("warmupOps", (double) cell.warmedUp());
        if (column.equals(PARLEY)) {
          double p50 = values.get("p50Ms");
          values.put("xVsNoIndexes", ratio(byColumn.get(NO_INDEXES), p50));
          values.put("xVsIndexes", ratio(byColumn.get(INDEXES), p50));
          values.put("xVsCache", ratio(byColumn.get(CACHE), p50));
        }
        if (cell.rows() >= 0 && cell.total().getTotalCount() > 0) {
          values.put("messageReadRowsPerOp", cell.rows() / (double) cell.total().getTotalCount());
        }
        results.add(new Measurement(row, Map.of("column", column), cell.total().getTotalCount(), values));
      }
    }
    for (String column : COLUMNS) {
      Cell cell = cells.getOrDefault(READ_GROUP, Map.of()).get(column);
      if (cell != null) {
        results.add(new Measurement(READ_GROUP_MEMBER, Map.of("column", column),
            cell.perMember().getTotalCount(), Latency.percentiles(cell.perMember())));
      }
    }
    targets.add(absolute("history p50 ≤ 0.5 ms", cells, HISTORY, 0.5));
    targets.add(absolute("unread p50 ≤ 0.5 ms", cells, UNREAD, 0.5));
    targets.add(absolute("mark read 1-on-1 p50 ≤ 1 ms", cells, READ_PRIVATE, 1));
    targets.add(absolute("mark read 100-member p50 ≤ 1 ms", cells, READ_GROUP, 1));
    for (String row : ROWS) {
      Cell parley = cells.getOrDefault(row, Map.of()).get(PARLEY);
      Cell seed = cells.getOrDefault(row, Map.of()).get(INDEXES);
      String target = row + ": ≥ 10× faster than seed with indexes (p50)";
      if (parley == null || seed == null || parley.total().getTotalCount() == 0 || seed.total().getTotalCount() == 0) {
        targets.add(new TargetCheck(target, null, null));
        continue;
      }
      double x = p50(seed) / p50(parley);
      targets.add(new TargetCheck(target, String.format(Locale.ROOT, "%.1f× (seed %.3f ms, Parley %.3f ms)",
          x, p50(seed), p50(parley)), x >= 10));
    }
    return new BenchReport(BenchReport.SCHEMA, "seed-table",
        "The seed's benchmark table beside Parley: per-operation latency, closed loop (one operation at a "
            + "time, not a load test), one data set",
        startedAt, seconds, machine, parameters, results, targets);
  }

  private static TargetCheck absolute(String target, Map<String, Map<String, Cell>> cells, String row, double ms) {
    Cell cell = cells.getOrDefault(row, Map.of()).get(PARLEY);
    if (cell == null || cell.total().getTotalCount() == 0) {
      return new TargetCheck(target, null, null);
    }
    return new TargetCheck(target, String.format(Locale.ROOT, "%.3f ms", p50(cell)), p50(cell) <= ms);
  }

  private static double p50(Cell cell) {
    return Latency.ms(cell.total().getValueAtPercentile(50));
  }

  private static double ratio(Cell other, double parleyP50) {
    return other == null || other.total().getTotalCount() == 0 || parleyP50 <= 0 ? Double.NaN : p50(other) / parleyP50;
  }

  // -- small shared pieces --------------------------------------------------------------------------

  /** Asks in flight, at most {@code limit} at once; the first failure fails {@link #drain()}. */
  static final class InFlight {
    private final Semaphore permits;
    private final int limit;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    InFlight(int limit) {
      this.permits = new Semaphore(limit);
      this.limit = limit;
    }

    void add(CompletableFuture<?> ask) throws InterruptedException {
      permits.acquire();
      ask.whenComplete((r, e) -> {
        if (e != null) {
          failure.compareAndSet(null, e);
        }
        permits.release();
      });
      if (failure.get() != null) {
        throw new IllegalStateException("loading failed: " + failure.get().getMessage(), failure.get());
      }
    }

    void drain() throws InterruptedException {
      permits.acquire(limit);
      permits.release(limit);
      if (failure.get() != null) {
        throw new IllegalStateException("loading failed: " + failure.get().getMessage(), failure.get());
      }
    }
  }

  @FunctionalInterface
  interface Step {
    void run() throws Exception;
  }

  static Runnable unchecked(Step step) {
    return () -> {
      try {
        step.run();
      } catch (Exception e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
    };
  }

  static void check(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException(what);
    }
  }

  static long single(Statement s, String sql) throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static String seconds(long since) {
    return String.format(Locale.ROOT, "%.1f", (System.nanoTime() - since) / 1e9);
  }

  /** The machine's 1-minute load average: the box is shared, so what else ran shows here. */
  static String loadAverage() {
    return String.format(Locale.ROOT, "%.2f",
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
  }

  static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** Deletes every key matching {@code pattern} (this run's prefix only). */
  static void deleteKeys(RedisCommands<String, String> redis, String pattern) {
    ScanCursor cursor = ScanCursor.INITIAL;
    do {
      KeyScanCursor<String> page = redis.scan(cursor, ScanArgs.Builder.matches(pattern).limit(1000));
      if (!page.getKeys().isEmpty()) {
        redis.del(page.getKeys().toArray(String[]::new));
      }
      cursor = page;
    } while (!cursor.isFinished());
  }
}

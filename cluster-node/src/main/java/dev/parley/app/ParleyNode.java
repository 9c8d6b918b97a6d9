package dev.parley.app;

import com.typesafe.config.Config;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.parley.auth.Accounts;
import dev.parley.cache.CacheSettings;
import dev.parley.cache.CacheStats;
import dev.parley.cache.FallbackGate;
import dev.parley.cache.LocalMessageCache;
import dev.parley.cache.MessageCache;
import dev.parley.cache.RedisMessageCache;
import dev.parley.eventexport.EventExport;
import dev.parley.kafka.KafkaSettings;
import dev.parley.query.ConversationQueries;
import dev.parley.metrics.NodeMetrics;
import dev.parley.sql.Jdbc;
import dev.parley.readmodel.MessageStore;
import dev.parley.readmodel.Partitions;
import dev.parley.readmodel.ReadModelProjection;
import dev.parley.readmodel.ReadModelSettings;
import dev.parley.receipts.KafkaReceipts;
import dev.parley.receipts.ReceiptSettings;
import dev.parley.receipts.ReceiptSink;
import dev.parley.receipts.ReceiptStore;
import dev.parley.receipts.ReceiptWriter;
import dev.parley.auth.AuthSettings;
import dev.parley.auth.InMemorySessionStore;
import dev.parley.auth.LoginThrottle;
import dev.parley.auth.RedisSessionStore;
import dev.parley.auth.SessionStore;
import dev.parley.conversation.ConversationEntity;
import dev.parley.conversation.ConversationSettings;
import dev.parley.conversation.ConversationServices;
import dev.parley.conversation.LiveSettings;
import dev.parley.conversation.WriteBehindSettings;
import dev.parley.auth.PasswordPool;
import dev.parley.http.ClientApi;
import dev.parley.http.OperatorApi;
import dev.parley.membership.MembershipIndex;
import dev.parley.session.ClusterHubs;
import dev.parley.session.FanoutHub;
import dev.parley.session.Session;
import dev.parley.session.SessionRegistry;
import dev.parley.session.SessionSettings;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.management.javadsl.PekkoManagement;

/**
 * One running Parley node: the schema migrated, the ActorSystem in the cluster, the conversation
 * shard region, the read-model projection and partition maintenance, the receipt sink (the writer,
 * or Kafka with the outbound events stream), the message cache, the fan-out hub, the client API
 * (REST + WebSocket) and, on the management port, the operator surface ({@link OperatorApi}:
 * pekko-management's health and cluster routes and the node's metrics). {@link #stop()} runs
 * CoordinatedShutdown: open sockets are closed with 1001 (going away), the HTTP ports are unbound,
 * shards are handed off to the remaining nodes, then the node leaves.
 */
public final class ParleyNode {
  private final ActorSystem<Void> system;
  private final ConversationSettings conversationSettings;
  private final NodeConfig.Database database;
  private final String managementUrl;
  private final ActorRef<ShardingEnvelope<ConversationEntity.Command>> conversations;
  private final String httpUrl;
  private final Parts parts;

  private ParleyNode(ActorSystem<Void> system, ConversationSettings conversationSettings,
      NodeConfig.Database database, String managementUrl,
      ActorRef<ShardingEnvelope<ConversationEntity.Command>> conversations, String httpUrl, Parts parts) {
    this.system = system;
    this.parts = parts;
    this.httpUrl = httpUrl;
    this.conversations = conversations;
    this.conversationSettings = conversationSettings;
    this.database = database;
    this.managementUrl = managementUrl;
  }

  /** Starts a node from a configuration made by {@link NodeConfig#load}. Blocks until management is bound. */
  public static ParleyNode start(Config config) {
    OperatorApi.checkExposure(config.getString("parley.management.host"), config.getString("parley.management.admin-token"));
    NodeConfig.Database db = NodeConfig.Database.of(config);
    Schema.migrate(db);
    ConversationSettings settings = ConversationSettings.fromConfig(config);

    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), NodeConfig.systemName(), config);
    if (java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() < 2) {
      system.log().warn("ForkJoinPool.commonPool() has parallelism {}: every ask reply will start a new thread. "
          + "Start the JVM with -D{}=2 (Main does this itself; see ADR 8).",
          java.util.concurrent.ForkJoinPool.getCommonPoolParallelism(), Main.COMMON_POOL_PARALLELISM);
    }
    try {
      if (config.getStringList("pekko.cluster.seed-nodes").isEmpty()) {
        Address self = Cluster.get(system).selfMember().address();
        Cluster.get(system).manager().tell(Join.create(self));
        if (db.embedded()) {
          system.log().info("No seed nodes configured: founding a single-node cluster at {}", self);
        } else {
          system.log().warn("No seed nodes configured (PARLEY_SEED_NODES): founding a new cluster at {}. "
              + "Every other node on this database must name this one as a seed; two separate clusters "
              + "on one database would both host the same conversations.", self);
        }
      }
      Parts parts = Parts.start(system, config, db);
      ClusterHubs hubs = ClusterHubs.start(system);
      ReceiptSettings receiptSettings = ReceiptSettings.fromConfig(config);
      var services = new ConversationServices(LiveSettings.fromConfig(config), hubs, parts.receipts, parts.cache,
          new WriteBehindSettings(receiptSettings.flushInterval(), receiptSettings.flushMax(),
              CacheSettings.fromConfig(config).repairInterval()));
      var region = ConversationEntity.init(system, settings, services, Clock.systemUTC());
      ReadModelSettings readModel = ReadModelSettings.fromConfig(config);
      ReadModelProjection.start(system, parts.dataSource, !db.embedded(), readModel,
          new dev.parley.sql.Quarantine(parts.metrics.registry()));
      Partitions.schedule(system, parts.dataSource, !db.embedded(), Clock.systemUTC(), readModel);
      if (parts.kafka.enabled()) {
        EventExport.start(system, parts.dataSource, parts.kafka.bootstrap(), parts.kafka.eventsTopic(),
            parts.metrics.registry());
      }
      String managementUrl = startOperatorApi(system, config, parts);
      awaitReady(system, config.getDuration("parley.http.ready-wait"));
      String httpUrl = startClientApi(system, config, settings, parts);
      return new ParleyNode(system, settings, db, managementUrl, region, httpUrl, parts);
    } catch (Exception e) {
      system.terminate();
      throw new IllegalStateException("node failed to start: " + e.getMessage(), e);
    }
  }

  /**
   * Waits until this member is Up in its cluster and the conversation shard region is registered
   * with its coordinator (the readiness that {@code /ready} reports), at most {@code max}; then the
   * client port may open. Before that, a request would wait in the region's buffer and could time
   * out, so a client asking right after a restart got an error instead of the conversation. Past
   * {@code max} (seeds unreachable, say) the node serves anyway, with a warning.
   */
  private static void awaitReady(ActorSystem<Void> system, Duration max) throws InterruptedException {
    var sharding = new org.apache.pekko.cluster.sharding.ClusterShardingHealthCheck(system.classicSystem());
    long deadline = System.nanoTime() + max.toNanos();
    while (System.nanoTime() < deadline) {
      var status = Cluster.get(system).selfMember().status();
      if (status == org.apache.pekko.cluster.MemberStatus.up() || status == org.apache.pekko.cluster.MemberStatus.weaklyUp()) {
        try {
          Object registered = scala.jdk.javaapi.FutureConverters.asJava(sharding.apply()).toCompletableFuture()
              .get(5, java.util.concurrent.TimeUnit.SECONDS);
          if (Boolean.TRUE.equals(registered)) {
            return;
          }
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
          // not registered yet: ask again
        }
      }
      Thread.sleep(50);
    }
    system.log().warn("Not Up with a registered conversation region after {}: serving clients anyway", max);
  }

  /**
   * What the node's components share: the SQL pool (client API, read model, receipts, history), Redis
   * (session tokens and the message cache) or their in-JVM stand-ins, the receipt sink (the writer,
   * or Kafka), the metrics registry. Closed when the actor system terminates, after coordinated
   * shutdown has handed off the shards (whose final receipt batches the sink drains first).
   */
  static final class Parts {
    final NodeMetrics metrics = new NodeMetrics();
    HikariDataSource dataSource;
    Executor blocking;
    StatefulRedisConnection<String, String> redis;
    MessageCache cache;
    ReceiptStore receiptStore;
    ReceiptSink receipts;
    KafkaSettings kafka;

    static Parts start(ActorSystem<Void> system, Config config, NodeConfig.Database db) {
      Parts p = new Parts();
      p.blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig("parley-blocking-dispatcher"));
      HikariConfig pool = new HikariConfig();
      pool.setJdbcUrl(db.url());
      pool.setUsername(db.user());
      pool.setPassword(db.password());
      pool.setDriverClassName(db.driver());
      pool.setMaximumPoolSize(config.getInt("parley.db.api-pool-size"));
      pool.setPoolName("parley-sql");
      p.dataSource = new HikariDataSource(pool);
      String redisUrl = config.getString("parley.redis.url").trim();
      RedisClient redisClient = redisUrl.isEmpty() ? null : redisClient(redisUrl,
          config.getDuration("parley.redis.command-timeout"));
      CacheSettings cacheSettings = CacheSettings.fromConfig(config);
      if (redisClient == null) {
        p.cache = new LocalMessageCache(cacheSettings, new CacheStats(p.metrics.registry(), "local"), Clock.systemUTC());
      } else {
        p.redis = redisClient.connect();
        p.cache = new RedisMessageCache(p.redis, cacheSettings, new CacheStats(p.metrics.registry(), "redis"));
      }
      ReceiptSettings receiptSettings = ReceiptSettings.fromConfig(config);
      p.receiptStore = new ReceiptStore(new Jdbc(p.dataSource, !db.embedded()), p.metrics.registry());
      p.kafka = KafkaSettings.fromConfig(config);
      // Both stop after the shards handed off (their entities' final batches are submitted by then).
      if (p.kafka.enabled()) {
        KafkaReceipts kafkaReceipts = new KafkaReceipts(p.receiptStore, receiptSettings, p.kafka, p.blocking, system,
            p.metrics.registry()).startWriter();
        p.receipts = kafkaReceipts;
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
            "stop-kafka-receipts", kafkaReceipts::stop);
      } else {
        ReceiptWriter writer = new ReceiptWriter(p.receiptStore, receiptSettings, p.blocking, system,
            p.metrics.registry());
        p.receipts = writer;
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
            "drain-receipt-writer", () -> writer.drain(Duration.ofSeconds(5)));
      }
      system.getWhenTerminated().thenRun(() -> {
        if (redisClient != null) {
          redisClient.shutdown();
        }
        p.dataSource.close();
      });
      return p;
    }
  }

  /**
   * One Redis client for sessions and the cache. It reconnects by itself, but while it is
   * disconnected commands fail at once instead of queueing for the reconnect, and every command
   * fails after {@code timeout}: callers (cache reads, token checks) fall back rather than hang.
   */
  public static RedisClient redisClient(String url, Duration timeout) {
    RedisClient client = RedisClient.create(url);
    client.setOptions(io.lettuce.core.ClientOptions.builder()
        .autoReconnect(true)
        .disconnectedBehavior(io.lettuce.core.ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .timeoutOptions(io.lettuce.core.TimeoutOptions.enabled(timeout))
        .build());
    return client;
  }

  /**
   * Starts what clients talk to: accounts and session tokens (Redis in full mode, memory in
   * embedded mode), the membership index, history, this node's fan-out hub and the HTTP server.
   * Returns the base URL clients use.
   */
  private static String startClientApi(ActorSystem<Void> system, Config config, ConversationSettings settings,
      Parts parts) throws Exception {
    AuthSettings auth = AuthSettings.fromConfig(config);
    PasswordPool passwords = PasswordPool.fromConfig(config);
    system.getWhenTerminated().thenRun(passwords::shutdown);
    Accounts accounts = new Accounts(parts.dataSource, auth, parts.blocking, passwords);
    var meters = parts.metrics.registry();
    io.micrometer.core.instrument.FunctionCounter.builder("parley.auth.password.checks", accounts,
        Accounts::passwordChecks).description("password verifications (bcrypt)").register(meters);
    io.micrometer.core.instrument.FunctionCounter.builder("parley.auth.password.refused", passwords,
        PasswordPool::refusedBusy).tag("reason", "busy").description("logins refused: the pool's queue was full")
        .register(meters);
    io.micrometer.core.instrument.FunctionCounter.builder("parley.auth.password.refused", passwords,
        PasswordPool::refusedPerAddress).tag("reason", "address")
        .description("logins refused: their address had too many in progress").register(meters);
    SessionStore tokens = parts.redis == null
        ? new InMemorySessionStore(auth, Clock.systemUTC())
        : new RedisSessionStore(parts.redis, auth, Clock.systemUTC());
    system.getWhenTerminated().thenRun(tokens::close);
    boolean postgres = !NodeConfig.Database.of(config).embedded();
    MembershipIndex membership = new MembershipIndex(parts.dataSource, parts.blocking, system,
        config.getDuration("parley.read-model.membership-wait"), config.getDuration("parley.read-model.membership-poll"));
    CacheSettings cacheSettings = CacheSettings.fromConfig(config);
    ConversationQueries history = new ConversationQueries(ClusterSharding.get(system), settings.askTimeout(), parts.cache,
        new MessageStore(new Jdbc(parts.dataSource, postgres)),
        new FallbackGate(cacheSettings.fallbackConcurrency(), cacheSettings.fallbackQueue(), parts.blocking,
            parts.metrics.registry()),
        parts.blocking, settings.maxHistoryPage());

    SessionSettings sessionSettings = SessionSettings.fromConfig(config);
    SessionRegistry sockets = new SessionRegistry(sessionSettings);
    var hub = system.systemActorOf(FanoutHub.create(settings.askTimeout()), "parley-fanout-hub", Props.empty());
    ClusterSharding sharding = ClusterSharding.get(system);
    var api = new ClientApi(new ClientApi.Dependencies(system, sharding, accounts, tokens, membership, sockets,
        new Session.Context(sessionSettings, sharding, hub, tokens, sockets, history),
        new LoginThrottle(config.getInt("parley.auth.max-login-failures"),
            config.getDuration("parley.auth.login-failure-window")),
        history, settings.askTimeout()));

    String host = config.getString("parley.http.host");
    ServerBinding binding = Http.get(system).newServerAt(host, config.getInt("parley.http.port"))
        .bind(api.routes()).toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "close-client-sockets",
        () -> {
          sockets.closeAll(Session.CLOSE_GOING_AWAY, "server shutting down");
          return java.util.concurrent.CompletableFuture.completedFuture(org.apache.pekko.Done.getInstance());
        });
    binding.addToCoordinatedShutdown(Duration.ofSeconds(5), system);
    return url(host, binding.localAddress().getPort());
  }

  /**
   * Binds the operator surface ({@link OperatorApi}: health, cluster state, metrics) on the
   * management host and port, token-protected unless that host is loopback. Returns its base URL.
   * Fails (and with it the start) when the host is exposed and no operator token is set.
   */
  private static String startOperatorApi(ActorSystem<Void> system, Config config, Parts parts) throws Exception {
    String host = config.getString("parley.management.host");
    OperatorApi operator = new OperatorApi(PekkoManagement.get(system.classicSystem()).getRoutes(),
        parts.metrics::scrape, host, config.getString("parley.management.admin-token"));
    ServerBinding binding = Http.get(system).newServerAt(host, config.getInt("parley.management.port"))
        .bind(operator.routes()).toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
    binding.addToCoordinatedShutdown(Duration.ofSeconds(5), system);
    return url(host, binding.localAddress().getPort());
  }

  /** The base URL of a server bound to {@code host} (as bound: 0.0.0.0 stays 0.0.0.0, which the banner says). */
  private static String url(String host, int port) {
    return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  /** The node's metrics registry (also served at {@code /metrics} on the management port). */
  public NodeMetrics metrics() {
    return parts.metrics;
  }

  /** The node's recent-message cache (Redis in full mode, in-JVM in embedded mode). */
  public MessageCache cache() {
    return parts.cache;
  }

  /** The node's SQL pool (read model, receipts, accounts). */
  public javax.sql.DataSource dataSource() {
    return parts.dataSource;
  }

  /** Where clients connect, e.g. {@code http://127.0.0.1:8080} (REST under /api, WebSocket at /ws). */
  public String httpUrl() {
    return httpUrl;
  }

  /** The Redis URL of full mode, empty in embedded mode. */
  public String redisUrl() {
    return system.settings().config().getString("parley.redis.url").trim();
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public ConversationSettings conversationSettings() {
    return conversationSettings;
  }

  public NodeConfig.Database database() {
    return database;
  }

  /** Where the operator surface listens (health, cluster state, metrics), e.g. {@code http://127.0.0.1:8558}. */
  public String managementUrl() {
    return managementUrl;
  }

  /** The conversation shard region of this node (a proxy when this node does not host conversations). */
  public ActorRef<ShardingEnvelope<ConversationEntity.Command>> conversations() {
    return conversations;
  }

  /** Stops the node through CoordinatedShutdown (shard hand-off, cluster leave, unbind). */
  public CompletionStage<Done> stop() {
    system.terminate();
    return system.getWhenTerminated();
  }

  /** Stops the node and waits for it. */
  public void stopAndWait(Duration timeout) {
    try {
      stop().toCompletableFuture().get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("node did not stop within " + timeout, e);
    }
  }
}

package dev.parley.app;

import com.typesafe.config.Config;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.parley.auth.Accounts;
import dev.parley.auth.AuthSettings;
import dev.parley.auth.InMemorySessionStore;
import dev.parley.auth.LoginThrottle;
import dev.parley.auth.RedisSessionStore;
import dev.parley.auth.SessionStore;
import dev.parley.conversation.ConversationEntity;
import dev.parley.conversation.ConversationSettings;
import dev.parley.conversation.LiveSettings;
import dev.parley.http.ClientApi;
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
 * shard region, the fan-out hub, the client API (REST + WebSocket) and pekko-management's health and
 * cluster routes. {@link #stop()} runs CoordinatedShutdown: open sockets are closed with 1001 (going
 * away), the HTTP port is unbound, shards are handed off to the remaining nodes, then the node leaves.
 */
public final class ParleyNode {
  private final ActorSystem<Void> system;
  private final ConversationSettings conversationSettings;
  private final NodeConfig.Database database;
  private final String managementUrl;
  private final ActorRef<ShardingEnvelope<ConversationEntity.Command>> conversations;
  private final String httpUrl;

  private ParleyNode(ActorSystem<Void> system, ConversationSettings conversationSettings,
      NodeConfig.Database database, String managementUrl,
      ActorRef<ShardingEnvelope<ConversationEntity.Command>> conversations, String httpUrl) {
    this.system = system;
    this.httpUrl = httpUrl;
    this.conversations = conversations;
    this.conversationSettings = conversationSettings;
    this.database = database;
    this.managementUrl = managementUrl;
  }

  /** Starts a node from a configuration made by {@link NodeConfig#load}. Blocks until management is bound. */
  public static ParleyNode start(Config config) {
    NodeConfig.Database db = NodeConfig.Database.of(config);
    Schema.migrate(db);
    ConversationSettings settings = ConversationSettings.fromConfig(config);

    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), NodeConfig.systemName(), config);
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
      ClusterHubs hubs = ClusterHubs.start(system);
      var region = ConversationEntity.init(system, settings, LiveSettings.fromConfig(config), hubs, Clock.systemUTC());
      String httpUrl = startClientApi(system, config, db, settings);
      var binding = PekkoManagement.get(system.classicSystem()).start()
          .toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
      return new ParleyNode(system, settings, db, binding.toString(), region, httpUrl);
    } catch (Exception e) {
      system.terminate();
      throw new IllegalStateException("node failed to start: " + e.getMessage(), e);
    }
  }

  /**
   * Starts what clients talk to: accounts and session tokens (Redis in full mode, memory in
   * embedded mode), the membership index, this node's fan-out hub and the HTTP server. Returns the
   * base URL clients use.
   */
  private static String startClientApi(ActorSystem<Void> system, Config config, NodeConfig.Database db,
      ConversationSettings settings) throws Exception {
    Executor blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig("parley-blocking-dispatcher"));
    HikariConfig pool = new HikariConfig();
    pool.setJdbcUrl(db.url());
    pool.setUsername(db.user());
    pool.setPassword(db.password());
    pool.setDriverClassName(db.driver());
    pool.setMaximumPoolSize(config.getInt("parley.db.api-pool-size"));
    pool.setPoolName("parley-api");
    HikariDataSource dataSource = new HikariDataSource(pool);
    AuthSettings auth = AuthSettings.fromConfig(config);
    SessionStore tokens;
    String redisUrl = config.getString("parley.redis.url").trim();
    RedisClient redis = null;
    if (redisUrl.isEmpty()) {
      tokens = new InMemorySessionStore(auth, Clock.systemUTC());
    } else {
      redis = RedisClient.create(redisUrl);
      StatefulRedisConnection<String, String> connection = redis.connect();
      tokens = new RedisSessionStore(connection, auth, Clock.systemUTC());
    }
    RedisClient redisToClose = redis;
    system.getWhenTerminated().thenRun(() -> {
      tokens.close();
      if (redisToClose != null) {
        redisToClose.shutdown();
      }
      dataSource.close();
    });

    SessionSettings sessionSettings = SessionSettings.fromConfig(config);
    SessionRegistry registry = new SessionRegistry(sessionSettings);
    var hub = system.systemActorOf(FanoutHub.create(settings.askTimeout()), "parley-fanout-hub", Props.empty());
    ClusterSharding sharding = ClusterSharding.get(system);
    var api = new ClientApi(new ClientApi.Dependencies(system, sharding,
        new Accounts(dataSource, auth, blocking), tokens,
        new MembershipIndex(dataSource, blocking, !db.embedded()), registry,
        new Session.Context(sessionSettings, sharding, hub, tokens, registry),
        new LoginThrottle(config.getInt("parley.auth.max-login-failures"),
            config.getDuration("parley.auth.login-failure-window")),
        settings.askTimeout()));

    String host = config.getString("parley.http.host");
    ServerBinding binding = Http.get(system).newServerAt(host, config.getInt("parley.http.port"))
        .bind(api.routes()).toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "close-client-sockets",
        () -> {
          registry.closeAll(Session.CLOSE_GOING_AWAY, "server shutting down");
          return java.util.concurrent.CompletableFuture.completedFuture(org.apache.pekko.Done.getInstance());
        });
    binding.addToCoordinatedShutdown(Duration.ofSeconds(5), system);
    String shownHost = host.equals("0.0.0.0") ? "127.0.0.1" : host;
    return "http://" + shownHost + ":" + binding.localAddress().getPort();
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

  /** Where pekko-management listens, e.g. {@code http://127.0.0.1:8558}. */
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

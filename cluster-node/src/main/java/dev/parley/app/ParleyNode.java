package dev.parley.app;

import com.typesafe.config.Config;
import dev.parley.conversation.ConversationEntity;
import dev.parley.conversation.ConversationSettings;
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
 * shard region, and pekko-management's health and cluster routes. {@link #stop()} runs
 * CoordinatedShutdown, which hands shards off to the remaining nodes before the node leaves.
 */
public final class ParleyNode {
  private final ActorSystem<Void> system;
  private final ConversationSettings conversationSettings;
  private final NodeConfig.Database database;
  private final String managementUrl;
  private final ActorRef<ShardingEnvelope<ConversationEntity.Command>> conversations;

  private ParleyNode(ActorSystem<Void> system, ConversationSettings conversationSettings,
      NodeConfig.Database database, String managementUrl,
      ActorRef<ShardingEnvelope<ConversationEntity.Command>> conversations) {
    this.system = system;
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
      var region = ConversationEntity.init(system, settings, Clock.systemUTC());
      var binding = PekkoManagement.get(system.classicSystem()).start()
          .toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
      return new ParleyNode(system, settings, db, binding.toString(), region);
    } catch (Exception e) {
      system.terminate();
      throw new IllegalStateException("node failed to start: " + e.getMessage(), e);
    }
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

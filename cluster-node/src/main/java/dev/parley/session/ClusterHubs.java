package dev.parley.session;

import dev.parley.conversation.Fanout;
import dev.parley.conversation.HubDirectory;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * The cluster's fan-out hubs as the receptionist lists them, kept current by a small subscriber
 * actor; conversations read it when they start to announce themselves. A hub that registered a
 * moment ago may be missing for a moment; it subscribes directly when its first session joins, so
 * that only delays the restart announcement for that node.
 */
public final class ClusterHubs implements HubDirectory {
  private final AtomicReference<List<ActorRef<Fanout>>> current = new AtomicReference<>(List.of());

  private ClusterHubs() {}

  public static ClusterHubs start(ActorSystem<?> system) {
    ClusterHubs hubs = new ClusterHubs();
    system.systemActorOf(hubs.listener(), "parley-hub-directory", Props.empty());
    return hubs;
  }

  @Override
  public Collection<ActorRef<Fanout>> hubs() {
    return current.get();
  }

  private Behavior<Receptionist.Listing> listener() {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.subscribe(FanoutHub.KEY, ctx.getSelf()));
      return Behaviors.receiveMessage(listing -> {
        current.set(List.copyOf(listing.getServiceInstances(FanoutHub.KEY)));
        return Behaviors.same();
      });
    });
  }
}

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
 * actor; conversations read it when they start to announce themselves. The listing lags the
 * cluster by a gossip round: a hub registered in that moment misses an announcement only if it
 * subscribed before the listing reached this node, which a new node's hub (no sessions yet) cannot
 * have done; the session-side seq check repairs the rest on the next message.
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
        // All instances, unreachable ones included: a node that is only briefly unreachable still gets
        // the announcement once it is back (remoting delivers unless the node was removed).
        current.set(List.copyOf(listing.getAllServiceInstances(FanoutHub.KEY)));
        return Behaviors.same();
      });
    });
  }
}

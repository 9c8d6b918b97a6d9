package dev.parley.conversation;

import java.util.Collection;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/** The fan-out hubs of the cluster as this node currently knows them (one per node). */
@FunctionalInterface
public interface HubDirectory {
  HubDirectory NONE = List::of;

  Collection<ActorRef<Fanout>> hubs();
}

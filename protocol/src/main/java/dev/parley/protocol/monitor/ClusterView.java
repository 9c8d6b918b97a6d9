package dev.parley.protocol.monitor;

import dev.parley.protocol.Fields;
import java.time.Instant;
import java.util.List;

/**
 * The whole cluster as one node sees it ({@code GET /monitor/cluster}; also each event of
 * {@code GET /monitor/stream}): its members, each reachable member's own {@link NodeStats}, where
 * every conversation shard lives, and recent cluster events.
 *
 * @param schema      {@link NodeStats#SCHEMA} when written
 * @param at          when the view was assembled
 * @param servedBy    the address of the node that assembled it
 * @param members     every member the serving node knows, with status and reachability
 * @param nodes       the figures of each member that answered in time
 * @param unavailable members that did not answer (unreachable, leaving, too slow), with why
 * @param placement   shard → node for every conversation shard (sharding's cluster stats)
 * @param events      recent cluster events, oldest first (membership, reachability, leader, shard moves)
 */
public record ClusterView(int schema, Instant at, String servedBy, List<MemberInfo> members, List<NodeStats> nodes,
    List<NodeProblem> unavailable, List<ShardPlacement> placement, List<ClusterEvent> events) {
  public ClusterView {
    Fields.require(at, "at", "clusterView");
    Fields.require(servedBy, "servedBy", "clusterView");
    members = Fields.list(members, "members", "clusterView");
    nodes = Fields.list(nodes, "nodes", "clusterView");
    unavailable = Fields.list(unavailable, "unavailable", "clusterView");
    placement = Fields.list(placement, "placement", "clusterView");
    events = Fields.list(events, "events", "clusterView");
  }

  /**
   * One member as the serving node's cluster state has it.
   *
   * @param address       its cluster address
   * @param roles         its roles
   * @param status        Pekko's member status: {@code Joining}, {@code WeaklyUp}, {@code Up}, {@code Leaving},
   *                      {@code Exiting}, {@code Down}, {@code Removed}
   * @param reachable     false when the failure detector of some member marks it unreachable
   * @param leader        whether it is the cluster leader
   * @param managementUrl its operator port's base URL when it answered (null otherwise)
   */
  public record MemberInfo(String address, List<String> roles, String status, boolean reachable, boolean leader,
      String managementUrl) {
    public MemberInfo {
      Fields.require(address, "address", "memberInfo");
      Fields.require(status, "status", "memberInfo");
      roles = Fields.list(roles, "roles", "memberInfo");
    }
  }

  /** A member whose figures are missing from this view, and why (e.g. "unreachable", "timed out after 2 s"). */
  public record NodeProblem(String address, String problem) {
    public NodeProblem {
      Fields.require(address, "address", "nodeProblem");
      Fields.require(problem, "problem", "nodeProblem");
    }
  }

  /** Where one shard lives now and how many conversations are active in it. */
  public record ShardPlacement(String shardId, String address, int entities) {
    public ShardPlacement {
      Fields.require(shardId, "shardId", "shardPlacement");
      Fields.require(address, "address", "shardPlacement");
    }
  }

  /**
   * Something that happened to the cluster.
   *
   * @param at     when the serving node saw it
   * @param kind   what happened
   * @param member the member it happened to (for a shard move: the node it moved to)
   * @param detail for people, e.g. "shard 17 moved from pekko://parley@127.0.0.1:2551"
   */
  public record ClusterEvent(Instant at, Kind kind, String member, String detail) {
    public ClusterEvent {
      Fields.require(at, "at", "clusterEvent");
      Fields.require(kind, "kind", "clusterEvent");
    }
  }

  /** Kinds of {@link ClusterEvent}. */
  public enum Kind {
    MEMBER_JOINED, MEMBER_UP, MEMBER_LEFT, MEMBER_EXITED, MEMBER_REMOVED, UNREACHABLE, REACHABLE, LEADER_CHANGED,
    SHARD_MOVED, SHARD_ALLOCATED
  }
}

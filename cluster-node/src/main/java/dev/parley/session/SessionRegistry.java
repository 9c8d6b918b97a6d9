package dev.parley.session;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * This node's open sessions: per-user connection counts (the per-user cap), per-user send buckets,
 * and the session actors by token, so a logout closes that token's sockets on this node at once and
 * shutdown can close every socket with 1001. Memory only; lost with the node, like the sockets.
 */
public final class SessionRegistry {
  private final SessionSettings settings;
  private final Map<String, Integer> connections = new ConcurrentHashMap<>();
  private final Map<String, TokenBucket> sendBuckets = new ConcurrentHashMap<>();
  private final Map<ActorRef<Session.Command>, String> tokenOf = new ConcurrentHashMap<>();

  public SessionRegistry(SessionSettings settings) {
    this.settings = settings;
  }

  /** Reserves a connection slot for the user; false when they are at the cap. */
  public boolean tryOpen(String user) {
    boolean[] ok = {false};
    connections.compute(user, (u, n) -> {
      int now = n == null ? 0 : n;
      if (now >= settings.maxConnectionsPerUser()) {
        return now;
      }
      ok[0] = true;
      return now + 1;
    });
    return ok[0];
  }

  /** Releases a slot taken by {@link #tryOpen}. */
  public void closed(String user) {
    connections.computeIfPresent(user, (u, n) -> n > 1 ? n - 1 : null);
    if (!connections.containsKey(user)) {
      sendBuckets.remove(user);
    }
  }

  public int connectionsOf(String user) {
    return connections.getOrDefault(user, 0);
  }

  /** The user's send bucket, shared by all their sockets on this node. */
  TokenBucket sendBucket(String user) {
    return sendBuckets.computeIfAbsent(user, u -> new TokenBucket(settings.sendRate(), settings.sendBurst(), System.nanoTime()));
  }

  void register(ActorRef<Session.Command> session, String token) {
    tokenOf.put(session, token);
  }

  void unregister(ActorRef<Session.Command> session) {
    tokenOf.remove(session);
  }

  /** Closes this node's sockets opened with the token; a logout calls it. */
  public void closeToken(String token, int code, String reason) {
    tokenOf.forEach((session, t) -> {
      if (t.equals(token)) {
        session.tell(new Session.Close(code, reason));
      }
    });
  }

  /** Closes every socket on this node (shutdown: 1001 going away). */
  public void closeAll(int code, String reason) {
    tokenOf.keySet().forEach(s -> s.tell(new Session.Close(code, reason)));
  }

}

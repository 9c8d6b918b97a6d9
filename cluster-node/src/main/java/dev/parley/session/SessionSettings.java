package dev.parley.session;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Limits and timings of client sessions, read once from {@code parley.session} (session.conf).
 *
 * @param maxMessageBytes       largest client frame; larger closes the socket with 1009
 * @param maxInFlight           client frames read but not yet handled before the socket stops reading
 * @param maxOutboundQueue      frames queued for a client that does not read; more closes it with 4008
 * @param keepAlive             ping an idle socket this often (below the server's idle-timeout)
 * @param maxErrorsPerMinute    error replies within a minute before the socket is closed with 1008
 * @param sendRate              sends (send, edit, delete) per second per user on this node
 * @param sendBurst             sends allowed in a burst
 * @param frameRate             any client frames per second per connection
 * @param frameBurst            frames allowed in a burst
 * @param maxConnectionsPerUser open sockets per user on this node; more are refused with 429
 * @param maxSubscriptions      conversations one socket may subscribe to
 * @param replayLimit           messages replayed by {@code subscribe(sinceSeq)}; older ones are a gap
 * @param tokenCheckInterval    how often an open socket re-checks its token (a revoked or expired one closes it with 1008)
 * @param typingThrottle        at most one typing signal per conversation per socket in this interval
 * @param allowedOrigins        exact Origin values allowed to open a socket
 * @param allowMissingOrigin    whether a request without Origin (not a browser) may open a socket
 * @param askTimeout            how long a session waits for a conversation
 */
public record SessionSettings(
    int maxMessageBytes,
    int maxInFlight,
    int maxOutboundQueue,
    Duration keepAlive,
    int maxErrorsPerMinute,
    double sendRate,
    int sendBurst,
    double frameRate,
    int frameBurst,
    int maxConnectionsPerUser,
    int maxSubscriptions,
    int replayLimit,
    Duration tokenCheckInterval,
    Duration typingThrottle,
    Set<String> allowedOrigins,
    boolean allowMissingOrigin,
    Duration askTimeout) {

  public static SessionSettings fromConfig(Config root) {
    Config c = root.getConfig("parley.session");
    List<String> origins = c.getString("allowed-origins").isBlank()
        ? List.of()
        : List.of(c.getString("allowed-origins").trim().split("\\s*,\\s*"));
    return new SessionSettings(
        (int) c.getMemorySize("max-message-size").toBytes(),
        c.getInt("max-in-flight"),
        c.getInt("max-outbound-queue"),
        c.getDuration("keep-alive"),
        c.getInt("max-errors-per-minute"),
        c.getDouble("send-rate"),
        c.getInt("send-burst"),
        c.getDouble("frame-rate"),
        c.getInt("frame-burst"),
        c.getInt("max-connections-per-user"),
        c.getInt("max-subscriptions"),
        Math.min(c.getInt("replay-limit"), root.getInt("parley.conversation.max-history-page")),
        c.getDuration("token-check-interval"),
        c.getDuration("typing-throttle"),
        Set.copyOf(origins),
        c.getBoolean("allow-missing-origin"),
        root.getDuration("parley.conversation.ask-timeout"));
  }
}

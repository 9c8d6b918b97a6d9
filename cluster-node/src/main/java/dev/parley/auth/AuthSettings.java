package dev.parley.auth;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of accounts and sessions, read once at startup from {@code parley.auth} (see
 * {@code auth.conf}). Holds no state of its own; nothing is lost when it is rebuilt.
 *
 * @param bcryptCost     bcrypt work factor for new password hashes (4..31)
 * @param sessionTtl     how long a session stays valid after it was issued or last resolved
 *                       (sliding); whole seconds, at least one
 * @param redisKeyPrefix prefix of session keys in Redis; the key is this + SHA-256 hex of the token
 * @param outageGrace    while Redis is unreachable, a token this node resolved within this period
 *                       is still accepted; zero turns that off
 */
public record AuthSettings(int bcryptCost, Duration sessionTtl, String redisKeyPrefix, Duration outageGrace) {
  public static final Duration DEFAULT_OUTAGE_GRACE = Duration.ofMinutes(5);

  public AuthSettings(int bcryptCost, Duration sessionTtl, String redisKeyPrefix) {
    this(bcryptCost, sessionTtl, redisKeyPrefix, DEFAULT_OUTAGE_GRACE);
  }

  public AuthSettings {
    if (bcryptCost < 4 || bcryptCost > 31) {
      throw new IllegalArgumentException("parley.auth.bcrypt-cost must be 4..31, got " + bcryptCost);
    }
    if (sessionTtl == null || sessionTtl.compareTo(Duration.ofSeconds(1)) < 0 || sessionTtl.toNanosPart() != 0) {
      throw new IllegalArgumentException(
          "parley.auth.session-ttl must be whole seconds and at least 1s, got " + sessionTtl);
    }
    if (redisKeyPrefix == null || redisKeyPrefix.isBlank()) {
      throw new IllegalArgumentException("parley.auth.redis-key-prefix must not be blank");
    }
    if (outageGrace == null || outageGrace.isNegative()) {
      throw new IllegalArgumentException("parley.auth.outage-grace must be >= 0, got " + outageGrace);
    }
  }

  /** Reads {@code parley.auth} from the node's config. */
  public static AuthSettings fromConfig(Config root) {
    Config c = root.getConfig("parley.auth");
    return new AuthSettings(c.getInt("bcrypt-cost"), c.getDuration("session-ttl"), c.getString("redis-key-prefix"),
        c.getDuration("outage-grace"));
  }

  /** {@link #sessionTtl} in whole seconds, as Redis {@code EX} takes it. */
  public long sessionTtlSeconds() {
    return sessionTtl.toSeconds();
  }
}

package dev.parley.conversation;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of a conversation's live feed, read once from {@code parley.conversation.live}.
 *
 * @param typingTimeout      how long a {@code typing} signal shows without being repeated
 * @param coalesceInterval   LARGE_GROUP typing counts and LARGE_GROUP / CHANNEL receipt counts are
 *                           published at most once per interval
 */
public record LiveSettings(Duration typingTimeout, Duration coalesceInterval) {

  public static final LiveSettings DEFAULTS = new LiveSettings(Duration.ofSeconds(6), Duration.ofMillis(500));

  public LiveSettings {
    if (typingTimeout.isNegative() || typingTimeout.isZero() || coalesceInterval.isNegative() || coalesceInterval.isZero()) {
      throw new IllegalArgumentException("parley.conversation.live: durations must be positive");
    }
  }

  public static LiveSettings fromConfig(Config root) {
    Config c = root.getConfig("parley.conversation.live");
    return new LiveSettings(c.getDuration("typing-timeout"), c.getDuration("coalesce-interval"));
  }
}

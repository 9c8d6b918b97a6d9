package dev.parley.cache;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * {@code parley.cache} (cache.conf), read once at startup.
 *
 * @param recentSize messages kept per conversation (the seed's 50)
 * @param recentTtl how long an idle conversation's message list stays (the seed's 5 min)
 * @param summaryTtl how long an idle conversation's summary stays
 * @param fallbackConcurrency database queries run at once on behalf of cache misses
 * @param fallbackQueue further misses that wait for one of those; beyond it a request is refused (503)
 * @param repairInterval how often an entity retries rewriting its cache entry after a failed write
 */
public record CacheSettings(int recentSize, Duration recentTtl, Duration summaryTtl, int fallbackConcurrency,
    int fallbackQueue, Duration repairInterval) {

  public static final CacheSettings DEFAULTS =
      new CacheSettings(50, Duration.ofMinutes(5), Duration.ofHours(24), 16, 1000, Duration.ofSeconds(1));

  public static CacheSettings fromConfig(Config config) {
    Config c = config.getConfig("parley.cache");
    return new CacheSettings(c.getInt("recent-size"), c.getDuration("recent-ttl"), c.getDuration("summary-ttl"),
        c.getInt("fallback-concurrency"), c.getInt("fallback-queue"), c.getDuration("repair-interval"));
  }
}

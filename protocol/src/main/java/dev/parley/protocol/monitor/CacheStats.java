package dev.parley.protocol.monitor;

import dev.parley.protocol.Fields;

/**
 * One cache on one node.
 *
 * @param cache         {@code recent} (a conversation's recent messages), {@code summary}
 *                      (conversation summaries) or {@code session} (session-token lookups)
 * @param backend       {@code redis} or {@code local}
 * @param hits          lookups answered from the cache since start
 * @param misses        lookups that went to the database (or found no token)
 * @param errors        lookups that failed (the cache was unreachable or answered an error)
 * @param hitRate       hits / (hits + misses) since start; null before any lookup
 * @param recentHitRate the same over the sample window; null when the window saw no lookup
 */
public record CacheStats(String cache, String backend, long hits, long misses, long errors, Double hitRate,
    Double recentHitRate) {
  public CacheStats {
    Fields.require(cache, "cache", "cacheStats");
    Fields.require(backend, "backend", "cacheStats");
  }

  /** hits / (hits + misses), or null when both are zero. */
  public static Double rate(long hits, long misses) {
    return hits + misses == 0 ? null : (double) hits / (hits + misses);
  }
}

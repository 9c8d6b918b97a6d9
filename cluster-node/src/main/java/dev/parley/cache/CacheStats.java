package dev.parley.cache;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Hit, miss and error counters of the message cache, per cache name ({@code recent}: the message
 * lists, {@code summary}: the conversation summaries), exported as {@code parley.cache.hits},
 * {@code parley.cache.misses} and {@code parley.cache.errors} with a {@code cache} tag. An error
 * (Redis unreachable, a corrupt entry) is also counted as a miss, since the caller goes elsewhere.
 */
public final class CacheStats {
  private final Counter recentHits;
  private final Counter recentMisses;
  private final Counter summaryHits;
  private final Counter summaryMisses;
  private final Counter errors;
  private final Counter writeErrors;

  public CacheStats(MeterRegistry registry, String backend) {
    recentHits = counter(registry, "parley.cache.hits", "recent", backend);
    recentMisses = counter(registry, "parley.cache.misses", "recent", backend);
    summaryHits = counter(registry, "parley.cache.hits", "summary", backend);
    summaryMisses = counter(registry, "parley.cache.misses", "summary", backend);
    errors = counter(registry, "parley.cache.errors", "read", backend);
    writeErrors = counter(registry, "parley.cache.errors", "write", backend);
  }

  private static Counter counter(MeterRegistry r, String name, String cache, String backend) {
    return Counter.builder(name).tag("cache", cache).tag("backend", backend).register(r);
  }

  void recent(boolean hit) {
    (hit ? recentHits : recentMisses).increment();
  }

  void summaries(int hits, int misses) {
    summaryHits.increment(hits);
    summaryMisses.increment(misses);
  }

  void readError() {
    errors.increment();
  }

  void writeError() {
    writeErrors.increment();
  }

  public long recentHits() {
    return (long) recentHits.count();
  }

  public long recentMisses() {
    return (long) recentMisses.count();
  }

  public long summaryHits() {
    return (long) summaryHits.count();
  }

  public long summaryMisses() {
    return (long) summaryMisses.count();
  }

  public long readErrors() {
    return (long) errors.count();
  }

  public long writeErrors() {
    return (long) writeErrors.count();
  }
}

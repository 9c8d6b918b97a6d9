package dev.parley.cache;

import dev.parley.protocol.MessageView;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The message cache of embedded mode: the same contract as {@link RedisMessageCache} in this JVM's
 * memory (one node, so nothing to share). Entries expire after their TTL of inactivity; expired
 * entries are dropped when read or when written again, and by a sweep every 1024 writes. Lost with the process.
 */
public final class LocalMessageCache implements MessageCache {
  private record Recent(List<MessageView> ascending, Instant expires) {}

  private record Stored(Summary summary, Instant expires) {}

  private final Map<String, Recent> recent = new ConcurrentHashMap<>();
  private final Map<String, Stored> summaries = new ConcurrentHashMap<>();
  private final CacheSettings settings;
  private final CacheStats stats;
  private final Clock clock;
  private final java.util.concurrent.atomic.AtomicLong writes = new java.util.concurrent.atomic.AtomicLong();

  public LocalMessageCache(CacheSettings settings, CacheStats stats, Clock clock) {
    this.settings = settings;
    this.stats = stats;
    this.clock = clock;
  }

  @Override
  public int recentSize() {
    return settings.recentSize();
  }

  @Override
  public CompletionStage<Void> appended(String conv, MessageView message) {
    Instant now = clock.instant();
    recent.compute(conv, (k, old) -> {
      List<MessageView> list = old == null || old.expires().isBefore(now) ? new ArrayList<>()
          : new ArrayList<>(old.ascending());
      list.add(message);
      while (list.size() > settings.recentSize()) {
        list.remove(0);
      }
      return new Recent(List.copyOf(list), now.plus(settings.recentTtl()));
    });
    summaries.put(conv, new Stored(new Summary(message.seq(), message), now.plus(settings.summaryTtl())));
    sweepSometimes(now);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> replaced(String conv, List<MessageView> list, long lastSeq) {
    Instant now = clock.instant();
    List<MessageView> tail = List.copyOf(list.subList(Math.max(0, list.size() - settings.recentSize()), list.size()));
    if (tail.isEmpty()) {
      recent.remove(conv);
    } else {
      recent.put(conv, new Recent(tail, now.plus(settings.recentTtl())));
    }
    summaries.put(conv, new Stored(new Summary(lastSeq, tail.isEmpty() ? null : tail.get(tail.size() - 1)),
        now.plus(settings.summaryTtl())));
    sweepSometimes(now);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Optional<List<MessageView>>> recent(String conv) {
    Recent r = recent.get(conv);
    boolean hit = r != null && r.expires().isAfter(clock.instant()) && !r.ascending().isEmpty()
        && MessageCache.gapFree(r.ascending());
    stats.recent(hit);
    return CompletableFuture.completedFuture(hit ? Optional.of(r.ascending()) : Optional.empty());
  }

  @Override
  public CompletionStage<Map<String, Summary>> summaries(List<String> convs) {
    Instant now = clock.instant();
    Map<String, Summary> out = new HashMap<>();
    for (String c : convs) {
      Stored s = summaries.get(c);
      if (s != null && s.expires().isAfter(now)) {
        out.put(c, s.summary());
      }
    }
    stats.summaries(out.size(), convs.size() - out.size());
    return CompletableFuture.completedFuture(out);
  }

  @Override
  public CacheStats stats() {
    return stats;
  }

  private void sweepSometimes(Instant now) {
    if ((writes.incrementAndGet() & 1023) == 0) {
      recent.entrySet().removeIf(e -> e.getValue().expires().isBefore(now));
      summaries.entrySet().removeIf(e -> e.getValue().expires().isBefore(now));
    }
  }
}

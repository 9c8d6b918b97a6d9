package dev.parley.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.protocol.MessageView;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Redis layout of the message cache, on the machine's Redis (PARLEY_REDIS_URL). */
class RedisMessageCacheTest {
  private static final CacheSettings SETTINGS =
      new CacheSettings(5, Duration.ofMinutes(5), Duration.ofHours(1), 16, 1000, Duration.ofSeconds(1));

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private RedisClient client;
  private StatefulRedisConnection<String, String> connection;
  private RedisMessageCache cache;
  private final String conv = "cache-test-" + UUID.randomUUID();

  @BeforeEach
  void connect() {
    client = RedisClient.create(System.getenv().getOrDefault("PARLEY_REDIS_URL", "redis://127.0.0.1:6379"));
    connection = client.connect();
    cache = new RedisMessageCache(connection, SETTINGS, new CacheStats(registry, "redis"));
  }

  @AfterEach
  void cleanUp() {
    connection.sync().del(RedisMessageCache.recentKey(conv), RedisMessageCache.summaryKey(conv));
    connection.close();
    client.shutdown();
  }

  @Test
  void appendingKeepsTheNewestMessagesInOrderWithTheirTimeToLiveAndTheSummary() {
    LongStream.rangeClosed(1, 8).forEach(seq -> cache.appended(conv, message(seq)).toCompletableFuture().join());

    List<MessageView> recent = cache.recent(conv).toCompletableFuture().join().orElseThrow();
    assertEquals(List.of(4L, 5L, 6L, 7L, 8L), recent.stream().map(MessageView::seq).toList(),
        "the last recent-size messages, oldest first");
    assertEquals(message(8), recent.get(4));
    long listTtl = connection.sync().pttl(RedisMessageCache.recentKey(conv));
    assertTrue(listTtl > 0 && listTtl <= SETTINGS.recentTtl().toMillis(), "list TTL " + listTtl);
    long summaryTtl = connection.sync().pttl(RedisMessageCache.summaryKey(conv));
    assertTrue(summaryTtl > SETTINGS.recentTtl().toMillis() && summaryTtl <= SETTINGS.summaryTtl().toMillis(),
        "summary TTL " + summaryTtl);
    MessageCache.Summary summary = cache.summaries(List.of(conv)).toCompletableFuture().join().get(conv);
    assertEquals(new MessageCache.Summary(8, message(8)), summary);
  }

  @Test
  void aFailedAppendFailsItsStageAndCountsOneWriteError() {
    // A key of the wrong type makes the script's LPUSH fail inside Redis.
    connection.sync().set(RedisMessageCache.recentKey(conv), "not a list");

    CompletionException e = assertThrows(CompletionException.class,
        () -> cache.appended(conv, message(1)).toCompletableFuture().join());
    assertTrue(e.getCause().getMessage().contains("WRONGTYPE"), e.getCause().toString());
    assertEquals(1.0, registry.get("parley.cache.errors").tag("cache", "write").counter().count());
  }

  private MessageView message(long seq) {
    return new MessageView(conv, seq, "m-" + seq, "ann", "hello " + seq, List.of(),
        Instant.parse("2026-11-24T10:00:00Z").plusSeconds(seq), null, false);
  }
}

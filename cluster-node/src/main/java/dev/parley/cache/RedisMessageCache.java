package dev.parley.cache;

import dev.parley.protocol.MessageView;
import dev.parley.protocol.ProtocolCodec;
import io.lettuce.core.KeyValue;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The message cache in Redis, on the node's one shared Lettuce connection (commands pipeline on
 * it, so one conversation's writes, issued in order by its entity, are applied in order).
 * Keys: {@code parley:conv:<id>:recent} (a list, newest first, trimmed to recent-size, TTL
 * recent-ttl) and {@code parley:conv:<id>:summary} (JSON {lastSeq, lastMessage}, TTL summary-ttl).
 *
 * <p>Holds nothing itself; Redis losing its data only turns reads into misses.
 */
public final class RedisMessageCache implements MessageCache {
  private final RedisAsyncCommands<String, String> redis;
  private final CacheSettings settings;
  private final CacheStats stats;

  public RedisMessageCache(StatefulRedisConnection<String, String> connection, CacheSettings settings,
      CacheStats stats) {
    this.redis = connection.async();
    this.settings = settings;
    this.stats = stats;
  }

  static String recentKey(String conv) {
    return "parley:conv:" + conv + ":recent";
  }

  static String summaryKey(String conv) {
    return "parley:conv:" + conv + ":summary";
  }

  /**
   * One message appended: push, trim, refresh the list's TTL and replace the summary in one
   * server-side script, so a send costs one Redis round trip instead of four. KEYS: recent,
   * summary. ARGV: message JSON, last index kept, list TTL ms, summary JSON, summary TTL ms.
   */
  static final String APPEND_SCRIPT = """
      redis.call('LPUSH', KEYS[1], ARGV[1])
      redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]))
      redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
      redis.call('SET', KEYS[2], ARGV[4], 'PX', tonumber(ARGV[5]))
      return 1""";

  @Override
  public int recentSize() {
    return settings.recentSize();
  }

  @Override
  public CompletionStage<Void> appended(String conv, MessageView message) {
    // EVAL rather than EVALSHA: Redis caches the compiled script either way, and EVAL never meets a
    // restarted Redis that forgot it (a NOSCRIPT retry could reorder one conversation's appends).
    String[] keys = {recentKey(conv), summaryKey(conv)};
    String[] args = {ProtocolCodec.write(message), String.valueOf(settings.recentSize() - 1),
        String.valueOf(settings.recentTtl().toMillis()), ProtocolCodec.write(new Summary(message.seq(), message)),
        String.valueOf(settings.summaryTtl().toMillis())};
    return counted(redis.<Long>eval(APPEND_SCRIPT, ScriptOutputType.INTEGER, keys, args).toCompletableFuture()
        .thenApply(r -> null));
  }

  @Override
  public CompletionStage<Void> replaced(String conv, List<MessageView> recent, long lastSeq) {
    String key = recentKey(conv);
    List<CompletableFuture<?>> all = new ArrayList<>();
    all.add(redis.del(key).toCompletableFuture());
    List<MessageView> tail = recent.subList(Math.max(0, recent.size() - settings.recentSize()), recent.size());
    if (!tail.isEmpty()) {
      String[] newestFirst = new String[tail.size()];
      for (int i = 0; i < tail.size(); i++) {
        newestFirst[i] = ProtocolCodec.write(tail.get(tail.size() - 1 - i));
      }
      all.add(redis.rpush(key, newestFirst).toCompletableFuture());
      all.add(redis.pexpire(key, settings.recentTtl().toMillis()).toCompletableFuture());
    }
    MessageView last = recent.isEmpty() ? null : recent.get(recent.size() - 1);
    all.add(redis.set(summaryKey(conv), ProtocolCodec.write(new Summary(lastSeq, last)),
        SetArgs.Builder.px(settings.summaryTtl().toMillis())).toCompletableFuture());
    return counted(CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)));
  }

  @Override
  public CompletionStage<Optional<List<MessageView>>> recent(String conv) {
    return redis.lrange(recentKey(conv), 0, -1).toCompletableFuture().handle((newestFirst, failure) -> {
      if (failure != null) {
        stats.readError();
        stats.recent(false);
        return Optional.empty();
      }
      try {
        List<MessageView> ascending = new ArrayList<>(newestFirst.size());
        for (String json : newestFirst) {
          ascending.add(ProtocolCodec.read(json, MessageView.class));
        }
        Collections.reverse(ascending);
        boolean hit = !ascending.isEmpty() && MessageCache.gapFree(ascending);
        stats.recent(hit);
        return hit ? Optional.of(ascending) : Optional.empty();
      } catch (RuntimeException corrupt) {
        stats.readError();
        stats.recent(false);
        return Optional.empty();
      }
    });
  }

  @Override
  public CompletionStage<Map<String, Summary>> summaries(List<String> convs) {
    if (convs.isEmpty()) {
      return CompletableFuture.completedFuture(Map.of());
    }
    String[] keys = convs.stream().map(RedisMessageCache::summaryKey).toArray(String[]::new);
    return redis.mget(keys).toCompletableFuture().handle((values, failure) -> {
      Map<String, Summary> out = new HashMap<>();
      if (failure != null) {
        stats.readError();
        stats.summaries(0, convs.size());
        return out;
      }
      for (int i = 0; i < values.size(); i++) {
        KeyValue<String, String> kv = values.get(i);
        if (kv.hasValue()) {
          try {
            out.put(convs.get(i), ProtocolCodec.read(kv.getValue(), Summary.class));
          } catch (RuntimeException corrupt) {
            stats.readError();
          }
        }
      }
      stats.summaries(out.size(), convs.size() - out.size());
      return out;
    });
  }

  @Override
  public CacheStats stats() {
    return stats;
  }

  private CompletionStage<Void> counted(CompletableFuture<Void> write) {
    return write.whenComplete((v, e) -> {
      if (e != null) {
        stats.writeError();
      }
    });
  }
}

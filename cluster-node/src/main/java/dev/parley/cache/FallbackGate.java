package dev.parley.cache;

import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.ProtocolException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Protects the database from a stampede when the cache misses (Redis down, a cold start): identical
 * queries in flight at once share one execution (keyed by the caller), at most {@code concurrency}
 * queries run at a time, at most {@code queueLimit} more wait, and beyond that a request is refused
 * at once with {@code unavailable} (HTTP 503, retry) instead of queueing without bound.
 *
 * <p>Holds only in-flight work; nothing is lost when it refuses (the caller's request fails cleanly).
 */
public final class FallbackGate {
  private final int concurrency;
  private final int queueLimit;
  private final Executor blocking;
  private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
  private final Map<String, CompletableFuture<?>> inFlight = new ConcurrentHashMap<>();
  private final Counter queries;
  private final Counter shared;
  private final Counter refused;
  private int running;

  public FallbackGate(int concurrency, int queueLimit, Executor blocking, MeterRegistry metrics) {
    this.concurrency = concurrency;
    this.queueLimit = queueLimit;
    this.blocking = blocking;
    this.queries = Counter.builder("parley.fallback.queries").description("database queries run for cache misses")
        .register(metrics);
    this.shared = Counter.builder("parley.fallback.shared")
        .description("cache misses answered by an identical query already in flight").register(metrics);
    this.refused = Counter.builder("parley.fallback.refused")
        .description("cache misses refused because too many database queries were waiting").register(metrics);
  }

  /** A blocking database query. */
  public interface Query<T> {
    T run() throws Exception;
  }

  /** Runs {@code query} (or joins the identical one in flight under {@code key}) within the limits. */
  @SuppressWarnings("unchecked")
  public <T> CompletionStage<T> run(String key, Query<T> query) {
    CompletableFuture<T> mine = new CompletableFuture<>();
    CompletableFuture<?> existing = inFlight.putIfAbsent(key, mine);
    if (existing != null) {
      shared.increment();
      return (CompletionStage<T>) existing;
    }
    mine.whenComplete((v, e) -> inFlight.remove(key, mine));
    Runnable task = () -> {
      queries.increment();
      try {
        mine.complete(query.run());
      } catch (java.sql.SQLException e) {
        mine.completeExceptionally(dev.parley.sql.SqlFailures.toClientFailure("history store", e));
      } catch (Throwable e) {
        mine.completeExceptionally(e);
      } finally {
        next();
      }
    };
    synchronized (this) {
      if (running < concurrency) {
        running++;
      } else if (waiting.size() < queueLimit) {
        waiting.addLast(task);
        return mine;
      } else {
        refused.increment();
        mine.completeExceptionally(new ProtocolException(ErrorCode.UNAVAILABLE,
            "the history store is busy; retry shortly"));
        return mine;
      }
    }
    start(task, mine);
    return mine;
  }

  private void start(Runnable task, CompletableFuture<?> result) {
    try {
      blocking.execute(task);
    } catch (RuntimeException rejected) {
      result.completeExceptionally(rejected);
      next();
    }
  }

  private void next() {
    Runnable task;
    synchronized (this) {
      task = waiting.pollFirst();
      if (task == null) {
        running--;
        return;
      }
    }
    blocking.execute(task);
  }

  public Supplier<Integer> running() {
    return () -> {
      synchronized (this) {
        return running;
      }
    };
  }
}

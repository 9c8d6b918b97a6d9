package dev.parley.auth;

import com.typesafe.config.Config;
import dev.parley.protocol.ErrorCode;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Where password hashing (bcrypt, with the account lookup that goes with it) runs: a fixed pool of
 * {@code threads} with a queue of at most {@code queue} waiting jobs, and at most
 * {@code perAddress} jobs (queued or running) per client address. So a flood of wrong passwords
 * cannot make a legitimate login wait behind an unbounded backlog: a job is admitted and answered
 * after at most {@code (queue + threads) / threads} hash times, or refused at once with a coded
 * error and a retry hint. A flood from one address holds at most {@code perAddress} slots
 * ({@code rate_limited}, 429: that address's own doing); only when the whole queue is full does
 * anyone get {@code unavailable} (503). See ADR 15.
 *
 * <p>Owns its threads (daemons) and the per-address counts. Loses nothing on failure: a refused job
 * never ran, and the caller's stage says so.
 */
public final class PasswordPool {
  /** Config path of the pool's settings. */
  public static final String CONFIG = "parley.auth.password-pool";

  private final ThreadPoolExecutor executor;
  private final int threads;
  private final int perAddress;
  /** Jobs queued or running per address; an address with none has no entry. Changed only in compute. */
  private final ConcurrentHashMap<String, Integer> inFlight = new ConcurrentHashMap<>();
  /** Moving average of one job's duration, for the retry hint. */
  private final AtomicLong averageNanos = new AtomicLong(50_000_000L);
  private final AtomicLong refusedBusy = new AtomicLong();
  private final AtomicLong refusedAddress = new AtomicLong();

  /**
   * @param threads    jobs that run at once (bcrypt is CPU-bound: about the cores to spare for it)
   * @param queue      jobs that may wait for a thread; more are refused with {@code unavailable}
   * @param perAddress jobs one client address may have queued or running; 0 = no per-address cap
   */
  public PasswordPool(int threads, int queue, int perAddress) {
    if (threads < 1 || queue < 1 || perAddress < 0) {
      throw new IllegalArgumentException(CONFIG + ": threads and queue must be >= 1, per-address >= 0");
    }
    this.threads = threads;
    this.perAddress = perAddress;
    AtomicInteger n = new AtomicInteger();
    this.executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queue),
        r -> {
          Thread t = new Thread(r, "parley-password-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        }, new ThreadPoolExecutor.AbortPolicy());
  }

  /** The pool {@code parley.auth.password-pool} describes (threads 0 = the available cores). */
  public static PasswordPool fromConfig(Config root) {
    Config c = root.getConfig(CONFIG);
    int threads = c.getInt("threads");
    return new PasswordPool(threads > 0 ? threads : Runtime.getRuntime().availableProcessors(), c.getInt("queue"),
        c.getInt("per-address"));
  }

  /**
   * Runs {@code work} for a request from {@code address} ("" when unknown: no per-address cap). The
   * stage fails with an {@link AuthException}: {@code rate_limited} when the address already has
   * {@code perAddress} jobs, {@code unavailable} when the queue is full (both with a retry hint, and
   * both before anything ran), or whatever {@code work} threw as an AuthException.
   */
  public <T> CompletionStage<T> submit(String address, Supplier<T> work) {
    String key = address == null ? "" : address;
    boolean capped = perAddress > 0 && !key.isEmpty();
    if (capped && !admit(key)) {
      refusedAddress.incrementAndGet();
      return CompletableFuture.failedFuture(new AuthException(ErrorCode.RATE_LIMITED,
          "too many logins in progress from this address; retry later", null, retryAfterMs()));
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    try {
      executor.execute(() -> {
        long start = System.nanoTime();
        T value = null;
        Throwable failure = null;
        try {
          value = work.get();
        } catch (AuthException e) {
          failure = e;
        } catch (RuntimeException | Error e) {
          failure = new AuthException(ErrorCode.INTERNAL, "account operation failed", e);
        }
        long took = System.nanoTime() - start;
        averageNanos.updateAndGet(avg -> avg + (took - avg) / 8);
        if (capped) {
          done(key); // before answering, so a client that retries at once finds its slot free
        }
        if (failure == null) {
          result.complete(value);
        } else {
          result.completeExceptionally(failure);
        }
      });
    } catch (RejectedExecutionException e) {
      if (capped) {
        done(key);
      }
      refusedBusy.incrementAndGet();
      result.completeExceptionally(new AuthException(ErrorCode.UNAVAILABLE,
          executor.isShutdown() ? "account store is shutting down" : "too many logins in progress; retry later",
          null, retryAfterMs()));
    }
    return result;
  }

  /** About how long until a thread is free for a new job: the queue ahead of it, at the recent job time. */
  long retryAfterMs() {
    long ahead = executor.getQueue().size() + (long) threads;
    return Math.max(100, ahead * averageNanos.get() / threads / 1_000_000);
  }

  /** Counts one more job for {@code key} unless it already has {@code perAddress}; atomic per key. */
  private boolean admit(String key) {
    boolean[] admitted = {false};
    inFlight.compute(key, (k, c) -> {
      int n = c == null ? 0 : c;
      admitted[0] = n < perAddress;
      return admitted[0] ? n + 1 : c;
    });
    return admitted[0];
  }

  private void done(String key) {
    inFlight.computeIfPresent(key, (k, c) -> c <= 1 ? null : c - 1);
  }

  /** Jobs refused because the queue was full. */
  public long refusedBusy() {
    return refusedBusy.get();
  }

  /** Jobs refused because their address had too many in progress. */
  public long refusedPerAddress() {
    return refusedAddress.get();
  }

  /** Stops taking jobs; queued ones still run. */
  public void shutdown() {
    executor.shutdown();
  }
}

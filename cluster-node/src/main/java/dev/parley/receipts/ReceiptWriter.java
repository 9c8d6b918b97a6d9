package dev.parley.receipts;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's receipt writer (the default, non-Kafka {@link ReceiptSink}): conversation entities
 * hand it one batch per flush; it gathers the batches of many conversations that arrive within
 * {@code gather-window} (at most {@code max-batches}) into one transaction of multi-row upserts.
 *
 * <p>A database failure is retried with backoff (up to {@code max-backoff} between tries) until it
 * succeeds; meanwhile new batches wait in a bounded queue, and when that is full a submit fails and
 * the entity keeps its positions dirty for its next flush. A batch's future completes only after
 * its transaction committed. A batch the database refuses as data (SQLState class 22 or 23) cannot
 * stop the others gathered with it: the group is written batch by batch and the refused one is
 * quarantined ({@link ReceiptStore#writeOrQuarantine}, ADR 0013); its future completes, so its
 * entity does not offer the same rows again, and those positions are lost (logged and counted).
 * What a hard crash of the node loses: the batches in this queue and the
 * positions still dirty in the entities, i.e. about one flush interval of read positions, plus
 * everything that piled up here if the database was down at the time.
 */
public final class ReceiptWriter implements ReceiptSink {
  private static final Logger log = LoggerFactory.getLogger(ReceiptWriter.class);
  /** The stream name in {@code parley_quarantined_total} and the quarantine table. */
  public static final String STREAM = "receipts";

  private record Pending(ReceiptBatch batch, CompletableFuture<Done> done) {}

  private final ReceiptStore store;
  private final Executor blocking;
  private final ReceiptSettings settings;
  private final ActorSystem<?> system;
  private final BoundedSourceQueue<Pending> queue;
  private final CompletionStage<Done> finished;
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final Counter refused;

  public ReceiptWriter(ReceiptStore store, ReceiptSettings settings, Executor blocking, ActorSystem<?> system,
      MeterRegistry metrics) {
    this.store = store;
    this.settings = settings;
    this.blocking = blocking;
    this.system = system;
    this.refused = Counter.builder("parley.receipts.refused")
        .description("batches refused because the writer queue was full (kept dirty by their entity)")
        .register(metrics);
    metrics.gauge("parley.receipts.queued", queued);
    dev.parley.sql.Quarantine.counter(metrics, STREAM);
    var materialized = Source.<Pending>queue(settings.queueCapacity())
        .groupedWithin(settings.maxBatches(), settings.gatherWindow())
        .mapAsync(1, this::writeUntilDone)
        .toMat(Sink.ignore(), (q, done) -> new Object[] {q, done})
        .run(system);
    @SuppressWarnings("unchecked")
    BoundedSourceQueue<Pending> q = (BoundedSourceQueue<Pending>) materialized[0];
    @SuppressWarnings("unchecked")
    CompletionStage<Done> f = (CompletionStage<Done>) materialized[1];
    this.queue = q;
    this.finished = f;
  }

  @Override
  public CompletionStage<Done> submit(ReceiptBatch batch) {
    CompletableFuture<Done> done = new CompletableFuture<>();
    QueueOfferResult result = queue.offer(new Pending(batch, done));
    if (result == QueueOfferResult.enqueued()) {
      queued.incrementAndGet();
      return done;
    }
    refused.increment();
    return CompletableFuture.failedFuture(new IllegalStateException("receipt writer queue full or closed: " + result));
  }

  @Override
  public CompletionStage<Map<String, long[]>> positionsOf(String conversationId) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return store.positionsOf(conversationId);
      } catch (java.sql.SQLException e) {
        throw new IllegalStateException("cannot read positions of " + conversationId + ": " + e.getMessage(), e);
      }
    }, blocking);
  }

  /**
   * Stops taking batches and waits (at most {@code timeout}) until those already queued are written.
   * Runs at coordinated shutdown after the shards have handed off (and so flushed).
   */
  public CompletionStage<Done> drain(Duration timeout) {
    stopping.set(true);
    queue.complete();
    return finished.toCompletableFuture().completeOnTimeout(Done.getInstance(), timeout.toMillis(),
        java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  private CompletionStage<Done> writeUntilDone(List<Pending> group) {
    List<ReceiptBatch> batches = group.stream().map(Pending::batch).toList();
    // While stopping, a few more tries, then the entities' positions are given up (logged below).
    return store.writeOrQuarantine(batches, STREAM, settings, attempt -> !stopping.get() || attempt <= 3, blocking,
            system)
        .handle((quarantined, failure) -> {
          if (failure == null) {
            // Quarantined batches complete too: their entity must not offer the same refused rows again.
            group.forEach(p -> p.done().complete(Done.getInstance()));
          } else {
            Throwable e = ReceiptStore.unwrap(failure);
            log.error("receipt flush of {} batches failed ({}); their entities keep them dirty and flush again",
                batches.size(), e.toString());
            group.forEach(p -> p.done().completeExceptionally(e));
          }
          queued.addAndGet(-group.size());
          return Done.getInstance();
        });
  }
}

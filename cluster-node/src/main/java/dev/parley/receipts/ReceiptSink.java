package dev.parley.receipts;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * Where a conversation entity hands its receipt batches, and where it restores its members'
 * positions from when it starts. The entity keeps a batch's members dirty until {@link #submit}
 * completes successfully; a failed or refused submit is simply retried with the (then newer)
 * positions at the next flush.
 *
 * <p>Two implementations: {@link ReceiptWriter} (straight to SQL, batched across conversations)
 * and {@link KafkaReceipts} (to the receipts topic; a consumer stream writes SQL).
 */
public interface ReceiptSink {

  /** Completes once the batch is durable (committed in SQL, or acknowledged by Kafka). */
  CompletionStage<Done> submit(ReceiptBatch batch);

  /**
   * The stored positions of a conversation: user id → {read, delivered}. Includes members who
   * have left (their reads still count as channel views).
   */
  CompletionStage<Map<String, long[]>> positionsOf(String conversationId);

  /** For entity tests: accepts and forgets every batch, restores nothing. */
  ReceiptSink NONE = new ReceiptSink() {
    @Override
    public CompletionStage<Done> submit(ReceiptBatch batch) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }

    @Override
    public CompletionStage<Map<String, long[]>> positionsOf(String conversationId) {
      return CompletableFuture.completedFuture(Map.of());
    }
  };
}

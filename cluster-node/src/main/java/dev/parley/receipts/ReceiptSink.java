package dev.parley.receipts;

import dev.parley.conversation.PositionFlush;
import dev.parley.conversation.PositionSink;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * The conversation's {@link PositionSink} as this package implements it: a flush becomes one
 * {@link ReceiptBatch} (rows by tier, {@link ReceiptBatches}) that is stored durably. The
 * conversation keeps a batch's members dirty until {@link #submit} completes successfully; a failed
 * or refused submit is simply retried with the (then newer) positions at the next flush.
 *
 * <p>Two implementations: {@link ReceiptWriter} (straight to SQL, batched across conversations)
 * and {@link KafkaReceipts} (to the receipts topic; a consumer stream writes SQL).
 */
public interface ReceiptSink extends PositionSink {

  /** Completes once the batch is durable (committed in SQL, or acknowledged by Kafka). */
  CompletionStage<Done> submit(ReceiptBatch batch);

  /** Builds the batch while the flush's window is valid (before returning), then submits it. */
  @Override
  default CompletionStage<Done> flush(PositionFlush flush) {
    return submit(ReceiptBatches.of(flush));
  }
}

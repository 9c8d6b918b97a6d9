package dev.parley.conversation;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * Port: where a conversation hands its members' moved read and delivered positions, and where it
 * restores them from when it starts. The conversation decides when (every flush interval, at once
 * when many members moved, at stop); the implementation decides how they are stored and which
 * receipt rows the tier gets ({@code dev.parley.receipts}: straight to SQL, or through Kafka).
 *
 * <p>The conversation keeps a flush's members dirty until {@link #flush} completes successfully; a
 * failed or refused flush is retried with the (then newer) positions at the next flush.
 */
public interface PositionSink {

  /**
   * Takes the flush; completes once it is durable. Reads {@link PositionFlush#window()} before
   * returning, never later (it shows the conversation as it is at this call).
   */
  CompletionStage<Done> flush(PositionFlush flush);

  /**
   * The stored positions of a conversation: user id → {read, delivered}. Includes members who
   * have left (their reads still count as channel views).
   */
  CompletionStage<Map<String, long[]>> positionsOf(String conversationId);

  /** For entity tests: accepts and forgets every flush, restores nothing. */
  PositionSink NONE = new PositionSink() {
    @Override
    public CompletionStage<Done> flush(PositionFlush flush) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }

    @Override
    public CompletionStage<Map<String, long[]>> positionsOf(String conversationId) {
      return CompletableFuture.completedFuture(Map.of());
    }
  };
}

package dev.parley.conversation;

import dev.parley.conversation.ConversationEntity.Message;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Port: the recent-message cache a conversation writes through after each persisted message, edit
 * or deletion, so history and conversation lists can be served without waking it. The conversation
 * decides when (after a persist; again after a failure, every repair interval, until a rewrite
 * succeeds); the implementation decides how ({@code dev.parley.cache}: which messages it keeps and
 * in what form). The cache is never the source of truth: a lost write costs a stale entry until the
 * repair, never a message.
 */
public interface WindowCache {

  /** Writes one newly persisted message through. */
  CompletionStage<Void> posted(String conversationId, Message message);

  /**
   * Makes the cached entry match the conversation's window (ascending, consecutive seqs): after an
   * edit or deletion, at start, and to repair after a failed write.
   */
  CompletionStage<Void> rewrite(String conversationId, List<Message> window, long lastSeq);

  /** For entity tests: writes go nowhere. */
  WindowCache NONE = new WindowCache() {
    @Override
    public CompletionStage<Void> posted(String conversationId, Message message) {
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> rewrite(String conversationId, List<Message> window, long lastSeq) {
      return CompletableFuture.completedFuture(null);
    }
  };
}

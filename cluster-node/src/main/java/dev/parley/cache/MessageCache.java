package dev.parley.cache;

import dev.parley.conversation.ConversationEntity.Message;
import dev.parley.conversation.WindowCache;
import dev.parley.protocol.MessageView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Per conversation, the last {@code recent-size} messages and a summary (last message, lastSeq),
 * written through by the conversation entity after each persist and read by history pages and the
 * conversation list without waking the entity. Redis in full mode ({@link RedisMessageCache}), an
 * in-JVM map in embedded mode ({@link LocalMessageCache}).
 *
 * <p>The cache is never the source of truth: a read that fails or finds nothing is a miss (counted),
 * and the caller goes on to SQL or the entity. Writes can fail (Redis down); the entity then keeps
 * retrying {@link #replaced} until the cache holds its current window again, so a stale list never
 * outlives an outage by more than the entity's repair interval (or the TTL).
 *
 * <p>It is the conversation's {@link WindowCache} port: a posted message is appended, a rewrite
 * (edit, deletion, start, repair after a failed write) replaces the list with the newest
 * {@link #recentSize()} messages of the conversation's window.
 */
public interface MessageCache extends WindowCache {

  /** A conversation's newest state as the cache holds it. */
  record Summary(long lastSeq, MessageView lastMessage) {}

  /** Appends one newly persisted message (trims to the recent size, refreshes the TTL) and sets the summary. */
  CompletionStage<Void> appended(String conversationId, MessageView message);

  /** Replaces the recent list and the summary (after an edit or deletion, or to repair after a failed write). */
  CompletionStage<Void> replaced(String conversationId, List<MessageView> recent, long lastSeq);

  /**
   * The cached recent messages, ascending and gap-free (a list that is not, e.g. after a partial
   * write, counts as a miss). Empty when absent. Never fails: errors are counted and read as a miss.
   */
  CompletionStage<Optional<List<MessageView>>> recent(String conversationId);

  /** Summaries of the given conversations in one round trip (MGET); absent ones are missing from the map. */
  CompletionStage<Map<String, Summary>> summaries(List<String> conversationIds);

  /** Hit / miss / error counters, per cache ("recent", "summary"). */
  CacheStats stats();

  /** Messages kept per conversation ({@code recent-size}). */
  int recentSize();

  @Override
  default CompletionStage<Void> posted(String conversationId, Message message) {
    return appended(conversationId, message.view(conversationId));
  }

  @Override
  default CompletionStage<Void> rewrite(String conversationId, List<Message> window, long lastSeq) {
    int from = Math.max(0, window.size() - recentSize());
    List<MessageView> views = new ArrayList<>(window.size() - from);
    for (int i = from; i < window.size(); i++) {
      views.add(window.get(i).view(conversationId));
    }
    return replaced(conversationId, views, lastSeq);
  }

  /** Ascending and each seq one more than the previous. */
  static boolean gapFree(List<MessageView> ascending) {
    for (int i = 1; i < ascending.size(); i++) {
      if (ascending.get(i).seq() != ascending.get(i - 1).seq() + 1) {
        return false;
      }
    }
    return true;
  }
}

package dev.parley.query;

import dev.parley.cache.FallbackGate;
import dev.parley.cache.MessageCache;
import dev.parley.conversation.ConversationEntity;
import dev.parley.conversation.Rejection;
import dev.parley.protocol.ConversationList;
import dev.parley.protocol.ConversationListItem;
import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.HistoryPage;
import dev.parley.protocol.MessageView;
import dev.parley.protocol.ProtocolException;
import dev.parley.protocol.UnreadCount;
import dev.parley.protocol.UnreadCounts;
import dev.parley.readmodel.MessageStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;

/**
 * Where history pages and the conversation list come from, cheapest first, without waking a
 * conversation that is not needed:
 * <ol>
 *   <li>a history page the recent-message cache covers is served from it (source "cache");</li>
 *   <li>an older page ({@code beforeSeq}) from the messages table, then the archive (source "store"
 *       or "archive") when SQL holds the whole range;</li>
 *   <li>otherwise the conversation entity's in-memory window (source "memory"), and what lies
 *       beyond it from SQL and the archive.</li>
 * </ol>
 * Membership is checked against {@code conversation_users} first; a user SQL does not list (it may
 * lag a join by moments) is answered by the entity, the source of truth. SQL queries made because
 * the cache missed go through the {@link FallbackGate}. The conversation list is one SQL query plus
 * one MGET of cached summaries; unread counts there lag the live ones by at most one receipt flush.
 * It lists what the read-model projection wrote to {@code conversation_users}; the client API
 * answers a create, add or remove only once the projection shows it (ADR 0010).
 *
 * <p>Holds no state; every answer is recomputed.
 */
public final class ConversationQueries {
  /** Conversations listed at most. */
  public static final int MAX_LISTED = 200;

  private final ClusterSharding sharding;
  private final Duration askTimeout;
  private final MessageCache cache;
  private final MessageStore store;
  private final FallbackGate gate;
  private final Executor blocking;
  private final int maxPage;

  public ConversationQueries(ClusterSharding sharding, Duration askTimeout, MessageCache cache, MessageStore store,
      FallbackGate gate, Executor blocking, int maxPage) {
    this.sharding = sharding;
    this.askTimeout = askTimeout;
    this.cache = cache;
    this.store = store;
    this.gate = gate;
    this.blocking = blocking;
    this.maxPage = maxPage;
  }

  /** A page of history: before {@code before}, after {@code after}, or the newest (both null); ascending. */
  public CompletionStage<HistoryPage> page(String user, String conv, Long before, Long after, int limit) {
    if (before != null && after != null) {
      return failed(ErrorCode.BAD_REQUEST, "give beforeSeq or afterSeq, not both");
    }
    if ((after != null && after < 0) || (before != null && before < 1)) {
      return failed(ErrorCode.BAD_REQUEST, "afterSeq must be >= 0 and beforeSeq >= 1");
    }
    int n = limit <= 0 ? Math.min(50, maxPage) : Math.min(limit, maxPage);
    return sql(() -> store.isMember(conv, user)).thenCompose(member -> {
      if (!member) {
        return fromEntity(user, conv, before, after, n);
      }
      return cache.recent(conv).thenCompose(cached -> {
        Optional<HistoryPage> hit = cached.flatMap(list -> covered(conv, list, before, after, n));
        if (hit.isPresent()) {
          return CompletableFuture.completedFuture(hit.get());
        }
        if (before != null) {
          long to = before - 1;
          long from = Math.max(1, to - n + 1);
          if (to < 1) {
            return CompletableFuture.completedFuture(new HistoryPage(conv, List.of(), false, HistoryPage.SOURCE_STORE));
          }
          return fromStore(conv, from, to).thenCompose(page -> page.isPresent()
              ? CompletableFuture.completedFuture(page.get())
              : fromEntity(user, conv, before, after, n));
        }
        return fromEntity(user, conv, before, after, n);
      });
    });
  }

  /** The page from the cached list when it holds the whole requested range. */
  private static Optional<HistoryPage> covered(String conv, List<MessageView> list, Long before, Long after, int n) {
    long first = list.get(0).seq();
    long top = list.get(list.size() - 1).seq();
    long from;
    long to;
    if (after != null) {
      if (after >= top) {
        return Optional.empty(); // newer messages may exist that the cache has not seen yet
      }
      from = after + 1;
      to = Math.min(top, after + n);
    } else {
      if (before != null && before - 1 > top) {
        return Optional.empty();
      }
      to = before == null ? top : before - 1;
      from = Math.max(1, to - n + 1);
    }
    if (from < first || to < from) {
      return Optional.empty();
    }
    List<MessageView> page = list.subList((int) (from - first), (int) (to - first) + 1);
    return Optional.of(new HistoryPage(conv, List.copyOf(page), from > 1, HistoryPage.SOURCE_CACHE));
  }

  /** The range from SQL (messages, then archived_messages) when SQL holds all of it. */
  private CompletionStage<Optional<HistoryPage>> fromStore(String conv, long from, long to) {
    return gate.run("page:" + conv + ':' + from + ':' + to, () -> store.page(conv, from, to)).thenApply(rows -> {
      if (rows.messages().size() != to - from + 1) {
        return Optional.empty();
      }
      return Optional.of(new HistoryPage(conv, rows.messages(), from > 1,
          rows.archived() > 0 ? HistoryPage.SOURCE_ARCHIVE : HistoryPage.SOURCE_STORE));
    });
  }

  /** The entity's window; what lies beyond it comes from SQL and the archive. */
  private CompletionStage<HistoryPage> fromEntity(String user, String conv, Long before, Long after, int n) {
    return this.<ConversationEntity.HistorySlice>ask(conv,
            rt -> new ConversationEntity.GetHistory(user, before, after, n, rt))
        .<CompletionStage<HistoryPage>>handle((slice, failure) -> {
          if (failure == null) {
            return CompletableFuture.completedFuture(new HistoryPage(conv,
                slice.messages().stream().map(m -> m.view(conv)).toList(), slice.hasMoreBefore(),
                HistoryPage.SOURCE_MEMORY));
          }
          if (Rejection.codeOf(failure) != ErrorCode.NOT_IN_MEMORY) {
            return CompletableFuture.failedFuture(failure);
          }
          long from = after != null ? after + 1 : Math.max(1, before - n);
          long to = after != null ? after + n : before - 1;
          return gate.run("page:" + conv + ':' + from + ':' + to, () -> store.page(conv, from, to)).thenApply(rows -> {
            List<MessageView> contiguous = contiguousFrom(rows.messages(), from);
            if (contiguous.isEmpty() || (before != null && contiguous.size() != to - from + 1)) {
              throw new ProtocolException(ErrorCode.UNAVAILABLE,
                  "older history is still being written to the store; retry shortly");
            }
            return new HistoryPage(conv, contiguous, from > 1,
                rows.archived() > 0 ? HistoryPage.SOURCE_ARCHIVE : HistoryPage.SOURCE_STORE);
          });
        })
        .thenCompose(Function.identity());
  }

  private static List<MessageView> contiguousFrom(List<MessageView> rows, long from) {
    List<MessageView> out = new ArrayList<>(rows.size());
    long expect = from;
    for (MessageView m : rows) {
      if (m.seq() != expect) {
        break;
      }
      out.add(m);
      expect++;
    }
    return out;
  }

  // -- the conversation list ----------------------------------------------------------------------

  /** One row per conversation of the user, as the list shows it. */
  private record Listed(ConversationListItem item, long lastSeq) {}

  /**
   * The user's conversations, most recent activity first: ids and unread floors from one SQL query,
   * last messages from the cached summaries (one MGET), then SQL for summaries the cache lacks.
   * A conversation so new that the read model does not have it yet is asked directly.
   */
  public CompletionStage<ConversationList> conversations(String user) {
    return listed(user).thenApply(rows -> new ConversationList(rows.stream().map(Listed::item)
        .sorted(Comparator.comparing((ConversationListItem i) ->
            i.lastMessage() == null ? Instant.EPOCH : i.lastMessage().at()).reversed())
        .toList()));
  }

  /** The user's unread count per conversation (lags the live count by at most one receipt flush). */
  public CompletionStage<UnreadCounts> unread(String user) {
    return listed(user).thenApply(rows -> new UnreadCounts(rows.stream()
        .map(r -> new UnreadCount(r.item().conv(), r.item().unread(), r.lastSeq())).toList()));
  }

  private CompletionStage<List<Listed>> listed(String user) {
    CompletionStage<List<MessageStore.Listed>> rows = sql(() -> store.conversationsOf(user, MAX_LISTED));
    return rows.thenCompose(known -> {
      List<String> listedIds = known.stream().map(MessageStore.Listed::conv).toList();
      return cache.summaries(listedIds).thenCompose(summaries -> {
        List<String> missing = listedIds.stream().filter(id -> !summaries.containsKey(id)).toList();
        CompletionStage<Map<String, MessageView>> last = missing.isEmpty()
            ? CompletableFuture.completedFuture(Map.of())
            : gate.run("last:" + user, () -> store.lastMessages(missing));
        return last.thenApply(sqlLast -> {
          List<Listed> out = new ArrayList<>(known.size());
          for (MessageStore.Listed k : known) {
            MessageCache.Summary s = summaries.get(k.conv());
            MessageView lastMessage = s != null ? s.lastMessage() : sqlLast.get(k.conv());
            long lastSeq = Math.max(k.lastSeq(), s != null ? s.lastSeq() : 0);
            // Sending moves the sender's read position to their message: if the newest message is
            // the user's own, nothing before it is unread, even before that position is flushed.
            long ownLast = lastMessage != null && user.equals(lastMessage.sender()) ? lastMessage.seq() : 0;
            out.add(new Listed(new ConversationListItem(k.conv(), k.type(), k.name(), lastMessage,
                Math.max(0, lastSeq - Math.max(k.readFloor(), ownLast))), lastSeq));
          }
          return out;
        });
      });
    });
  }

  // -- plumbing -----------------------------------------------------------------------------------

  private <T> CompletionStage<T> sql(FallbackGate.Query<T> query) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return query.run();
      } catch (java.sql.SQLException e) {
        throw dev.parley.sql.SqlFailures.toClientFailure("read model", e);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, blocking);
  }

  private <R> CompletionStage<R> ask(String conv, Function<ActorRef<StatusReply<R>>, ConversationEntity.Command> command) {
    return sharding.entityRefFor(ConversationEntity.ENTITY_KEY, conv).askWithStatus(command::apply, askTimeout);
  }

  private static <T> CompletionStage<T> failed(ErrorCode code, String message) {
    return CompletableFuture.failedFuture(new ProtocolException(code, message));
  }
}

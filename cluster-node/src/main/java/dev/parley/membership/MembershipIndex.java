package dev.parley.membership;

import dev.parley.sql.SqlFailures;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import javax.sql.DataSource;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.pattern.Patterns;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Read-your-writes for the user → conversations index ({@code conversation_users}) behind "my
 * conversations" and "my unread counts". The read-model projection is the index's only writer
 * (ADR 0010): it applies the entity's journal events exactly once, so the index never disagrees
 * with the journal. This class only <em>waits</em>: after the entity accepted a create, add or
 * remove, the client API asks it to poll the index until the projection shows the change, so the
 * answer to the request comes after every member's list shows it.
 *
 * <p>Owns nothing. What is lost on failure: if the projection lags more than {@code maxWait} (or the
 * database is down), the wait gives up with a warning and the request still succeeds — the change
 * is in the journal and reaches the index when the projection catches up; until then the lists
 * lag it. Polls on the actor system's scheduler (no sleeping thread); each query on {@code blocking}.
 */
public final class MembershipIndex {
  private static final Logger log = LoggerFactory.getLogger(MembershipIndex.class);

  /** The index does not show the change yet (retried until {@code maxWait}). */
  private static final class NotYet extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NotYet() {
      super("not projected yet", null, false, false);
    }
  }

  private final DataSource dataSource;
  private final Executor blocking;
  private final ActorSystem<?> system;
  private final Duration maxWait;
  private final Duration pollInterval;

  public MembershipIndex(DataSource dataSource, Executor blocking, ActorSystem<?> system, Duration maxWait,
      Duration pollInterval) {
    this.dataSource = dataSource;
    this.blocking = blocking;
    this.system = system;
    this.maxWait = maxWait;
    this.pollInterval = pollInterval;
  }

  /**
   * Completes with true once the index lists every user of {@code present} and none of
   * {@code absent} in the conversation, or with false after {@code maxWait} (never fails).
   */
  public CompletionStage<Boolean> awaitProjected(String conversationId, Collection<String> present,
      Collection<String> absent) {
    if (present.isEmpty() && absent.isEmpty()) {
      return CompletableFuture.completedFuture(true);
    }
    long deadline = System.nanoTime() + maxWait.toNanos();
    int attempts = (int) Math.max(1, maxWait.toMillis() / Math.max(1, pollInterval.toMillis()) + 1);
    return Patterns.retry(
            () -> CompletableFuture.supplyAsync(() -> check(conversationId, present, absent), blocking),
            (ok, failure) -> failure != null && System.nanoTime() < deadline
                && (unwrap(failure) instanceof NotYet || SqlFailures.isTransient(failure)),
            attempts, n -> Optional.of(pollInterval), system.classicSystem().scheduler(), system.executionContext())
        .handle((ok, failure) -> {
          if (failure == null) {
            return true;
          }
          log.warn("conversation_users of {} does not show the change after {} ms ({}); lists lag it until the "
              + "read-model projection catches up", conversationId, maxWait.toMillis(), unwrap(failure).toString());
          return false;
        });
  }

  private boolean check(String conv, Collection<String> present, Collection<String> absent) {
    List<String> users = new java.util.ArrayList<>(present);
    users.addAll(absent);
    StringBuilder in = new StringBuilder();
    for (int i = 0; i < users.size(); i++) {
      in.append(i == 0 ? "?" : ", ?");
    }
    Set<String> listed = new HashSet<>();
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT user_id FROM conversation_users WHERE conversation_id = ? AND user_id IN (" + in + ")")) {
      ps.setString(1, conv);
      for (int i = 0; i < users.size(); i++) {
        ps.setString(i + 2, users.get(i));
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          listed.add(rs.getString(1));
        }
      }
    } catch (SQLException e) {
      throw new CompletionException(e);
    }
    if (!listed.containsAll(present) || absent.stream().anyMatch(listed::contains)) {
      throw new NotYet();
    }
    return true;
  }

  private static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}

package dev.parley.membership;

import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.ProtocolException;
import dev.parley.protocol.Role;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import javax.sql.DataSource;

/**
 * The user → conversations index ({@code conversation_users}) behind "my conversations" and "my
 * unread counts". The conversation entity is the source of truth; the client API writes here after
 * the entity accepted a change. If the node dies between the two, the index misses that change
 * until the same request is retried (create and add are idempotent) — the read-model projection
 * that replaces this writer closes that window.
 *
 * <p>Upserts differ by database: PostgreSQL {@code ON CONFLICT}, H2 {@code MERGE ... KEY}.
 */
public final class MembershipIndex {
  private final DataSource dataSource;
  private final Executor blocking;
  private final boolean postgres;

  public MembershipIndex(DataSource dataSource, Executor blocking, boolean postgres) {
    this.dataSource = dataSource;
    this.blocking = blocking;
    this.postgres = postgres;
  }

  /**
   * Records the users as members with the role they joined with (one batch); rows of existing members stay as
   * they are (the entity skips existing members too).
   */
  public CompletionStage<Void> added(String conversationId, Map<String, Role> roles) {
    String sql = postgres
        ? "INSERT INTO conversation_users (conversation_id, user_id, role) VALUES (?, ?, ?) "
            + "ON CONFLICT (conversation_id, user_id) DO NOTHING"
        : "MERGE INTO conversation_users t USING (VALUES (CAST(? AS VARCHAR(128)), CAST(? AS VARCHAR(128)), "
            + "CAST(? AS VARCHAR(16)))) s(c, u, r) ON t.conversation_id = s.c AND t.user_id = s.u "
            + "WHEN NOT MATCHED THEN INSERT (conversation_id, user_id, role) VALUES (s.c, s.u, s.r)";
    return run(c -> {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        for (var member : roles.entrySet()) {
          ps.setString(1, conversationId);
          ps.setString(2, member.getKey());
          ps.setString(3, member.getValue().name());
          ps.addBatch();
        }
        ps.executeBatch();
      }
      return null;
    });
  }

  public CompletionStage<Void> removed(String conversationId, String userId) {
    return run(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "DELETE FROM conversation_users WHERE conversation_id = ? AND user_id = ?")) {
        ps.setString(1, conversationId);
        ps.setString(2, userId);
        ps.executeUpdate();
      }
      return null;
    });
  }

  /** The user's conversation ids in id order, at most {@code limit}. */
  public CompletionStage<List<String>> conversationsOf(String userId, int limit) {
    return run(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT conversation_id FROM conversation_users WHERE user_id = ? ORDER BY conversation_id LIMIT ?")) {
        ps.setString(1, userId);
        ps.setInt(2, limit);
        List<String> ids = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            ids.add(rs.getString(1));
          }
        }
        return ids;
      }
    });
  }

  private interface Work<T> {
    T apply(Connection c) throws SQLException;
  }

  private <T> CompletionStage<T> run(Work<T> work) {
    return CompletableFuture.supplyAsync(() -> {
      try (Connection c = dataSource.getConnection()) {
        return work.apply(c);
      } catch (java.sql.SQLTransientException | java.sql.SQLNonTransientConnectionException e) {
        throw new ProtocolException(ErrorCode.UNAVAILABLE, "the database is unavailable; retry", e);
      } catch (SQLException e) {
        if (e.getSQLState() != null && e.getSQLState().startsWith("08")) {
          throw new ProtocolException(ErrorCode.UNAVAILABLE, "the database is unavailable; retry", e);
        }
        throw new IllegalStateException("membership index: " + e.getMessage(), e);
      }
    }, blocking);
  }
}

package dev.parley.bench.seed;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.api.sync.RedisCommands;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * What the seed's NestJS service does against its schema for the four operations of its table,
 * in plain JDBC on a pool of 5 connections (Prisma's default {@code num_cpus * 2 + 1} on this box),
 * with prepared statements as Prisma uses. With a {@link Cache} it is the "With Cache" variant: the
 * seed's cache-aside recipe in Redis for history, the same for unread counts, and deletions of the
 * affected keys on every write.
 *
 * <p>Charitable to the seed on purpose: no HTTP layer, no ORM (Prisma's query engine adds its own
 * hop), and each operation in as few round trips as the SQL allows. The Parley column, by contrast,
 * is measured end to end through its HTTP and WebSocket API.
 *
 * <p>Unread form: counts come from {@code ConversationRead.lastReadAt} (messages of others newer than
 * the member's last read), not from a NOT EXISTS over MessageRead. The seed keeps a ConversationRead
 * row per member precisely for this ("Track only in ConversationRead") and recommends it for large
 * groups; it is also the cheaper of the two. It is one query for all of the user's conversations
 * (a Prisma {@code findMany} plus a {@code count} per conversation would be a round trip each).
 */
public final class SeedService {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<List<MessageRow>> MESSAGES = new TypeReference<>() {};
  private static final TypeReference<Map<String, Long>> COUNTS = new TypeReference<>() {};
  /** The seed's cache lifetime: {@code redis.setex(key, 300, ...)}. */
  private static final long CACHE_SECONDS = 300;

  /** A Message row as {@code prisma.message.findMany} returns it (times as JSON strings after a cache round trip). */
  public record MessageRow(String id, String conversationId, String senderId, String content, String createdAt) {}

  /** Redis through Lettuce, every key under {@code prefix} (one per run, deleted at the end). */
  public record Cache(RedisCommands<String, String> redis, String prefix) {
    String messages(String conv) {
      return prefix + "conversation:" + conv + ":messages";
    }

    String unread(String user) {
      return prefix + "unread:" + user;
    }
  }

  private final DataSource pool;
  private final Cache cache;

  /** {@code cache} null: straight to PostgreSQL. */
  public SeedService(DataSource pool, Cache cache) {
    this.pool = pool;
    this.cache = cache;
  }

  /** Load 50 messages: the newest 50 of a conversation, newest first (the seed's findMany). */
  public List<MessageRow> history(String conv) throws Exception {
    if (cache != null) {
      String cached = cache.redis().get(cache.messages(conv));
      if (cached != null) {
        return JSON.readValue(cached, MESSAGES);
      }
    }
    List<MessageRow> rows = new ArrayList<>(50);
    try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(
        "SELECT \"id\", \"conversationId\", \"senderId\", \"content\", \"createdAt\" FROM \"Message\" "
            + "WHERE \"conversationId\" = ? ORDER BY \"createdAt\" DESC LIMIT 50")) {
      ps.setString(1, conv);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          rows.add(new MessageRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
              rs.getTimestamp(5).toLocalDateTime().toString()));
        }
      }
    }
    if (cache != null) {
      cache.redis().setex(cache.messages(conv), CACHE_SECONDS, JSON.writeValueAsString(rows));
    }
    return rows;
  }

  /** Check unread count: the user's unread messages per conversation, over all their conversations. */
  public Map<String, Long> unread(String user) throws Exception {
    if (cache != null) {
      String cached = cache.redis().get(cache.unread(user));
      if (cached != null) {
        return JSON.readValue(cached, COUNTS);
      }
    }
    Map<String, Long> counts = new LinkedHashMap<>();
    try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement("""
        SELECT cu."conversationId", count(m."id")
        FROM "ConversationUser" cu
        LEFT JOIN "ConversationRead" cr
          ON cr."conversationId" = cu."conversationId" AND cr."userId" = cu."userId"
        LEFT JOIN "Message" m
          ON m."conversationId" = cu."conversationId" AND m."senderId" <> cu."userId"
          AND m."createdAt" > COALESCE(cr."lastReadAt", cu."joinedAt")
        WHERE cu."userId" = ?
        GROUP BY cu."conversationId\"""")) {
      ps.setString(1, user);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          counts.put(rs.getString(1), rs.getLong(2));
        }
      }
    }
    if (cache != null) {
      cache.redis().setex(cache.unread(user), CACHE_SECONDS, JSON.writeValueAsString(counts));
    }
    return counts;
  }

  /**
   * Mark as read, one member's request, in one transaction: a MessageRead row for each message of
   * others newer than the member's last read (ON CONFLICT DO NOTHING; the ids come back, as the
   * service needs them to tell the senders), then the ConversationRead upsert to the newest message.
   * With the cache, the member's cached unread counts are deleted after the commit.
   *
   * @return the MessageRead rows written
   */
  public int markAsRead(String conv, String user) throws SQLException {
    int rows = inTransaction(c -> {
      int written = 0;
      try (PreparedStatement ps = c.prepareStatement("""
          INSERT INTO "MessageRead" ("messageId", "userId", "readAt", "deliveredAt")
          SELECT m."id", ?, now(), now() FROM "Message" m
          WHERE m."conversationId" = ? AND m."senderId" <> ?
            AND m."createdAt" > COALESCE((SELECT cr."lastReadAt" FROM "ConversationRead" cr
                                          WHERE cr."conversationId" = ? AND cr."userId" = ?), '-infinity')
          ON CONFLICT DO NOTHING
          RETURNING "messageId\"""")) {
        ps.setString(1, user);
        ps.setString(2, conv);
        ps.setString(3, user);
        ps.setString(4, conv);
        ps.setString(5, user);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            written++;
          }
        }
      }
      try (PreparedStatement ps = c.prepareStatement("""
          INSERT INTO "ConversationRead" ("conversationId", "userId", "lastReadAt", "lastReadMessageId")
          VALUES (?, ?, now(), (SELECT "lastMessageId" FROM "Conversation" WHERE "id" = ?))
          ON CONFLICT ("conversationId", "userId")
          DO UPDATE SET "lastReadAt" = EXCLUDED."lastReadAt", "lastReadMessageId" = EXCLUDED."lastReadMessageId\"""")) {
        ps.setString(1, conv);
        ps.setString(2, user);
        ps.setString(3, conv);
        ps.executeUpdate();
      }
      return written;
    });
    if (cache != null) {
      cache.redis().del(cache.unread(user));
    }
    return rows;
  }

  /**
   * A new message (the untimed step before each mark-read): the Message row and the conversation's
   * lastMessageId in one transaction; with the cache, the conversation's cached messages and the
   * cached unread counts of the other members are deleted.
   */
  public void post(String conv, String sender, String text, List<String> members) throws SQLException {
    String id = UUID.randomUUID().toString();
    inTransaction(c -> {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO \"Message\" "
          + "(\"id\", \"conversationId\", \"senderId\", \"content\", \"createdAt\") VALUES (?, ?, ?, ?, now())")) {
        ps.setString(1, id);
        ps.setString(2, conv);
        ps.setString(3, sender);
        ps.setString(4, text);
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE \"Conversation\" SET \"lastMessageId\" = ?, \"updatedAt\" = now() WHERE \"id\" = ?")) {
        ps.setString(1, id);
        ps.setString(2, conv);
        ps.executeUpdate();
      }
      return null;
    });
    if (cache != null) {
      List<String> keys = new ArrayList<>(members.size());
      keys.add(cache.messages(conv));
      members.stream().filter(m -> !m.equals(sender)).map(cache::unread).forEach(keys::add);
      cache.redis().del(keys.toArray(String[]::new));
    }
  }

  /** Work inside one transaction. */
  @FunctionalInterface
  private interface Transaction<T> {
    T run(Connection c) throws SQLException;
  }

  /** Commits what {@code work} did, or rolls it all back when it throws (as a Prisma {@code $transaction}). */
  private <T> T inTransaction(Transaction<T> work) throws SQLException {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      boolean committed = false;
      try {
        T result = work.run(c);
        c.commit();
        committed = true;
        return result;
      } finally {
        if (!committed) {
          c.rollback();
        }
        c.setAutoCommit(true);
      }
    }
  }
}

package dev.parley.bench.seed;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.postgresql.PGConnection;

/**
 * The seed's relational schema (its Prisma models User, Conversation, ConversationUser, Message,
 * MessageRead, ConversationRead) as Prisma's migration would create it on PostgreSQL: text ids,
 * {@code timestamp(3)} times, the enum type, primary keys, unique constraints and foreign keys,
 * and no other index ("Current" in the seed's table). Owns loading it from a Parley node's read
 * model, so both systems hold the same users, conversations, members and messages (same ids,
 * senders, texts and times), and the seed's recommended indexes ("With indexes").
 *
 * <p>Read state after loading: every member has read every message of their conversations. The
 * seed records that the way its own markAsRead does: one MessageRead row per (message, member
 * other than the sender) and a ConversationRead row at the newest message. For the full data set
 * that is about 11 M MessageRead rows, most of them in the large groups; it makes the table (and
 * its primary-key index, which every mark-read inserts into) the size a seed deployment would have
 * after its users read this much. Parley is given the same state (every member marked read).
 *
 * <p>Bulk loading adds the MessageRead primary key and the foreign keys after the rows are in, which
 * ends in the same schema as declaring them first, only faster.
 */
public final class SeedSchema {
  private SeedSchema() {}

  /** The indexes added for the "with indexes" column, as the seed recommends them. */
  public static final List<String> RECOMMENDED_INDEXES = List.of(
      // "Add Message Partitioning" / ArchivedMessage / ChannelMessage: @@index([conversationId, createdAt])
      "CREATE INDEX \"Message_conversationId_createdAt_idx\" ON \"Message\" (\"conversationId\", \"createdAt\")",
      // MessageRead: @@index([userId, readAt])
      "CREATE INDEX \"MessageRead_userId_readAt_idx\" ON \"MessageRead\" (\"userId\", \"readAt\")",
      // MessageRead: "Add this field" isGroupMessage and @@index([messageId, isGroupMessage])
      "ALTER TABLE \"MessageRead\" ADD COLUMN \"isGroupMessage\" boolean NOT NULL DEFAULT false",
      "CREATE INDEX \"MessageRead_messageId_isGroupMessage_idx\" ON \"MessageRead\" (\"messageId\", \"isGroupMessage\")",
      // the membership lookup by user ("my conversations"), Prisma's @@index([userId])
      "CREATE INDEX \"ConversationUser_userId_idx\" ON \"ConversationUser\" (\"userId\")",
      // Conversation: @@index([ownerId])
      "CREATE INDEX \"Conversation_ownerId_idx\" ON \"Conversation\" (\"ownerId\")");

  private static final List<String> TABLES = List.of(
      "CREATE TYPE \"ConversationType\" AS ENUM ('PRIVATE', 'SMALL_GROUP', 'LARGE_GROUP', 'CHANNEL')",
      """
      CREATE TABLE "User" (
        "id"        TEXT NOT NULL,
        "username"  TEXT NOT NULL,
        "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
        "updatedAt" TIMESTAMP(3) NOT NULL,
        CONSTRAINT "User_pkey" PRIMARY KEY ("id"))""",
      "CREATE UNIQUE INDEX \"User_username_key\" ON \"User\" (\"username\")",
      """
      CREATE TABLE "Conversation" (
        "id"            TEXT NOT NULL,
        "name"          TEXT,
        "type"          "ConversationType" NOT NULL DEFAULT 'PRIVATE',
        "ownerId"       TEXT,
        "isGroup"       BOOLEAN,
        "lastMessageId" TEXT,
        "createdAt"     TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
        "updatedAt"     TIMESTAMP(3) NOT NULL,
        "deletedAt"     TIMESTAMP(3),
        CONSTRAINT "Conversation_pkey" PRIMARY KEY ("id"))""",
      "CREATE UNIQUE INDEX \"Conversation_lastMessageId_key\" ON \"Conversation\" (\"lastMessageId\")",
      """
      CREATE TABLE "ConversationUser" (
        "conversationId" TEXT NOT NULL,
        "userId"         TEXT NOT NULL,
        "role"           TEXT NOT NULL DEFAULT 'MEMBER',
        "joinedAt"       TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
        CONSTRAINT "ConversationUser_pkey" PRIMARY KEY ("conversationId", "userId"))""",
      """
      CREATE TABLE "Message" (
        "id"             TEXT NOT NULL,
        "conversationId" TEXT NOT NULL,
        "senderId"       TEXT NOT NULL,
        "content"        TEXT,
        "createdAt"      TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
        CONSTRAINT "Message_pkey" PRIMARY KEY ("id"))""",
      """
      CREATE TABLE "MessageRead" (
        "messageId"   TEXT NOT NULL,
        "userId"      TEXT NOT NULL,
        "readAt"      TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
        "deliveredAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP)""",
      """
      CREATE TABLE "ConversationRead" (
        "conversationId"    TEXT NOT NULL,
        "userId"            TEXT NOT NULL,
        "lastReadAt"        TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
        "lastReadMessageId" TEXT,
        CONSTRAINT "ConversationRead_pkey" PRIMARY KEY ("conversationId", "userId"))""");

  /** Foreign keys as Prisma declares relations (ON DELETE CASCADE for owned rows); Prisma indexes none of them. */
  private static final List<String> KEYS_AFTER_LOAD = List.of(
      "ALTER TABLE \"MessageRead\" ADD CONSTRAINT \"MessageRead_pkey\" PRIMARY KEY (\"messageId\", \"userId\")",
      fk("Conversation", "ownerId", "User", "SET NULL"),
      fk("Conversation", "lastMessageId", "Message", "SET NULL"),
      fk("ConversationUser", "conversationId", "Conversation", "CASCADE"),
      fk("ConversationUser", "userId", "User", "CASCADE"),
      fk("Message", "conversationId", "Conversation", "CASCADE"),
      fk("Message", "senderId", "User", "CASCADE"),
      fk("MessageRead", "messageId", "Message", "CASCADE"),
      fk("MessageRead", "userId", "User", "CASCADE"),
      fk("ConversationRead", "conversationId", "Conversation", "CASCADE"),
      fk("ConversationRead", "userId", "User", "CASCADE"));

  private static String fk(String table, String column, String target, String onDelete) {
    return "ALTER TABLE \"" + table + "\" ADD CONSTRAINT \"" + table + "_" + column + "_fkey\" FOREIGN KEY (\""
        + column + "\") REFERENCES \"" + target + "\" (\"id\") ON DELETE " + onDelete + " ON UPDATE CASCADE";
  }

  /**
   * Creates the schema in {@code seed} and copies the data of a Parley read model ({@code parley},
   * caught up with its journal) into it; then derives the read state and analyzes. Times are
   * converted in the session time zone on both sides, as {@code now()} is when the seed posts later.
   */
  public static void load(Connection parley, Connection seed) throws SQLException {
    seed.setAutoCommit(true);
    try (Statement s = seed.createStatement()) {
      s.execute("SET maintenance_work_mem = '512MB'");
      for (String ddl : TABLES) {
        s.execute(ddl);
      }
    }
    copy(parley, "SELECT user_id, user_id, created_at::timestamp(3), created_at::timestamp(3) FROM users",
        seed, "\"User\" (\"id\", \"username\", \"createdAt\", \"updatedAt\")");
    copy(parley, "SELECT conversation_id, name, type, owner_id, type <> 'PRIVATE', created_at::timestamp(3), "
            + "updated_at::timestamp(3) FROM conversations",
        seed, "\"Conversation\" (\"id\", \"name\", \"type\", \"ownerId\", \"isGroup\", \"createdAt\", \"updatedAt\")");
    copy(parley, "SELECT conversation_id, user_id, role, joined_at::timestamp(3) FROM conversation_users",
        seed, "\"ConversationUser\" (\"conversationId\", \"userId\", \"role\", \"joinedAt\")");
    copy(parley, "SELECT message_id, conversation_id, sender_id, content, created_at::timestamp(3) FROM messages",
        seed, "\"Message\" (\"id\", \"conversationId\", \"senderId\", \"content\", \"createdAt\")");
    try (Statement s = seed.createStatement()) {
      s.execute("""
          CREATE TEMP TABLE last_message AS
          SELECT DISTINCT ON ("conversationId") "conversationId", "id", "createdAt"
          FROM "Message" ORDER BY "conversationId", "createdAt" DESC, "id" DESC""");
      s.execute("""
          UPDATE "Conversation" c SET "lastMessageId" = l."id"
          FROM last_message l WHERE l."conversationId" = c."id\"""");
      s.execute("""
          INSERT INTO "ConversationRead" ("conversationId", "userId", "lastReadAt", "lastReadMessageId")
          SELECT cu."conversationId", cu."userId", COALESCE(l."createdAt", cu."joinedAt"), l."id"
          FROM "ConversationUser" cu LEFT JOIN last_message l ON l."conversationId" = cu."conversationId\"""");
      s.execute("""
          INSERT INTO "MessageRead" ("messageId", "userId", "readAt", "deliveredAt")
          SELECT m."id", cu."userId", m."createdAt", m."createdAt"
          FROM "Message" m JOIN "ConversationUser" cu
            ON cu."conversationId" = m."conversationId" AND cu."userId" <> m."senderId\"""");
      s.execute("DROP TABLE last_message");
      for (String ddl : KEYS_AFTER_LOAD) {
        s.execute(ddl);
      }
      s.execute("VACUUM ANALYZE");
    }
  }

  /** Adds {@link #RECOMMENDED_INDEXES} and analyzes, for the "with indexes" column. */
  public static void addRecommendedIndexes(Connection seed) throws SQLException {
    seed.setAutoCommit(true);
    try (Statement s = seed.createStatement()) {
      s.execute("SET maintenance_work_mem = '512MB'");
      for (String ddl : RECOMMENDED_INDEXES) {
        s.execute(ddl);
      }
      s.execute("ANALYZE");
    }
  }

  /** A count of one seed table (sizes for the report). */
  public static long count(Connection seed, String table) throws SQLException {
    try (Statement s = seed.createStatement(); var rs = s.executeQuery("SELECT count(*) FROM \"" + table + "\"")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void copy(Connection from, String select, Connection to, String target) throws SQLException {
    ByteArrayOutputStream rows = new ByteArrayOutputStream();
    try {
      from.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY (" + select + ") TO STDOUT", rows);
      to.unwrap(PGConnection.class).getCopyAPI()
          .copyIn("COPY " + target + " FROM STDIN", new ByteArrayInputStream(rows.toByteArray()));
    } catch (java.io.IOException e) {
      throw new SQLException("copying into " + target + ": " + e.getMessage(), e);
    }
  }
}

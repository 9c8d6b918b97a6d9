package dev.parley.readmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.typesafe.config.Config;
import dev.parley.app.ParleyNode;
import dev.parley.app.PostgresDatabase;
import dev.parley.app.TestNodes;
import dev.parley.conversation.ConversationEntity;
import dev.parley.conversation.ConversationEntity.AddMembers;
import dev.parley.conversation.ConversationEntity.Create;
import dev.parley.conversation.ConversationEntity.DeleteMessage;
import dev.parley.conversation.ConversationEntity.EditMessage;
import dev.parley.conversation.ConversationEntity.Message;
import dev.parley.conversation.ConversationEntity.MessageAccepted;
import dev.parley.conversation.ConversationEntity.PostMessage;
import dev.parley.conversation.ConversationEntity.RemoveMember;
import dev.parley.conversation.ConversationEntity.Summary;
import dev.parley.protocol.Attachment;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.ProtocolCodec;
import dev.parley.protocol.Role;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The projection from the journal into the read model, on a real node (its sharded conversations
 * write the journal; the node runs the eight tag projections), on PostgreSQL and on the embedded
 * H2: every event kind lands in conversations / conversation_users / messages within seconds (a
 * tier change, an owner leaving, members added at a seq, edits, deletions, attachments, the event's
 * own time as created_at), one conversation per tag so all eight projections run, and after the
 * node restarts the projections resume from their stored offsets: nothing is applied twice (the
 * counters would show it) and new events still arrive.
 */
class ReadModelProjectionTest {
  static final Duration ASK = Duration.ofSeconds(10);
  static final Duration PROJECTED_WITHIN = Duration.ofSeconds(20);
  static final List<Attachment> PHOTO = List.of(new Attachment("https://cdn.example/p.png", "image/png", 2048));
  static final TypeReference<List<Attachment>> ATTACHMENTS = new TypeReference<>() {};

  @TempDir Path dir;

  @Test
  void projectsEveryEventKindAndResumesWithoutDuplicatesOnPostgres() throws Exception {
    try (PostgresDatabase db = PostgresDatabase.create()) {
      scenario(() -> TestNodes.postgres(db, dir, Map.of()), true);
    }
  }

  @Test
  void projectsEveryEventKindAndResumesWithoutDuplicatesOnEmbeddedH2() throws Exception {
    scenario(() -> TestNodes.embedded(dir), false);
  }

  private void scenario(Supplier<Config> config, boolean postgres) throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String group = "group-" + run;
    List<String> privates = onePerTag("private-" + run + "-");
    List<String> extras = new ArrayList<>();
    for (int i = 1; i <= 49; i++) {
      extras.add(String.format("u%02d", i));
    }
    List<String> before;
    List<String> membersBefore;
    long messagesBefore;
    ParleyNode node = ParleyNode.start(config.get());
    try {
      Summary created = ask(node, group, r -> new Create("ann", ConversationType.SMALL_GROUP, "team", List.of("bob"), r));
      MessageAccepted m1 = ask(node, group, r -> new PostMessage("ann", "k1", "hello", List.of(), r));
      MessageAccepted m2 = ask(node, group, r -> new PostMessage("bob", "k2", "hi", List.of(), r));
      MessageAccepted m3 = ask(node, group, r -> new PostMessage("ann", "k3", "third", List.of(), r));
      // 2 + 49 members outgrow the small-group limit (50): MembersAdded at seq 3, then TierChanged.
      ReadModelProjectionTest.<Summary>ask(node, group, r -> new AddMembers("ann", extras, Role.MEMBER, r));
      MessageAccepted m4 = ask(node, group, r -> new PostMessage("ann", "k4", null, PHOTO, r));
      Message edited = ask(node, group, r -> new EditMessage("ann", 1, "hello, edited", r));
      Message deleted = ask(node, group, r -> new DeleteMessage("bob", 2, r));
      ReadModelProjectionTest.<Summary>ask(node, group, r -> new RemoveMember("ann", "u49", r));
      ReadModelProjectionTest.<Summary>ask(node, group, r -> new RemoveMember("ann", "ann", r)); // the owner leaves: bob (longest-standing) takes over
      for (String p : privates) {
        ReadModelProjectionTest.<Summary>ask(node, p, r -> new Create("ann", ConversationType.PRIVATE, null, List.of("bob"), r));
        for (int i = 1; i <= 5; i++) {
          String sender = i % 2 == 0 ? "bob" : "ann";
          String text = p + " #" + i;
          ReadModelProjectionTest.<MessageAccepted>ask(node, p, r -> new PostMessage(sender, "p" + text, text, List.of(), r));
        }
      }

      DataSource ds = node.dataSource();
      awaitRow(ds, "SELECT count(*) FROM conversations WHERE conversation_id = ? AND owner_id = 'bob'", group);
      for (String p : privates) {
        awaitRow(ds, "SELECT count(*) FROM conversations WHERE conversation_id = ? AND last_message_seq = 5", p);
      }
      assertEquals(0, ReadModelProjection.backlog(ds), "every tagged event is projected");

      assertEquals(List.of(group + "|LARGE_GROUP|team|bob|49|3|4"),
          query(ds, "SELECT conversation_id, type, name, owner_id, member_count, message_count, last_message_seq "
              + "FROM conversations WHERE conversation_id = ?", group));
      assertAt(m4.at(), ds, "SELECT last_message_at FROM conversations WHERE conversation_id = ?", group);
      assertAt(created.createdAt(), ds, "SELECT created_at FROM conversations WHERE conversation_id = ?", group);
      List<String> members = query(ds, "SELECT user_id, role, joined_seq FROM conversation_users "
          + "WHERE conversation_id = ? ORDER BY user_id", group);
      assertEquals(49, members.size(), "ann left and u49 was removed: " + members);
      assertEquals("bob|OWNER|0", members.get(0));
      assertEquals("u01|MEMBER|3", members.get(1), "joined when the last seq was 3");
      assertEquals("u48|MEMBER|3", members.get(48));

      assertEquals(List.of(
              "1|" + m1.messageId() + "|ann|k1|hello, edited|null|false",
              "2|" + m2.messageId() + "|bob|k2|null|null|true",
              "3|" + m3.messageId() + "|ann|k3|third|null|false"),
          query(ds, "SELECT seq, message_id, sender_id, client_msg_id, content, attachments, deleted FROM messages "
              + "WHERE conversation_id = ? AND seq < 4 ORDER BY seq", group));
      List<MessageAccepted> posted = List.of(m1, m2, m3, m4);
      for (MessageAccepted m : posted) {
        assertAt(m.at(), ds, "SELECT created_at FROM messages WHERE conversation_id = ? AND seq = " + m.seq(), group);
      }
      assertAt(edited.editedAt(), ds, "SELECT edited_at FROM messages WHERE conversation_id = ? AND seq = 1", group);
      assertAt(deleted.editedAt(), ds, "SELECT edited_at FROM messages WHERE conversation_id = ? AND seq = 2", group);
      assertEquals(List.of("null"), query(ds, "SELECT edited_at FROM messages WHERE conversation_id = ? AND seq = 3", group));
      String stored = query(ds, "SELECT attachments FROM messages WHERE conversation_id = ? AND seq = 4", group).get(0);
      assertEquals(PHOTO, ProtocolCodec.mapper().readValue(stored, ATTACHMENTS), "attachments stored as JSON");
      if (postgres) {
        String partition = String.format("messages_%04d_%02d", YearMonth.from(m1.at().atZone(ZoneOffset.UTC)).getYear(),
            YearMonth.from(m1.at().atZone(ZoneOffset.UTC)).getMonthValue());
        assertEquals(List.of(partition), query(ds, "SELECT DISTINCT tableoid::regclass::text FROM messages "
            + "WHERE conversation_id = ? AND seq = 1", group), "rows land in their month's partition");
      }

      for (String p : privates) {
        assertEquals(List.of("PRIVATE|2|5|5"), query(ds, "SELECT type, member_count, message_count, last_message_seq "
            + "FROM conversations WHERE conversation_id = ?", p));
        assertEquals(List.of("ann|OWNER|0", "bob|MEMBER|0"), query(ds, "SELECT user_id, role, joined_seq "
            + "FROM conversation_users WHERE conversation_id = ? ORDER BY user_id", p));
        assertEquals(List.of(p + " #1", p + " #2", p + " #3", p + " #4", p + " #5"),
            query(ds, "SELECT content FROM messages WHERE conversation_id = ? ORDER BY seq", p));
      }
      Set<String> keys = new HashSet<>(query(ds, "SELECT \"projection_key\" FROM \"pekko_projection_offset_store\" "
          + "WHERE \"projection_name\" = ?", ReadModelProjection.NAME));
      for (int t = 0; t < ConversationEntity.TAG_COUNT; t++) {
        assertTrue(keys.contains("conversation-" + t), "tag " + t + " has its own stored offset: " + keys);
      }

      before = query(ds, "SELECT * FROM conversations ORDER BY conversation_id");
      membersBefore = query(ds, "SELECT conversation_id, user_id, role, joined_seq FROM conversation_users "
          + "ORDER BY conversation_id, user_id");
      messagesBefore = count(ds, "SELECT count(*) FROM messages");
      assertEquals(4 + 5L * privates.size(), messagesBefore);
    } finally {
      node.stopAndWait(Duration.ofSeconds(30));
    }

    ParleyNode again = ParleyNode.start(config.get());
    try {
      DataSource ds = again.dataSource();
      String p = privates.get(0);
      ReadModelProjectionTest.<MessageAccepted>ask(again, p, r -> new PostMessage("bob", "after-restart", "after the restart", List.of(), r));
      awaitRow(ds, "SELECT count(*) FROM conversations WHERE conversation_id = ? AND last_message_seq = 6", p);
      assertEquals(0, ReadModelProjection.backlog(ds));
      Thread.sleep(1000); // a projection re-applying old events would do so around now too

      assertEquals(messagesBefore + 1, count(ds, "SELECT count(*) FROM messages"), "one new row, no duplicates");
      assertEquals(membersBefore, query(ds, "SELECT conversation_id, user_id, role, joined_seq FROM conversation_users "
          + "ORDER BY conversation_id, user_id"));
      List<String> after = query(ds, "SELECT * FROM conversations ORDER BY conversation_id");
      assertEquals(before.size(), after.size());
      for (int i = 0; i < before.size(); i++) {
        if (!before.get(i).startsWith(p + "|")) {
          assertEquals(before.get(i), after.get(i), "no event was applied twice");
        }
      }
      assertEquals(List.of("6|6|after the restart"), query(ds, "SELECT c.message_count, c.last_message_seq, m.content "
          + "FROM conversations c JOIN messages m ON m.conversation_id = c.conversation_id AND m.seq = 6 "
          + "WHERE c.conversation_id = ?", p));
    } finally {
      again.stopAndWait(Duration.ofSeconds(30));
    }
  }

  /** Conversation ids with the prefix, one for each event tag (the entity tags by id hash). */
  private static List<String> onePerTag(String prefix) {
    String[] byTag = new String[ConversationEntity.TAG_COUNT];
    int found = 0;
    for (int i = 0; found < byTag.length; i++) {
      String id = prefix + i;
      int tag = Math.floorMod(id.hashCode(), ConversationEntity.TAG_COUNT);
      if (byTag[tag] == null) {
        byTag[tag] = id;
        found++;
      }
    }
    return List.of(byTag);
  }

  private static <R> R ask(ParleyNode node, String conv,
      Function<ActorRef<StatusReply<R>>, ConversationEntity.Command> command) throws Exception {
    return ClusterSharding.get(node.system()).entityRefFor(ConversationEntity.ENTITY_KEY, conv)
        .<R>askWithStatus(command::apply, ASK).toCompletableFuture().get();
  }

  /** Waits until {@code sql} (a count with one parameter) finds a row. */
  private static void awaitRow(DataSource ds, String sql, String param) throws Exception {
    long deadline = System.nanoTime() + PROJECTED_WITHIN.toNanos();
    while (System.nanoTime() < deadline) {
      if (count(ds, sql, param) > 0) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("not projected within " + PROJECTED_WITHIN + ": " + sql + " [" + param + "]");
  }

  private static long count(DataSource ds, String sql, String... params) throws SQLException {
    return Long.parseLong(query(ds, sql, (Object[]) params).get(0));
  }

  /** Rows as {@code a|b|c}; timestamps as UTC instants, nulls as "null". */
  private static List<String> query(DataSource ds, String sql, Object... params) throws SQLException {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      List<String> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        ResultSetMetaData md = rs.getMetaData();
        while (rs.next()) {
          StringBuilder row = new StringBuilder();
          for (int i = 1; i <= md.getColumnCount(); i++) {
            String type = md.getColumnTypeName(i).toLowerCase();
            Object v;
            if (type.startsWith("bool")) {
              v = rs.getBoolean(i);
            } else if (type.contains("timestamp")) {
              OffsetDateTime t = rs.getObject(i, OffsetDateTime.class);
              v = t == null ? null : t.toInstant().toString();
            } else {
              v = rs.getString(i);
            }
            row.append(i == 1 ? "" : "|").append(v);
          }
          out.add(row.toString());
        }
      }
      return out;
    }
  }

  /** The timestamp {@code sql} reads is the event's time (to the microsecond the databases keep, rounded). */
  private static void assertAt(Instant expected, DataSource ds, String sql, String param) throws SQLException {
    List<String> rows = query(ds, sql, param);
    assertEquals(1, rows.size(), sql);
    Instant stored = Instant.parse(rows.get(0));
    assertTrue(Duration.between(expected, stored).abs().compareTo(Duration.ofNanos(1000)) < 0,
        sql + " [" + param + "]: expected " + expected + ", stored " + stored);
  }
}

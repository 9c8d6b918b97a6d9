package dev.parley.readmodel;

import dev.parley.sql.Jdbc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.parley.app.NodeConfig;
import dev.parley.app.PostgresDatabase;
import dev.parley.app.Schema;
import dev.parley.app.TestNodes;
import dev.parley.protocol.Attachment;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.MessageView;
import dev.parley.protocol.ProtocolCodec;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read model's SQL reads, on rows written the way the projection and the archiver write them,
 * on PostgreSQL and on H2: a history page spanning the archive and {@code messages} is ascending,
 * complete and says how much came from the archive; attachments and tombstones read back; "my
 * conversations" is ordered by the newest message (conversations without one last, deleted ones
 * left out) with the unread floor max(read position, join seq); the newest message of several
 * conversations comes back in one call.
 */
class MessageStoreTest {
  static final Instant JAN = Instant.parse("2026-01-10T09:00:00Z");
  static final Instant MAR = Instant.parse("2026-03-10T09:00:00Z");
  static final List<Attachment> PHOTO = List.of(new Attachment("https://cdn.example/p.png", "image/png", 2048));

  @TempDir Path dir;

  @Test
  void readsOnPostgres() throws Exception {
    try (PostgresDatabase pg = PostgresDatabase.create()) {
      NodeConfig.Database db = pg.database();
      Schema.migrate(db);
      try (HikariDataSource ds = pool(db)) {
        Jdbc jdbc = new Jdbc(ds, true);
        new Partitions(jdbc).ensureAhead(JAN, 2);
        scenario(jdbc);
      }
    }
  }

  @Test
  void readsOnH2() throws Exception {
    NodeConfig.Database db = new NodeConfig.Database("jdbc:h2:file:" + dir.resolve("parley"), "sa", "",
        "org.h2.Driver", "slick.jdbc.H2Profile$", "h2");
    Schema.migrate(db);
    try (HikariDataSource ds = pool(db)) {
      scenario(new Jdbc(ds, false));
    }
  }

  private static HikariDataSource pool(NodeConfig.Database db) {
    return TestNodes.pool(db, 2, java.time.Duration.ofSeconds(30));
  }

  private static void scenario(Jdbc jdbc) throws Exception {
    // c1: seq 1..4 in January (archived below), 5..10 in March; seq 7 deleted.
    conversation(jdbc, "c1", "SMALL_GROUP", "one", 10, MAR.plusSeconds(10), null);
    for (int s = 1; s <= 4; s++) {
      message(jdbc, "c1", s, JAN.plusSeconds(s), "old " + s, null, false);
    }
    for (int s = 5; s <= 10; s++) {
      message(jdbc, "c1", s, MAR.plusSeconds(s), s == 7 ? null : "new " + s, null, s == 7);
    }
    // c2: newer activity than c1; its newest message has an attachment.
    conversation(jdbc, "c2", "PRIVATE", null, 3, MAR.plusSeconds(20), null);
    for (int s = 1; s <= 3; s++) {
      message(jdbc, "c2", s, MAR.plusSeconds(17 + s), "pm " + s, s == 3 ? ProtocolCodec.write(PHOTO) : null, false);
    }
    // c3: no message yet; c4: deleted (newest activity, but never listed); c5: ann is not a member.
    conversation(jdbc, "c3", "CHANNEL", "news", 0, null, null);
    conversation(jdbc, "c4", "SMALL_GROUP", "gone", 1, MAR.plusSeconds(30), MAR.plusSeconds(40));
    conversation(jdbc, "c5", "SMALL_GROUP", "others", 1, MAR.plusSeconds(50), null);
    for (String c : List.of("c1", "c2", "c3", "c4")) {
      member(jdbc, c, "ann", 0);
    }
    member(jdbc, "c1", "bob", 7);
    member(jdbc, "c1", "cat", 4);
    member(jdbc, "c5", "bob", 0);
    read(jdbc, "c1", "ann", 3);
    read(jdbc, "c1", "bob", 2); // below the join seq: the floor is 7
    read(jdbc, "c1", "cat", 9);
    read(jdbc, "c5", "ann", 1); // a read position without membership lists nothing

    assertEquals(List.of(YearMonth.of(2026, 1)),
        new Partitions(jdbc).archiveOlderThan(Instant.parse("2026-02-15T00:00:00Z").plus(Duration.ofDays(30)),
            Duration.ofDays(30)),
        "January moves to the archive");
    MessageStore store = new MessageStore(jdbc);

    MessageStore.Page page = store.page("c1", 1, 10);
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L), seqs(page.messages()));
    assertEquals(4, page.archived(), "seq 1..4 came from the archive");
    MessageView first = page.messages().get(0);
    assertEquals("old 1", first.text());
    assertEquals(JAN.plusSeconds(1), first.at());
    assertEquals("ann", first.sender());
    assertEquals("c1-1", first.messageId());
    MessageView tomb = page.messages().get(6);
    assertTrue(tomb.deleted());
    assertNull(tomb.text());
    assertEquals(List.of(), tomb.attachments());
    assertEquals("new 10", page.messages().get(9).text());

    MessageStore.Page live = store.page("c1", 6, 9);
    assertEquals(List.of(6L, 7L, 8L, 9L), seqs(live.messages()));
    assertEquals(0, live.archived(), "nothing below the live rows was asked for");
    MessageStore.Page old = store.page("c1", 2, 3);
    assertEquals(List.of(2L, 3L), seqs(old.messages()));
    assertEquals(2, old.archived());
    assertEquals(List.of(), store.page("c1", 11, 20).messages());
    assertEquals(List.of(), store.page("nope", 1, 10).messages());

    MessageView withPhoto = store.page("c2", 3, 3).messages().get(0);
    assertEquals(PHOTO, withPhoto.attachments());

    assertTrue(store.isMember("c1", "bob"));
    assertFalse(store.isMember("c5", "ann"));
    assertFalse(store.isMember("c1", "zed"));

    List<MessageStore.Listed> anns = store.conversationsOf("ann", 10);
    assertEquals(List.of("c2", "c1", "c3"), anns.stream().map(MessageStore.Listed::conv).toList(),
        "newest message first, none-yet last, deleted and non-member conversations left out");
    assertEquals(new MessageStore.Listed("c2", ConversationType.PRIVATE, null, 3, 0), anns.get(0));
    assertEquals(new MessageStore.Listed("c1", ConversationType.SMALL_GROUP, "one", 10, 3), anns.get(1));
    assertEquals(new MessageStore.Listed("c3", ConversationType.CHANNEL, "news", 0, 0), anns.get(2));
    assertEquals(List.of("c2", "c1"), store.conversationsOf("ann", 2).stream().map(MessageStore.Listed::conv).toList());
    assertEquals(List.of("c5:0", "c1:7"), store.conversationsOf("bob", 10).stream()
        .map(l -> l.conv() + ":" + l.readFloor()).toList(),
        "bob joined c1 at 7 and read only up to 2: the floor is the join seq");
    assertEquals(9, store.conversationsOf("cat", 10).get(0).readFloor(), "read past the join seq: the read position");
    assertEquals(List.of(), store.conversationsOf("zed", 10));

    Map<String, MessageView> last = store.lastMessages(List.of("c1", "c2", "c3", "nope"));
    assertEquals(2, last.size(), "c3 has no message, nope does not exist");
    assertEquals(10, last.get("c1").seq());
    assertEquals("new 10", last.get("c1").text());
    assertEquals(3, last.get("c2").seq());
    assertEquals(PHOTO, last.get("c2").attachments());
    assertEquals(Map.of(), store.lastMessages(List.of()));
  }

  private static List<Long> seqs(List<MessageView> messages) {
    return messages.stream().map(MessageView::seq).toList();
  }

  private static void conversation(Jdbc jdbc, String id, String type, String name, long lastSeq, Instant lastAt,
      Instant deletedAt) throws SQLException {
    update(jdbc, "INSERT INTO conversations (conversation_id, type, name, owner_id, member_count, message_count, "
            + "last_message_seq, last_message_at, created_at, updated_at, deleted_at) VALUES (?, ?, ?, 'ann', 1, ?, ?, ?, ?, ?, ?)",
        id, type, name, lastSeq, lastSeq, Jdbc.ts(lastAt), Jdbc.ts(JAN), Jdbc.ts(JAN), Jdbc.ts(deletedAt));
  }

  private static void message(Jdbc jdbc, String conv, long seq, Instant at, String text, String attachments,
      boolean deleted) throws SQLException {
    update(jdbc, "INSERT INTO messages (conversation_id, seq, message_id, sender_id, client_msg_id, content, "
            + "attachments, created_at, deleted) VALUES (?, ?, ?, 'ann', ?, ?, ?, ?, ?)",
        conv, seq, conv + "-" + seq, "k" + seq, text, attachments, Jdbc.ts(at), deleted);
  }

  private static void member(Jdbc jdbc, String conv, String user, long joinedSeq) throws SQLException {
    update(jdbc, "INSERT INTO conversation_users (conversation_id, user_id, role, joined_seq) VALUES (?, ?, 'MEMBER', ?)",
        conv, user, joinedSeq);
  }

  private static void read(Jdbc jdbc, String conv, String user, long seq) throws SQLException {
    update(jdbc, "INSERT INTO conversation_reads (conversation_id, user_id, last_read_seq) VALUES (?, ?, ?)",
        conv, user, seq);
  }

  private static void update(Jdbc jdbc, String sql, Object... params) throws SQLException {
    jdbc.inTransaction(c -> {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        for (int i = 0; i < params.length; i++) {
          ps.setObject(i + 1, params[i]);
        }
        return ps.executeUpdate();
      }
    });
  }
}

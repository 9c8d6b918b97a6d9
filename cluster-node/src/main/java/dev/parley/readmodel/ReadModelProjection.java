package dev.parley.readmodel;

import dev.parley.sql.PooledJdbcSession;
import dev.parley.sql.Jdbc;
import dev.parley.sql.Quarantine;
import dev.parley.sql.SqlFailures;
import dev.parley.conversation.ConversationEntity;
import dev.parley.conversation.ConversationEntity.ConversationCreated;
import dev.parley.conversation.ConversationEntity.Event;
import dev.parley.conversation.ConversationEntity.MemberRemoved;
import dev.parley.conversation.ConversationEntity.MembersAdded;
import dev.parley.conversation.ConversationEntity.MessageDeleted;
import dev.parley.conversation.ConversationEntity.MessageEdited;
import dev.parley.conversation.ConversationEntity.MessagePosted;
import dev.parley.conversation.ConversationEntity.TierChanged;
import dev.parley.protocol.ProtocolCodec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.eventsourced.javadsl.EventSourcedProvider;
import org.apache.pekko.projection.javadsl.GroupedProjection;
import org.apache.pekko.projection.javadsl.SourceProvider;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;

/**
 * The SQL read model, projected from the journal: {@code conversations}, {@code conversation_users}
 * and {@code messages}. It is the only writer of {@code conversation_users} (ADR 0010); the client
 * API waits for it ({@code membership.MembershipIndex}) instead of writing. One projection per event tag ({@link ConversationEntity#TAG_COUNT}), run as a
 * sharded daemon process so each tag is projected by exactly one node. Exactly-once: each group of
 * events and the projection's offset commit in one transaction, so a crash re-projects nothing twice
 * and loses nothing (the journal is the source; the projection resumes from its stored offset).
 * Runs of posted messages go in one multi-row insert. Lag: the read journal's refresh interval plus
 * the group window under light load.
 *
 * <p>No poison pill (ADR 0013): when the database refuses a group's data (SQLState class 22 or 23,
 * e.g. a NUL written before the text rule existed), the group is rolled back to a savepoint and
 * written event by event; an event refused alone is quarantined ({@link Quarantine}: logged with its
 * persistence id and sequence number, counted, a row in {@code quarantine}, in the same transaction
 * as the offset) and the projection moves on. What that loses: the quarantined event's effect on the
 * read model (a quarantined message is missing from {@code messages}, so an old page that spans it
 * answers 503 until an operator repairs it); the journal keeps the event. Any other failure fails the
 * group and the projection retries it from its stored offset.
 */
public final class ReadModelProjection {
  public static final String NAME = "parley-read-model";
  /** The stream name in {@code parley_quarantined_total} and the quarantine table. */
  public static final String STREAM = "read-model";

  private ReadModelProjection() {}

  /** Creates the offset tables (idempotent) and starts the projections on this node's share of tags. */
  public static void start(ActorSystem<?> system, DataSource dataSource, boolean postgres, ReadModelSettings settings,
      Quarantine quarantine) throws Exception {
    quarantine.register(STREAM);
    JdbcProjection.createTablesIfNotExists(() -> new PooledJdbcSession(dataSource), system)
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    ShardedDaemonProcess.get(system).init(ProjectionBehavior.Command.class, NAME, ConversationEntity.TAG_COUNT,
        i -> ProjectionBehavior.create(
            projection(system, dataSource, postgres, settings, quarantine, "conversation-" + i)),
        ShardedDaemonProcessSettings.create(system), Optional.of(ProjectionBehavior.stopMessage()));
  }

  static GroupedProjection<Offset, EventEnvelope<Event>> projection(ActorSystem<?> system, DataSource dataSource,
      boolean postgres, ReadModelSettings settings, Quarantine quarantine, String tag) {
    SourceProvider<Offset, EventEnvelope<Event>> source =
        EventSourcedProvider.eventsByTag(system, JdbcReadJournal.Identifier(), tag);
    return JdbcProjection.<Offset, EventEnvelope<Event>, PooledJdbcSession>groupedWithin(
            ProjectionId.of(NAME, tag), source, () -> new PooledJdbcSession(dataSource),
            () -> new Handler(postgres, quarantine), system)
        .withGroup(settings.groupMax(), settings.groupWithin());
  }

  /** Events not yet projected, over all tags: tagged journal events past their tag's stored offset. */
  public static long backlog(DataSource dataSource) throws SQLException {
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
        // Quoted lowercase names: the H2 journal and offset tables are created quoted (PostgreSQL folds to the same).
        ResultSet rs = s.executeQuery("SELECT count(*) FROM \"event_tag\" t "
            + "LEFT JOIN \"pekko_projection_offset_store\" o "
            + "ON o.\"projection_name\" = '" + NAME + "' AND o.\"projection_key\" = t.\"tag\" "
            + "WHERE t.\"event_id\" > COALESCE(CAST(o.\"current_offset\" AS BIGINT), 0)")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Writes one group of events in its transaction. */
  static final class Handler extends JdbcHandler<List<EventEnvelope<Event>>, PooledJdbcSession> {
    private final boolean postgres;
    private final Quarantine quarantine;

    Handler(boolean postgres, Quarantine quarantine) {
      this.postgres = postgres;
      this.quarantine = quarantine;
    }

    @Override
    public void process(PooledJdbcSession session, List<EventEnvelope<Event>> envelopes) throws Exception {
      session.withConnection(c -> {
        Savepoint group = c.setSavepoint();
        try {
          write(c, envelopes);
        } catch (SQLException e) {
          if (!SqlFailures.isDataError(e)) {
            throw e;
          }
          c.rollback(group);
          writeOneByOne(c, envelopes);
        }
        return null;
      });
    }

    /**
     * The group's data was refused (SQLState 22/23): each event again in its own savepoint, and the
     * events refused alone are quarantined; the others, and the offset, commit as usual.
     */
    private void writeOneByOne(Connection c, List<EventEnvelope<Event>> envelopes) throws SQLException {
      for (EventEnvelope<Event> env : envelopes) {
        Savepoint one = c.setSavepoint();
        try {
          write(c, List.of(env));
        } catch (SQLException e) {
          if (!SqlFailures.isDataError(e)) {
            throw e;
          }
          c.rollback(one);
          quarantine.record(c, STREAM, env.persistenceId(), env.sequenceNr(), e);
        }
      }
    }

    private void write(Connection c, List<EventEnvelope<Event>> envelopes) throws SQLException {
      List<Posted> run = new ArrayList<>();
      for (EventEnvelope<Event> env : envelopes) {
        String conv = ConversationEntity.conversationIdOf(env.persistenceId());
        Event e = env.event();
        if (e instanceof MessagePosted p) {
          run.add(new Posted(conv, p));
          continue;
        }
        insertMessages(c, run);
        run.clear();
        apply(c, conv, e);
      }
      insertMessages(c, run);
    }

    private record Posted(String conv, MessagePosted event) {}

    private void insertMessages(Connection c, List<Posted> run) throws SQLException {
      if (run.isEmpty()) {
        return;
      }
      Map<java.time.YearMonth, Instant> months = new LinkedHashMap<>();
      for (Posted p : run) {
        months.putIfAbsent(java.time.YearMonth.from(p.event().at().atZone(java.time.ZoneOffset.UTC)), p.event().at());
      }
      for (Instant at : months.values()) {
        Partitions.ensureMonth(c, postgres, at);
      }
      String values = Jdbc.values(run.size(), "VARCHAR(128)", "BIGINT", "VARCHAR(64)", "VARCHAR(128)",
          "VARCHAR(128)", postgres ? "TEXT" : "CLOB", postgres ? "TEXT" : "CLOB", "TIMESTAMP WITH TIME ZONE");
      String sql = postgres
          ? "INSERT INTO messages (conversation_id, seq, message_id, sender_id, client_msg_id, content, attachments, "
              + "created_at) VALUES " + values + " ON CONFLICT DO NOTHING"
          : "MERGE INTO messages t USING (VALUES " + values + ") s(c, q, m, u, k, x, a, t) "
              + "ON t.conversation_id = s.c AND t.seq = s.q AND t.created_at = s.t WHEN NOT MATCHED THEN INSERT "
              + "(conversation_id, seq, message_id, sender_id, client_msg_id, content, attachments, created_at) "
              + "VALUES (s.c, s.q, s.m, s.u, s.k, s.x, s.a, s.t)";
      List<Object[]> rows = new ArrayList<>(run.size());
      Map<String, Object[]> newest = new LinkedHashMap<>();
      for (Posted p : run) {
        MessagePosted m = p.event();
        rows.add(new Object[] {p.conv(), m.seq(), m.messageId(), m.sender(), m.clientMsgId(), m.text(),
            m.attachments().isEmpty() ? null : ProtocolCodec.write(m.attachments()), m.at()});
        newest.merge(p.conv(), new Object[] {m.seq(), m.at(), 1L},
            (a, b) -> new Object[] {Math.max((long) a[0], (long) b[0]), later((Instant) a[1], (Instant) b[1]),
                (long) a[2] + 1});
      }
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        Jdbc.bind(ps, rows);
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement("UPDATE conversations SET message_count = message_count + ?, "
          + "last_message_seq = GREATEST(last_message_seq, ?), last_message_at = ?, updated_at = ? "
          + "WHERE conversation_id = ?")) {
        for (var en : newest.entrySet()) {
          Object[] v = en.getValue();
          ps.setLong(1, (long) v[2]);
          ps.setLong(2, (long) v[0]);
          ps.setObject(3, Jdbc.ts((Instant) v[1]));
          ps.setObject(4, Jdbc.ts((Instant) v[1]));
          ps.setString(5, en.getKey());
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }

    private static Instant later(Instant a, Instant b) {
      return a.isAfter(b) ? a : b;
    }

    private void apply(Connection c, String conv, Event e) throws SQLException {
      if (e instanceof ConversationCreated cc) {
        exec(c, postgres
            ? "INSERT INTO conversations (conversation_id, type, name, owner_id, member_count, created_at, updated_at) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
            : "MERGE INTO conversations t USING (VALUES (CAST(? AS VARCHAR(128)), CAST(? AS VARCHAR(16)), "
                + "CAST(? AS VARCHAR(200)), CAST(? AS VARCHAR(128)), CAST(? AS INTEGER), "
                + "CAST(? AS TIMESTAMP WITH TIME ZONE), CAST(? AS TIMESTAMP WITH TIME ZONE))) "
                + "s(i, y, n, o, m, c, u) ON t.conversation_id = s.i WHEN NOT MATCHED THEN INSERT "
                + "(conversation_id, type, name, owner_id, member_count, created_at, updated_at) "
                + "VALUES (s.i, s.y, s.n, s.o, s.m, s.c, s.u)",
            conv, cc.type().name(), cc.name(), cc.owner(), cc.members().size(), Jdbc.ts(cc.at()), Jdbc.ts(cc.at()));
        for (String u : cc.members()) {
          member(c, conv, u, u.equals(cc.owner()) ? "OWNER" : "MEMBER", 0);
        }
      } else if (e instanceof MembersAdded a) {
        for (String u : a.userIds()) {
          member(c, conv, u, a.role().name(), a.atSeq());
        }
        countMembers(c, conv, a.at());
      } else if (e instanceof MemberRemoved r) {
        exec(c, "DELETE FROM conversation_users WHERE conversation_id = ? AND user_id = ?", conv, r.userId());
        if (r.newOwner() != null) {
          exec(c, "UPDATE conversation_users SET role = 'OWNER' WHERE conversation_id = ? AND user_id = ?",
              conv, r.newOwner());
          exec(c, "UPDATE conversations SET owner_id = ? WHERE conversation_id = ?", r.newOwner(), conv);
        }
        countMembers(c, conv, r.at());
      } else if (e instanceof TierChanged t) {
        exec(c, "UPDATE conversations SET type = ?, updated_at = ? WHERE conversation_id = ?",
            t.to().name(), Jdbc.ts(t.at()), conv);
      } else if (e instanceof MessageEdited ed) {
        exec(c, "UPDATE messages SET content = ?, edited_at = ? WHERE conversation_id = ? AND seq = ?",
            ed.text(), Jdbc.ts(ed.at()), conv, ed.seq());
      } else if (e instanceof MessageDeleted d) {
        int changed = exec(c, "UPDATE messages SET content = NULL, attachments = NULL, deleted = TRUE, edited_at = ? "
            + "WHERE conversation_id = ? AND seq = ? AND deleted = FALSE", Jdbc.ts(d.at()), conv, d.seq());
        if (changed > 0) {
          exec(c, "UPDATE conversations SET message_count = message_count - 1 WHERE conversation_id = ?", conv);
        }
      }
    }

    /** The member's row with their role and join seq (an upsert: a re-projected event changes nothing). */
    private void member(Connection c, String conv, String user, String role, long joinedSeq) throws SQLException {
      exec(c, postgres
          ? "INSERT INTO conversation_users (conversation_id, user_id, role, joined_seq) VALUES (?, ?, ?, ?) "
              + "ON CONFLICT (conversation_id, user_id) DO UPDATE SET joined_seq = EXCLUDED.joined_seq"
          : "MERGE INTO conversation_users t USING (VALUES (CAST(? AS VARCHAR(128)), CAST(? AS VARCHAR(128)), "
              + "CAST(? AS VARCHAR(16)), CAST(? AS BIGINT))) s(c, u, r, j) "
              + "ON t.conversation_id = s.c AND t.user_id = s.u WHEN MATCHED THEN UPDATE SET joined_seq = s.j "
              + "WHEN NOT MATCHED THEN INSERT (conversation_id, user_id, role, joined_seq) VALUES (s.c, s.u, s.r, s.j)",
          conv, user, role, joinedSeq);
    }

    private static void countMembers(Connection c, String conv, Instant at) throws SQLException {
      exec(c, "UPDATE conversations SET member_count = (SELECT count(*) FROM conversation_users "
          + "WHERE conversation_id = ?), updated_at = ? WHERE conversation_id = ?", conv, Jdbc.ts(at), conv);
    }

    private static int exec(Connection c, String sql, Object... params) throws SQLException {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        for (int i = 0; i < params.length; i++) {
          ps.setObject(i + 1, params[i]);
        }
        return ps.executeUpdate();
      }
    }
  }
}

package dev.parley.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import dev.parley.conversation.ConversationEntity;
import dev.parley.conversation.ConversationEntity.*;
import dev.parley.conversation.Rejection;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.Role;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sharded conversation persists through the real journal, its node stops, and a new node on the
 * same storage recovers the same state: on the machine's PostgreSQL (full mode) and on the H2
 * file (embedded mode). 150 messages cross a snapshot (every 100 events), so recovery is snapshot + tail.
 */
class NodeRecoveryTest {
  static final Duration TIMEOUT = Duration.ofSeconds(15);

  @TempDir Path dataDir;

  @Test
  void recoversConversationAfterRestartOnPostgres() throws Exception {
    try (PostgresDatabase db = PostgresDatabase.create()) {
      String id = persistThenRecover(TestNodes.postgres(db, dataDir, Map.of()), () -> TestNodes.postgres(db, dataDir, Map.of()));
      try (Connection c = db.connect()) {
        assertEquals(154, count(c, "SELECT count(*) FROM event_journal WHERE persistence_id = ?", "Conversation|" + id),
            "created + 150 posts + 1 edit + 1 added + 1 post after restart");
        assertTrue(count(c, "SELECT count(*) FROM snapshot WHERE persistence_id = ?", "Conversation|" + id) >= 1);
        assertEquals(154, count(c, "SELECT count(*) FROM event_tag t JOIN event_journal j ON j.ordering = t.event_id WHERE j.persistence_id = ?",
            "Conversation|" + id), "every event is tagged for the projections");
      }
    }
  }

  @Test
  void recoversConversationAfterRestartOnEmbeddedH2() throws Exception {
    persistThenRecover(TestNodes.embedded(dataDir), () -> TestNodes.embedded(dataDir));
    assertTrue(dataDir.resolve("parley.mv.db").toFile().exists(), "embedded mode keeps its journal in the data dir");
  }

  @Test
  void unknownConversationAnswersNotFoundAndWritesNothing() throws Exception {
    try (PostgresDatabase db = PostgresDatabase.create()) {
      ParleyNode node = ParleyNode.start(TestNodes.postgres(db, dataDir, Map.of()));
      try {
        String id = "never-created";
        ExecutionException failure = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, () ->
            NodeRecoveryTest.<MessageAccepted>ask(node, id, r -> new PostMessage("ann", "m1", "hello?", List.of(), r)));
        assertEquals(ErrorCode.NOT_FOUND, Rejection.codeOf(failure));
        try (Connection c = db.connect()) {
          assertEquals(0, count(c, "SELECT count(*) FROM event_journal WHERE persistence_id = ?", "Conversation|" + id));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (TestNodes.hostedConversations(node).contains(id) && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        assertFalse(TestNodes.hostedConversations(node).contains(id),
            "a probed unknown id is passivated at once instead of idling for minutes");
      } finally {
        node.stopAndWait(TIMEOUT);
      }
    }
  }

  interface ConfigSupplier {
    Config get();
  }

  private String persistThenRecover(Config first, ConfigSupplier second) throws Exception {
    String id = "c-" + UUID.randomUUID();
    MessageAccepted firstAck;
    Summary before;
    HistorySlice pageBefore;
    ParleyNode node = ParleyNode.start(first);
    try {
      NodeRecoveryTest.<Summary>ask(node, id, r -> new Create("ann", ConversationType.SMALL_GROUP, "team", List.of("bo"), r));
      firstAck = ask(node, id, r -> new PostMessage("ann", "m-1", "first", List.of(), r));
      for (int i = 2; i <= 150; i++) {
        int n = i;
        NodeRecoveryTest.<MessageAccepted>ask(node, id, r -> new PostMessage(n % 2 == 0 ? "bo" : "ann", "m-" + n, "message " + n, List.of(), r));
      }
      NodeRecoveryTest.<Message>ask(node, id, r -> new EditMessage("bo", 150, "edited", r));
      NodeRecoveryTest.<Summary>ask(node, id, r -> new AddMembers("ann", List.of("cy"), Role.ADMIN, r));
      before = ask(node, id, r -> new GetSummary("ann", r));
      pageBefore = ask(node, id, r -> new GetHistory("cy", null, null, 20, r));
    } finally {
      node.stopAndWait(TIMEOUT);
    }

    ParleyNode again = ParleyNode.start(second.get());
    try {
      Summary after = ask(again, id, r -> new GetSummary("ann", r));
      assertEquals(before, after);
      assertEquals(150, after.lastSeq());
      assertEquals(3, after.memberCount());
      assertEquals(pageBefore, NodeRecoveryTest.<HistorySlice>ask(again, id, r -> new GetHistory("cy", null, null, 20, r)));
      assertEquals("edited", after.lastMessage().text());

      MessageAccepted resent = ask(again, id, r -> new PostMessage("ann", "m-1", "first", List.of(), r));
      assertTrue(resent.duplicate(), "the dedup window survives the restart");
      assertEquals(firstAck.seq(), resent.seq());
      assertEquals(firstAck.messageId(), resent.messageId());

      MessageAccepted next = ask(again, id, r -> new PostMessage("cy", "c-1", "after restart", List.of(), r));
      assertFalse(next.duplicate());
      assertEquals(151, next.seq());
    } finally {
      again.stopAndWait(TIMEOUT);
    }
    return id;
  }

  static <R> R ask(ParleyNode node, String id, Function<ActorRef<StatusReply<R>>, Command> command) throws Exception {
    EntityRef<Command> ref = ClusterSharding.get(node.system()).entityRefFor(ConversationEntity.ENTITY_KEY, id);
    CompletionStage<R> reply = ref.askWithStatus(command::apply, TIMEOUT);
    return reply.toCompletableFuture().get(TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
  }

  static long count(Connection c, String sql, String param) throws Exception {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, param);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}

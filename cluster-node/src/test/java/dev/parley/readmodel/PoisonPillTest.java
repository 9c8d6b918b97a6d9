package dev.parley.readmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.parley.app.ParleyNode;
import dev.parley.app.PostgresDatabase;
import dev.parley.app.TestNodes;
import dev.parley.conversation.ConversationEntity;
import dev.parley.conversation.ConversationEntity.ConversationCreated;
import dev.parley.conversation.ConversationEntity.Event;
import dev.parley.conversation.ConversationEntity.MessagePosted;
import dev.parley.protocol.ConversationType;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No poison pill in the read model (ADR 0013). A record the database refuses is put in the journal
 * the way the old validation let it in: a message whose text holds NUL, which the journal (CBOR) keeps
 * but PostgreSQL text cannot ({@code invalid byte sequence for encoding "UTF8": 0x00}, SQLState 22021).
 * It is written straight to the journal by a stand-in for the old entity ({@link JournalWriter},
 * same persistence id scheme and tag), since today's entity refuses it. Before the fix the
 * projection of that tag failed on it forever, so the other conversations of the tag stopped reaching
 * {@code messages}. Now: they keep flowing (messages before and after the poison, in the same and in
 * later groups), the poison conversation's next message is projected too, and the refused event alone
 * is quarantined: a row naming its persistence id and sequence number, and the metric.
 */
class PoisonPillTest {
  static final Duration ASK = Duration.ofSeconds(10);

  @TempDir Path dir;

  /** Persists whatever events it is given, as the old entity would have; replies when stored. */
  record Write(List<Event> events, ActorRef<Done> replyTo) {}

  static final class JournalWriter extends EventSourcedBehavior<Write, Event, String> {
    private final Set<String> tags;

    JournalWriter(String conversationId) {
      super(PersistenceId.of(ConversationEntity.ENTITY_KEY.name(), conversationId));
      this.tags = Set.of(tagOf(conversationId));
    }

    @Override
    public String emptyState() {
      return "";
    }

    @Override
    public CommandHandler<Write, Event, String> commandHandler() {
      return newCommandHandlerBuilder().forAnyState()
          .onCommand(Write.class, (state, w) -> Effect().persist(w.events()).thenRun(s -> w.replyTo().tell(Done.getInstance())))
          .build();
    }

    @Override
    public EventHandler<String, Event> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onAnyEvent((state, e) -> state);
    }

    @Override
    public Set<String> tagsFor(Event event) {
      return tags;
    }
  }

  static String tagOf(String conversationId) {
    return "conversation-" + Math.floorMod(conversationId.hashCode(), ConversationEntity.TAG_COUNT);
  }

  @Test
  void aMessageTheDatabaseRefusesIsQuarantinedAndTheRestOfItsTagKeepsFlowing() throws Exception {
    try (PostgresDatabase db = PostgresDatabase.create()) {
      ParleyNode node = ParleyNode.start(TestNodes.postgres(db, dir, Map.of()));
      try {
        String poison = "poison-" + UUID.randomUUID();
        List<String> victims = new ArrayList<>();
        for (int i = 0; victims.size() < 2; i++) {
          String id = "victim-" + i + "-" + UUID.randomUUID();
          if (tagOf(id).equals(tagOf(poison))) {
            victims.add(id);
          }
        }
        for (String v : victims) {
          PoisonPillTest.<ConversationEntity.Summary>ask(node, v,
              r -> new ConversationEntity.Create("ann", ConversationType.SMALL_GROUP, "victim", List.of("bo"), r));
          post(node, v, "before");
        }

        Instant now = Instant.now();
        ActorRef<Write> writer = node.system().systemActorOf(new JournalWriter(poison), "journal-writer", Props.empty());
        AskPattern.<Write, Done>ask(writer, r -> new Write(List.of(
                new ConversationCreated(poison, ConversationType.SMALL_GROUP, "poison", "ann", List.of("ann", "bo"), now),
                new MessagePosted(1, UUID.randomUUID().toString(), "ann", "p-1", "nul \u0000 inside", List.of(), now),
                new MessagePosted(2, UUID.randomUUID().toString(), "bo", "p-2", "fine after it", List.of(), now)), r),
            ASK, node.system().scheduler()).toCompletableFuture().get();

        for (String v : victims) {
          post(node, v, "after");
          post(node, v, "and again");
        }

        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (ReadModelProjection.backlog(node.dataSource()) > 0 && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        assertEquals(0, ReadModelProjection.backlog(node.dataSource()), "the tag's projection got past the poison");
        try (Connection c = db.connect()) {
          for (String v : victims) {
            assertEquals(List.of("before", "after", "and again"), texts(c, v), v + " kept reaching the messages table");
          }
          assertEquals(List.of("fine after it"), texts(c, poison), "only the refused event is missing");
          assertEquals(List.of(ConversationEntity.persistenceIdOf(poison).id() + " #2 read-model"),
              quarantined(c), "the refused event is quarantined by persistence id and sequence number");
        }
        assertEquals(1.0, node.metrics().registry().get("parley.quarantined")
            .tag("stream", ReadModelProjection.STREAM).counter().count());
      } finally {
        node.stopAndWait(Duration.ofSeconds(30));
      }
    }
  }

  private static void post(ParleyNode node, String conv, String text) throws Exception {
    PoisonPillTest.<ConversationEntity.MessageAccepted>ask(node, conv,
        r -> new ConversationEntity.PostMessage("ann", UUID.randomUUID().toString(), text, List.of(), r));
  }

  private static List<String> texts(Connection c, String conv) throws Exception {
    try (PreparedStatement ps = c.prepareStatement("SELECT content FROM messages WHERE conversation_id = ? ORDER BY seq")) {
      ps.setString(1, conv);
      List<String> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      return out;
    }
  }

  private static List<String> quarantined(Connection c) throws Exception {
    try (PreparedStatement ps = c.prepareStatement("SELECT source, sequence_nr, stream FROM quarantine ORDER BY id");
        ResultSet rs = ps.executeQuery()) {
      List<String> out = new ArrayList<>();
      while (rs.next()) {
        out.add(rs.getString(1) + " #" + rs.getLong(2) + " " + rs.getString(3));
      }
      return out;
    }
  }

  private static <R> R ask(ParleyNode node, String conv,
      Function<ActorRef<StatusReply<R>>, ConversationEntity.Command> command) throws Exception {
    return ClusterSharding.get(node.system()).entityRefFor(ConversationEntity.ENTITY_KEY, conv)
        .<R>askWithStatus(command::apply, ASK).toCompletableFuture().get();
  }
}

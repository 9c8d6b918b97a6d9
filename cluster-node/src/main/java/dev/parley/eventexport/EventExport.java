package dev.parley.eventexport;

import dev.parley.kafka.KafkaSettings;
import dev.parley.kafka.KafkaProducers;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.conversation.ConversationEntity;
import dev.parley.conversation.ConversationEntity.ConversationCreated;
import dev.parley.conversation.ConversationEntity.Event;
import dev.parley.conversation.ConversationEntity.MemberRemoved;
import dev.parley.conversation.ConversationEntity.MembersAdded;
import dev.parley.conversation.ConversationEntity.MessageDeleted;
import dev.parley.conversation.ConversationEntity.MessageEdited;
import dev.parley.conversation.ConversationEntity.MessagePosted;
import dev.parley.conversation.ConversationEntity.TierChanged;
import dev.parley.protocol.Attachment;
import dev.parley.sql.PooledJdbcSession;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.eventsourced.javadsl.EventSourcedProvider;
import org.apache.pekko.projection.javadsl.AtLeastOnceProjection;
import org.apache.pekko.projection.javadsl.Handler;
import org.apache.pekko.projection.javadsl.SourceProvider;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;

/**
 * Publishes every persisted conversation event to the events topic, keyed by conversation id, as
 * JSON: a projection of the journal (not of the send path), one per event tag
 * ({@link ConversationEntity#TAG_COUNT}), run as a sharded daemon process so each tag is published
 * by exactly one node. Its offsets live in the projection offset table under {@link #NAME}.
 *
 * <p>Record value: {@code {"type": "MessagePosted"|"MessageEdited"|"MessageDeleted"|
 * "ConversationCreated"|"MembersAdded"|"MemberRemoved"|"TierChanged", "conversationId", "journalSeq",
 * "at", ...}} with, per type: {@code seq, messageId, sender, clientMsgId, text, attachments}
 * (posted); {@code seq, by, text} (edited); {@code seq, by} (deleted); {@code conversationType, name,
 * owner, members} (created); {@code userIds, role, by, atSeq} (added); {@code userId, by, newOwner}
 * (removed); {@code from, to, memberCount} (tier). {@code journalSeq} is the event's sequence number
 * in its conversation's journal: unique and increasing per conversation across all types.
 *
 * <p>Order and delivery: a tag's projection hands the producer one envelope at a time and the next
 * only after the broker acknowledged the previous one (acks=all, idempotent producer), and all of
 * a conversation's events carry one tag and one key (so one partition): per conversation, events
 * arrive in journal order. Delivery is at-least-once: the offset is saved every 100 envelopes or
 * 500 ms, so after a crash, a failed send or a hand-over of the tag to another node, the events
 * since the last saved offset are published again. Consumers dedupe: drop an event whose
 * {@code journalSeq} is not above the last one seen for its conversation (for message events,
 * {@code conversationId + seq + type} identifies them as well). A failed send fails the projection,
 * which restarts after {@code pekko.projection.restart-backoff} from its saved offset; nothing is
 * lost, the journal is the source.
 */
public final class EventExport {
  public static final String NAME = "parley-events";

  /** The protocol's one mapper (ISO instants, nulls left out): the same JSON as the wire. */
  private static final ObjectMapper JSON = dev.parley.protocol.ProtocolCodec.mapper();

  private final Producer<String, String> producer;
  private final String topic;
  private final Executor blocking;
  private final Counter published;

  private EventExport(Producer<String, String> producer, String topic, Executor blocking, Counter published) {
    this.producer = producer;
    this.topic = topic;
    this.blocking = blocking;
    this.published = published;
  }

  /**
   * Creates the projection offset tables (idempotent), then starts this node's share of the tag
   * projections. The producer is closed when the actor system terminates (after the projections
   * were stopped by the sharding shutdown). Counts {@code parley.events.published}.
   */
  public static void start(ActorSystem<?> system, DataSource dataSource, String bootstrap, String topic,
      MeterRegistry metrics) throws Exception {
    JdbcProjection.createTablesIfNotExists(() -> new PooledJdbcSession(dataSource), system)
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    Producer<String, String> producer = KafkaProducers.create(system, bootstrap);
    system.getWhenTerminated().thenRun(() -> producer.close(Duration.ofSeconds(5)));
    Counter published = Counter.builder("parley.events.published")
        .description("conversation events acknowledged by Kafka").register(metrics);
    EventExport stream = new EventExport(producer, topic,
        system.dispatchers().lookup(DispatcherSelector.blocking()), published);
    ShardedDaemonProcess.get(system).init(ProjectionBehavior.Command.class, NAME, ConversationEntity.TAG_COUNT,
        i -> ProjectionBehavior.create(stream.projection(system, dataSource, "conversation-" + i)),
        ShardedDaemonProcessSettings.create(system), Optional.of(ProjectionBehavior.stopMessage()));
  }

  AtLeastOnceProjection<Offset, EventEnvelope<Event>> projection(ActorSystem<?> system, DataSource dataSource,
      String tag) {
    SourceProvider<Offset, EventEnvelope<Event>> source =
        EventSourcedProvider.eventsByTag(system, JdbcReadJournal.Identifier(), tag);
    return JdbcProjection.atLeastOnceAsync(ProjectionId.of(NAME, tag), source,
        () -> new PooledJdbcSession(dataSource), () -> new Publisher(), system);
  }

  /** Sends one envelope and completes when Kafka acknowledged it. */
  private final class Publisher extends Handler<EventEnvelope<Event>> {
    @Override
    public CompletionStage<Done> process(EventEnvelope<Event> envelope) {
      String conversationId = ConversationEntity.conversationIdOf(envelope.persistenceId());
      String json = toJson(conversationId, envelope.sequenceNr(), envelope.event());
      return KafkaProducers.send(producer, new ProducerRecord<>(topic, conversationId, json), blocking, published);
    }
  }


  /** The record value of one event (see the class comment for the fields). */
  static String toJson(String conversationId, long journalSeq, Event event) {
    ObjectNode o = JSON.createObjectNode();
    o.put("type", event.getClass().getSimpleName());
    o.put("conversationId", conversationId);
    o.put("journalSeq", journalSeq);
    if (event instanceof MessagePosted p) {
      o.put("seq", p.seq());
      o.put("messageId", p.messageId());
      o.put("sender", p.sender());
      o.put("clientMsgId", p.clientMsgId());
      o.put("text", p.text());
      ArrayNode attachments = o.putArray("attachments");
      for (Attachment a : p.attachments()) {
        attachments.add(JSON.valueToTree(a));
      }
      at(o, p.at());
    } else if (event instanceof MessageEdited e) {
      o.put("seq", e.seq());
      o.put("by", e.by());
      o.put("text", e.text());
      at(o, e.at());
    } else if (event instanceof MessageDeleted d) {
      o.put("seq", d.seq());
      o.put("by", d.by());
      at(o, d.at());
    } else if (event instanceof ConversationCreated c) {
      o.put("conversationType", c.type().name());
      o.put("name", c.name());
      o.put("owner", c.owner());
      strings(o.putArray("members"), c.members());
      at(o, c.at());
    } else if (event instanceof MembersAdded a) {
      strings(o.putArray("userIds"), a.userIds());
      o.put("role", a.role().name());
      o.put("by", a.by());
      o.put("atSeq", a.atSeq());
      at(o, a.at());
    } else if (event instanceof MemberRemoved r) {
      o.put("userId", r.userId());
      o.put("by", r.by());
      o.put("newOwner", r.newOwner());
      at(o, r.at());
    } else if (event instanceof TierChanged t) {
      o.put("from", t.from().name());
      o.put("to", t.to().name());
      o.put("memberCount", t.memberCount());
      at(o, t.at());
    }
    return o.toString();
  }

  private static void at(ObjectNode o, Instant at) {
    o.put("at", at == null ? null : at.toString());
  }

  private static void strings(ArrayNode array, List<String> values) {
    values.forEach(array::add);
  }
}

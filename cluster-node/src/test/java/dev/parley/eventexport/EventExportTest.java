package dev.parley.eventexport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.KafkaTestBroker;
import dev.parley.app.ParleyNode;
import dev.parley.app.PostgresDatabase;
import dev.parley.app.TestNodes;
import dev.parley.conversation.ConversationEntity;
import dev.parley.conversation.ConversationEntity.Create;
import dev.parley.conversation.ConversationEntity.PostMessage;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.Role;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The journal reaches the events topic: a full-mode node on the real PostgreSQL (its journal and
 * the projection offsets) writes conversation events through its sharded entities; EventExport,
 * started on that node against the in-JVM broker, publishes them. Checks that every event arrives
 * once, keyed by its conversation, per conversation in journal order with no gap, both the backlog
 * written before the stream started and events written while it runs; and the JSON fields of each
 * event type.
 */
class EventExportTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String TOPIC = "parley.events.test";
  static KafkaTestBroker broker;
  static PostgresDatabase db;
  static ParleyNode node;

  @BeforeAll
  static void setUp() throws Exception {
    broker = KafkaTestBroker.start();
    broker.createTopic(TOPIC, 4);
    db = PostgresDatabase.create();
    node = ParleyNode.start(TestNodes.postgres(db, Files.createTempDirectory("parley-events"), Map.of()));
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (node != null) {
      node.stopAndWait(Duration.ofSeconds(30));
    }
    if (db != null) {
      db.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  private static <R> R ask(String conv, Function<ActorRef<StatusReply<R>>, ConversationEntity.Command> command)
      throws Exception {
    return ClusterSharding.get(node.system()).entityRefFor(ConversationEntity.ENTITY_KEY, conv)
        .<R>askWithStatus(command::apply, Duration.ofSeconds(5)).toCompletableFuture().get();
  }

  private static void post(String conv, String sender, int n) throws Exception {
    ConversationEntity.MessageAccepted ignored =
        ask(conv, r -> new PostMessage(sender, "m-" + conv + "-" + n, "message " + n + " of " + conv, List.of(), r));
  }

  @Test
  void everyJournalEventReachesTheTopicInOrderPerConversation() throws Exception {
    // Three conversations, chosen to spread over several tags (each tag is its own projection).
    List<String> convs = List.of("ev-alpha", "ev-bravo", "ev-charlie");
    Map<String, Integer> posted = new LinkedHashMap<>();
    for (String c : convs) {
      ConversationEntity.Summary created =
          ask(c, r -> new Create("ann", ConversationType.SMALL_GROUP, "room " + c, List.of("bo"), r));
      posted.put(c, 0);
    }
    // The backlog: 36 messages written before the stream starts, interleaved across conversations.
    for (int i = 1; i <= 12; i++) {
      for (String c : convs) {
        post(c, i % 2 == 0 ? "ann" : "bo", posted.merge(c, 1, Integer::sum));
      }
    }
    ConversationEntity.Message edited = ask("ev-alpha", r -> new ConversationEntity.EditMessage("bo", 1, "edited", r));
    ConversationEntity.Message deleted = ask("ev-bravo", r -> new ConversationEntity.DeleteMessage("ann", 2, r));
    ConversationEntity.Summary added =
        ask("ev-charlie", r -> new ConversationEntity.AddMembers("ann", List.of("cy"), Role.MEMBER, r));

    EventExport.start(node.system(), node.dataSource(), broker.bootstrapServers(), TOPIC, node.metrics().registry());

    // Live: 14 more while it runs (50 messages in all).
    for (int i = 1; i <= 14; i++) {
      String c = convs.get(i % convs.size());
      post(c, "ann", posted.merge(c, 1, Integer::sum));
    }
    assertEquals(50, posted.values().stream().mapToInt(Integer::intValue).sum());
    // Per conversation: created + its messages, plus one edit, one delete, one member added.
    int expected = convs.size() + 50 + 3;

    Map<String, List<JsonNode>> byConversation = consume(expected);

    for (String c : convs) {
      List<JsonNode> events = byConversation.get(c);
      List<Long> journalSeqs = events.stream().map(e -> e.path("journalSeq").asLong()).toList();
      assertEquals(LongStream.rangeClosed(1, journalSeqs.size()).boxed().toList(), journalSeqs,
          c + ": every journal event once, in journal order");
      List<Long> seqs = events.stream().filter(e -> e.path("type").asText().equals("MessagePosted"))
          .map(e -> e.path("seq").asLong()).toList();
      assertEquals(LongStream.rangeClosed(1, posted.get(c)).boxed().toList(), seqs,
          c + ": every posted message, seqs increasing, none missing");
      JsonNode first = events.get(0);
      assertEquals("ConversationCreated", first.path("type").asText());
      assertEquals("SMALL_GROUP", first.path("conversationType").asText());
      assertEquals("ann", first.path("owner").asText());
      assertEquals(List.of("ann", "bo"), strings(first.path("members")).stream().sorted().toList());
    }

    JsonNode firstPost = byConversation.get("ev-alpha").stream()
        .filter(e -> e.path("type").asText().equals("MessagePosted")).findFirst().orElseThrow();
    assertEquals("bo", firstPost.path("sender").asText());
    assertEquals("message 1 of ev-alpha", firstPost.path("text").asText());
    assertEquals("m-ev-alpha-1", firstPost.path("clientMsgId").asText());
    assertTrue(firstPost.path("messageId").asText().length() > 0);
    Instant.parse(firstPost.path("at").asText());

    JsonNode edit = only(byConversation.get("ev-alpha"), "MessageEdited");
    assertEquals(1, edit.path("seq").asLong());
    assertEquals("bo", edit.path("by").asText());
    assertEquals("edited", edit.path("text").asText());
    JsonNode delete = only(byConversation.get("ev-bravo"), "MessageDeleted");
    assertEquals(2, delete.path("seq").asLong());
    assertEquals("ann", delete.path("by").asText());
    JsonNode add = only(byConversation.get("ev-charlie"), "MembersAdded");
    assertEquals(List.of("cy"), strings(add.path("userIds")));
    assertEquals("MEMBER", add.path("role").asText());
    assertEquals(12, add.path("atSeq").asLong(), "cy joined when ev-charlie's last seq was 12");

    assertEquals(expected, (long) node.metrics().registry().get("parley.events.published").counter().count());
    try (Connection c = node.dataSource().getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(DISTINCT projection_key) FROM pekko_projection_offset_store "
            + "WHERE projection_name = '" + EventExport.NAME + "'")) {
      rs.next();
      long tags = convs.stream().map(cv -> Math.floorMod(cv.hashCode(), ConversationEntity.TAG_COUNT)).distinct().count();
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      long stored = rs.getLong(1);
      while (stored < tags && System.nanoTime() < deadline) {
        Thread.sleep(100);
        try (ResultSet again = s.executeQuery("SELECT count(DISTINCT projection_key) FROM "
            + "pekko_projection_offset_store WHERE projection_name = '" + EventExport.NAME + "'")) {
          again.next();
          stored = again.getLong(1);
        }
      }
      assertEquals(tags, stored, "each tag with events saved its offset");
    }
  }

  private static JsonNode only(List<JsonNode> events, String type) {
    List<JsonNode> matching = events.stream().filter(e -> e.path("type").asText().equals(type)).toList();
    assertEquals(1, matching.size(), type);
    return matching.get(0);
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  /**
   * Reads the whole topic from the start until {@code expected} records arrived (at most 30 s), then
   * a little longer to catch duplicates; returns them per conversation in partition order.
   */
  private static Map<String, List<JsonNode>> consume(int expected) throws Exception {
    Map<String, List<JsonNode>> out = new HashMap<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"), new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(TOPIC).stream()
          .map(p -> new TopicPartition(TOPIC, p.partition())).collect(Collectors.toList());
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      int received = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      long settle = Long.MAX_VALUE;
      while (System.nanoTime() < Math.min(deadline, settle)) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
          JsonNode event = JSON.readTree(r.value());
          assertEquals(r.key(), event.path("conversationId").asText(), "keyed by conversation id");
          out.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(event);
          received++;
        }
        if (received >= expected && settle == Long.MAX_VALUE) {
          settle = System.nanoTime() + Duration.ofMillis(700).toNanos();
        }
      }
      assertEquals(expected, received, "records on the topic: " + out.keySet());
    }
    return out;
  }
}

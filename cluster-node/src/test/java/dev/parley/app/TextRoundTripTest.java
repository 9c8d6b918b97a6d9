package dev.parley.app;

import static dev.parley.client.ClientTests.signUp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.KafkaTestBroker;
import dev.parley.client.FrameQueue;
import dev.parley.client.ParleyClient;
import dev.parley.client.ParleySession;
import dev.parley.client.ParleySocket;
import dev.parley.conversation.ConversationEntity;
import dev.parley.protocol.ConversationInfo;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.HistoryPage;
import dev.parley.protocol.MessageView;
import dev.parley.protocol.ProtocolCodec;
import dev.parley.protocol.ServerFrame;
import dev.parley.readmodel.ReadModelProjection;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The text rule (docs/protocol.md "Text", ADR 0013) through a real full-mode node: PostgreSQL,
 * Redis and Kafka (the events topic; receipts through Kafka too). Strings generated from a seed
 * ({@link TextCases}: NUL, controls, DEL, C1, unpaired and reversed surrogates, astral characters,
 * combining marks, right-to-left text, noncharacters, the 4000-code-point boundary) are sent as
 * message texts and clientMsgIds over the WebSocket, with every UTF-16 unit carried as it is, and as
 * conversation names over REST. Each answer must be what the case's construction predicts: an ack,
 * or {@code bad_request} / {@code too_large}. Then every acknowledged string must come back
 * identical (Java string equality, i.e. the same UTF-16 units and so the same UTF-8 bytes) from the
 * {@code messages} table, the history API from the cache (Redis) and from the store, the events
 * topic, and, after the node restarts, the journal (CBOR); and nothing refused may have left a trace:
 * acked seqs are 1..n without gaps, no row, no event, nothing quarantined, and the conversation still
 * answers (an unpaired surrogate used to crash it for good). Seed: {@code -Dparley.text.seed=...}.
 */
class TextRoundTripTest {
  static final long SEED = Long.getLong("parley.text.seed", 20261203L);
  static final Duration WAIT = Duration.ofSeconds(15);
  static final String KEY_PREFIX = "parley-test-" + UUID.randomUUID() + ":";
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  /** What the node must answer to a send of {@code text}: null for an ack, else the error code. */
  static ErrorCode expected(TextCases.Case c, int maxCodePoints) {
    if (!c.wellFormed() || c.value().isBlank()) {
      return ErrorCode.BAD_REQUEST;
    }
    return c.value().codePointCount(0, c.value().length()) > maxCodePoints ? ErrorCode.TOO_LARGE : null;
  }

  record Sent(String clientMsgId, String text) {}

  @Test
  void everyAckedStringRoundTripsThroughEveryStoreAndEveryRefusedOneLeavesNoTrace() throws Exception {
    TextCases gen = new TextCases(SEED);
    String events = "parley.events.text";
    try (KafkaTestBroker broker = KafkaTestBroker.start(); PostgresDatabase db = PostgresDatabase.create()) {
      broker.createTopic(events, 2);
      broker.createTopic("parley.receipts.text", 2);
      Map<String, Object> extra = new HashMap<>();
      extra.put("parley.redis.url", "redis://127.0.0.1:6379");
      extra.put("parley.auth.redis-key-prefix", KEY_PREFIX);
      extra.put("parley.kafka.bootstrap", broker.bootstrapServers());
      extra.put("parley.kafka.events-topic", events);
      extra.put("parley.kafka.receipts-group", "text-" + UUID.randomUUID());
      extra.put("parley.receipts.kafka-topic", "parley.receipts.text");
      extra.put("parley.conversation.recent-window", 20);
      extra.put("parley.session.max-errors-per-minute", 100000);
      extra.put("parley.session.send-rate", 100000);
      extra.put("parley.session.send-burst", 100000);
      extra.put("parley.session.frame-rate", 100000);
      extra.put("parley.session.frame-burst", 100000);

      ParleyNode node = ParleyNode.start(TestNodes.postgres(db, dir, extra));
      int max = node.conversationSettings().maxTextLength();
      String conv;
      TreeMap<Long, Sent> acked = new TreeMap<>();
      List<String> refusedIds = new ArrayList<>();
      int namesAccepted = 0;
      String ann = "ann" + UUID.randomUUID().toString().substring(0, 6);
      try {
        ParleyClient parley = ParleyClient.create(node.httpUrl());
        String bo = "bo" + UUID.randomUUID().toString().substring(0, 6);
        ParleySession annSession = signUp(parley, ann);
        ParleySession boSession = signUp(parley, bo);

        // Conversation names over REST: a one-line field.
        for (TextCases.Case c : gen.lines(10, 8)) {
          String name = "n" + c.value();
          String body = "{\"type\":\"SMALL_GROUP\",\"name\":" + gen.jsonString(name) + ",\"members\":[\"" + bo + "\"]}";
          ParleyClient.RawResponse r = parley.exchange("POST", "/api/conversations", annSession.token(), body).join();
          if (c.wellFormed()) {
            assertEquals(201, r.status(), c + " -> " + r.body());
            ConversationInfo info = ProtocolCodec.read(r.body(), ConversationInfo.class);
            assertEquals(name, info.name(), "the name as stored by the entity");
            assertEquals(name, annSession.conversation(info.id()).join().name());
            namesAccepted++;
          } else {
            assertEquals(400, r.status(), c + " -> " + r.body());
            assertTrue(r.body().contains("\"bad_request\""), r.body());
          }
        }

        conv = annSession.createConversation(ConversationType.SMALL_GROUP, "texts", List.of(bo)).join().id();
        FrameQueue frames = new FrameQueue();
        try (ParleySocket socket = annSession.connect(frames).get(10, TimeUnit.SECONDS)) {
          int i = 0;
          List<TextCases.Case> ids = gen.lines(25, 8);
          List<TextCases.Case> texts = gen.messageTexts(60, max);
          for (int k = 0; k < texts.size() + ids.size(); k++) {
            i++;
            TextCases.Case text = k < texts.size() ? texts.get(k) : new TextCases.Case("id case " + i, true, "plain");
            TextCases.Case id = k < texts.size() ? new TextCases.Case("k" + i, true, "plain") : ids.get(k - texts.size());
            String clientMsgId = id.value() + "#" + i;
            ErrorCode want = !id.wellFormed() ? ErrorCode.BAD_REQUEST : expected(text, max);
            socket.sendRaw("{\"type\":\"send\",\"conv\":\"" + conv + "\",\"clientMsgId\":" + gen.jsonString(clientMsgId)
                + ",\"text\":" + gen.jsonString(text.value()) + "}").get(10, TimeUnit.SECONDS);
            ServerFrame answer = frames.next(ServerFrame.class,
                f -> f instanceof ServerFrame.AckFrame || f instanceof ServerFrame.ErrorFrame, WAIT);
            String what = "case " + i + " (" + text.why() + ", id " + id.why() + ") " + escaped(text.value())
                + " / " + escaped(clientMsgId) + " -> " + answer;
            if (want == null) {
              ServerFrame.AckFrame ack = assertInstance(ServerFrame.AckFrame.class, answer, what);
              assertEquals(clientMsgId, ack.clientMsgId(), what);
              assertEquals(acked.size() + 1, ack.seq(), "acked seqs have no gap: " + what);
              acked.put(ack.seq(), new Sent(clientMsgId, text.value()));
            } else {
              ServerFrame.ErrorFrame error = assertInstance(ServerFrame.ErrorFrame.class, answer, what);
              assertEquals(want, error.code(), what);
              refusedIds.add(clientMsgId);
            }
          }
        }
        assertTrue(acked.size() > 50 && refusedIds.size() > 30, "both kinds were exercised: " + acked.size()
            + " acked, " + refusedIds.size() + " refused");
        awaitProjected(node);

        // PostgreSQL: the messages table, row by row.
        assertEquals(acked, stored(db, conv), "messages rows equal what was acked, and nothing else");
        try (Connection c = db.connect()) {
          assertEquals(1 + namesAccepted, count(c, "SELECT count(*) FROM conversations"), "no refused name left a row");
          assertEquals(0, count(c, "SELECT count(*) FROM quarantine"), "nothing had to be quarantined");
        }

        // Redis: the newest page comes from the cache once the write-through landed.
        HistoryPage cached = null;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
          cached = boSession.history(conv, null, null, 50).join();
          if (HistoryPage.SOURCE_CACHE.equals(cached.source()) && !cached.messages().isEmpty()
              && cached.messages().get(cached.messages().size() - 1).seq() == acked.lastKey()) {
            break;
          }
          Thread.sleep(50);
        }
        assertEquals(HistoryPage.SOURCE_CACHE, cached.source());
        assertPage(acked, cached);
        // The store: everything older than the cached page, in pages of 100.
        long before = cached.messages().get(0).seq();
        while (before > 1) {
          HistoryPage page = boSession.history(conv, before, null, 100).join();
          assertEquals(HistoryPage.SOURCE_STORE, page.source(), "before " + before);
          assertPage(acked, page);
          before = page.messages().get(0).seq();
        }

        // Kafka: the events topic.
        assertEquals(acked, published(broker, events, conv, acked.size()), "MessagePosted events on the topic");
      } finally {
        node.stopAndWait(Duration.ofSeconds(30));
      }

      // The journal (CBOR), read back by a new node, and the conversation recovered from it.
      ParleyNode again = ParleyNode.start(TestNodes.postgres(db, dir, extra));
      try {
        assertEquals(acked, journaled(again, conv), "MessagePosted events in the journal equal what was acked");
        String sender = ann;
        ConversationEntity.MessageAccepted next = NodeRecoveryTest.ask(again, conv,
            r -> new ConversationEntity.PostMessage(sender, "after-restart", "after restart", List.of(), r));
        assertEquals(acked.size() + 1, next.seq(), "the conversation recovered; no refused send consumed a seq");
      } finally {
        again.stopAndWait(Duration.ofSeconds(30));
      }
    }
  }

  private static <T> T assertInstance(Class<T> type, Object value, String what) {
    assertTrue(type.isInstance(value), what);
    return type.cast(value);
  }

  private static void assertPage(TreeMap<Long, Sent> acked, HistoryPage page) {
    for (MessageView m : page.messages()) {
      assertEquals(acked.get(m.seq()).text(), m.text(), "seq " + m.seq() + " from " + page.source());
    }
  }

  private static void awaitProjected(ParleyNode node) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (ReadModelProjection.backlog(node.dataSource()) > 0 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertEquals(0, ReadModelProjection.backlog(node.dataSource()), "the projection caught up");
  }

  private static TreeMap<Long, Sent> stored(PostgresDatabase db, String conv) throws Exception {
    TreeMap<Long, Sent> out = new TreeMap<>();
    try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(
        "SELECT seq, client_msg_id, content FROM messages WHERE conversation_id = ? ORDER BY seq")) {
      ps.setString(1, conv);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getLong(1), new Sent(rs.getString(2), rs.getString(3)));
        }
      }
    }
    return out;
  }

  private static long count(Connection c, String sql) throws Exception {
    try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static TreeMap<Long, Sent> published(KafkaTestBroker broker, String topic, String conv, int expected)
      throws Exception {
    TreeMap<Long, Sent> out = new TreeMap<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"), new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (out.size() < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
          JsonNode e = JSON.readTree(r.value());
          if (conv.equals(r.key()) && "MessagePosted".equals(e.path("type").asText())) {
            out.put(e.path("seq").asLong(), new Sent(e.path("clientMsgId").asText(), e.path("text").asText()));
          }
        }
      }
    }
    return out;
  }

  private static TreeMap<Long, Sent> journaled(ParleyNode node, String conv) throws Exception {
    JdbcReadJournal journal = PersistenceQuery.get(node.system().classicSystem())
        .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    List<EventEnvelope> envelopes = journal
        .currentEventsByPersistenceId(ConversationEntity.persistenceIdOf(conv).id(), 0, Long.MAX_VALUE)
        .runWith(Sink.seq(), node.system()).toCompletableFuture().get(30, TimeUnit.SECONDS);
    TreeMap<Long, Sent> out = new TreeMap<>();
    for (EventEnvelope env : envelopes) {
      if (env.event() instanceof ConversationEntity.MessagePosted p) {
        out.put(p.seq(), new Sent(p.clientMsgId(), p.text()));
      }
    }
    return out;
  }

  private static String escaped(String s) {
    StringBuilder sb = new StringBuilder();
    int shown = 0;
    for (char ch : s.toCharArray()) {
      if (shown++ > 40) {
        return sb.append("...(").append(s.length()).append(" units)").toString();
      }
      sb.append(ch >= 0x20 && ch < 0x7F ? String.valueOf(ch) : String.format("\\u%04X", (int) ch));
    }
    return sb.toString();
  }
}

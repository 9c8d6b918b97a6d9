package dev.parley.readmodel;

import dev.parley.sql.Jdbc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.TcpProxy;
import dev.parley.app.ParleyNode;
import dev.parley.app.PostgresDatabase;
import dev.parley.app.TestNodes;
import dev.parley.conversation.ConversationEntity;
import dev.parley.http.ApiClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One full-mode node on the real PostgreSQL and Redis: the journal is projected into the read
 * model, history pages come from the cache, the messages table and the archive (flagged), cache
 * hits and misses are counted, partitions exist ahead, a month is archived by moving its partition,
 * and read positions survive a restart of the node.
 */
class ReadModelNodeTest {
  static PostgresDatabase db;
  static Path dir;
  static final String KEY_PREFIX = "parley-test-" + UUID.randomUUID() + ":";

  @BeforeAll
  static void setUp() throws Exception {
    db = PostgresDatabase.create();
    dir = Files.createTempDirectory("parley-readmodel");
  }

  @AfterAll
  static void tearDown() {
    db.close();
  }

  private static ParleyNode start() {
    return start("redis://127.0.0.1:6379");
  }

  private static ParleyNode start(String redisUrl) {
    return ParleyNode.start(TestNodes.postgres(db, dir, Map.of(
        "parley.redis.url", redisUrl,
        "parley.auth.redis-key-prefix", KEY_PREFIX,
        "parley.conversation.recent-window", 20)));
  }

  private static String name() {
    return "u" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static <R> R ask(ParleyNode node, String conv,
      java.util.function.Function<org.apache.pekko.actor.typed.ActorRef<org.apache.pekko.pattern.StatusReply<R>>,
          ConversationEntity.Command> command) throws Exception {
    return ClusterSharding.get(node.system()).entityRefFor(ConversationEntity.ENTITY_KEY, conv)
        .<R>askWithStatus(command::apply, Duration.ofSeconds(5)).toCompletableFuture().get();
  }

  private static void awaitProjected(ParleyNode node) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (ReadModelProjection.backlog(node.dataSource()) > 0 && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertEquals(0, ReadModelProjection.backlog(node.dataSource()), "the projection caught up");
  }

  @Test
  void historyComesFromCacheThenStoreThenArchiveAndPositionsSurviveARestart() throws Exception {
    ParleyNode node = start();
    String conv;
    String boToken;
    String bo = name();
    try {
      ApiClient api = new ApiClient(node.httpUrl());
      String ann = name();
      String annToken = api.registerAndLogin(ann);
      boToken = api.registerAndLogin(bo);
      conv = api.create(annToken, "SMALL_GROUP", "history", List.of(bo));
      for (int i = 1; i <= 60; i++) {
        String text = "message " + i;
        ReadModelNodeTest.<ConversationEntity.MessageAccepted>ask(node, conv, r -> new ConversationEntity.PostMessage(ann, "c" + text, text, List.of(), r));
      }
      awaitProjected(node);

      Partitions partitions = new Partitions(new Jdbc(node.dataSource(), true));
      YearMonth now = YearMonth.now(ZoneOffset.UTC);
      List<String> existing = partitions.partitionsOf("messages");
      for (int i = 0; i <= 2; i++) {
        assertTrue(existing.contains(Partitions.partitionName(now.plusMonths(i))), "partition ahead: " + existing);
      }

      long hits = node.cache().stats().recentHits();
      JsonNode newest = api.get("/api/conversations/" + conv + "/messages?limit=10", boToken).body();
      assertEquals("cache", newest.path("source").asText());
      assertEquals(60, newest.path("messages").get(9).path("seq").asLong());
      assertEquals(hits + 1, node.cache().stats().recentHits(), "a hit is counted");

      JsonNode old = api.get("/api/conversations/" + conv + "/messages?beforeSeq=10&limit=5", boToken).body();
      assertEquals("store", old.path("source").asText(), "beyond the cached 50 and the 20 in memory: SQL");
      assertEquals(5, old.path("messages").get(0).path("seq").asLong());
      assertEquals("message 9", old.path("messages").get(4).path("text").asText());

      List<YearMonth> moved = partitions.archiveOlderThan(Instant.now().plus(Duration.ofDays(200)), Duration.ofDays(90));
      assertTrue(moved.contains(now), "the current month moved: " + moved);
      assertTrue(partitions.partitionsOf("archived_messages").contains("archived_" + Partitions.partitionName(now)));
      assertTrue(partitions.archiveOlderThan(Instant.now().plus(Duration.ofDays(200)), Duration.ofDays(90)).isEmpty(),
          "archiving again moves nothing");
      JsonNode archived = api.get("/api/conversations/" + conv + "/messages?beforeSeq=10&limit=5", boToken).body();
      assertEquals("archive", archived.path("source").asText());
      assertEquals(5, archived.path("messages").size());

      ReadModelNodeTest.<ConversationEntity.ReadPosition>ask(node, conv, r -> new ConversationEntity.MarkRead(bo, 30, r));
    } finally {
      node.stopAndWait(Duration.ofSeconds(30));
    }
    ParleyNode again = start();
    try {
      ConversationEntity.ReadPosition p = ask(again, conv, r -> new ConversationEntity.GetUnread(bo, r));
      assertEquals(30, p.readSeq(), "flushed at shutdown, restored at start");
      assertEquals(30, p.unread());
    } finally {
      again.stopAndWait(Duration.ofSeconds(30));
    }
  }

  /** The value of one series in the node's Prometheus scrape. */
  private static long scraped(ParleyNode node, String name, String label) throws Exception {
    String text = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(node.httpUrl() + "/metrics")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    return text.lines().filter(l -> l.startsWith(name + "{") && l.contains(label))
        .map(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .findFirst().orElseThrow(() -> new AssertionError(name + " " + label + " not in the scrape"));
  }

  @Test
  void aConversationNobodyHasCachedCountsAMissAndIsServedFromItsEntity() throws Exception {
    ParleyNode node = start();
    try {
      ApiClient api = new ApiClient(node.httpUrl());
      String ann = name();
      String annToken = api.registerAndLogin(ann);
      String bo = name();
      api.registerAndLogin(bo);
      String conv = api.create(annToken, "PRIVATE", null, List.of(bo));
      long misses = node.cache().stats().recentMisses();
      long hits = node.cache().stats().recentHits();
      ApiClient.Reply empty = api.get("/api/conversations/" + conv + "/messages", annToken);
      assertEquals(200, empty.status(), empty.toString());
      assertEquals("memory", empty.body().path("source").asText(), "nothing cached yet: the entity answers");
      assertEquals(misses + 1, node.cache().stats().recentMisses(), "the miss is counted");
      assertEquals(hits, node.cache().stats().recentHits());

      ReadModelNodeTest.<ConversationEntity.MessageAccepted>ask(node, conv,
          r -> new ConversationEntity.PostMessage(ann, "c1", "first", List.of(), r));
      JsonNode cached = api.get("/api/conversations/" + conv + "/messages", annToken).body();
      assertEquals("cache", cached.path("source").asText(), "written through after the persist");
      assertEquals("first", cached.path("messages").get(0).path("text").asText());
      assertEquals(hits + 1, node.cache().stats().recentHits());
      assertEquals(misses + 1, node.cache().stats().recentMisses());
      assertEquals(misses + 1, scraped(node, "parley_cache_misses_total", "cache=\"recent\""),
          "the counters are exported as metrics");
      assertEquals(hits + 1, scraped(node, "parley_cache_hits_total", "cache=\"recent\""));
    } finally {
      node.stopAndWait(Duration.ofSeconds(30));
    }
  }

  @Test
  void historyIsServedAndSendsAreAckedWhileRedisIsUnreachable() throws Exception {
    try (TcpProxy redis = new TcpProxy("127.0.0.1", 6379)) {
      ParleyNode node = start("redis://127.0.0.1:" + redis.port());
      try {
        ApiClient api = new ApiClient(node.httpUrl());
        String ann = name();
        String bo = name();
        String annToken = api.registerAndLogin(ann);
        String boToken = api.registerAndLogin(bo);
        String conv = api.create(annToken, "SMALL_GROUP", "outage", List.of(bo));
        for (int i = 1; i <= 30; i++) {
          String text = "message " + i;
          ReadModelNodeTest.<ConversationEntity.MessageAccepted>ask(node, conv,
              r -> new ConversationEntity.PostMessage(ann, "c" + text, text, List.of(), r));
        }
        awaitProjected(node);
        assertEquals("cache", api.get("/api/conversations/" + conv + "/messages?limit=10", boToken).body()
            .path("source").asText());

        redis.cut();
        long readErrors = node.cache().stats().readErrors();
        long started = System.nanoTime();
        ApiClient.Reply newest = api.get("/api/conversations/" + conv + "/messages?limit=10", boToken);
        assertEquals(200, newest.status(), "a token this node resolved before the outage still works: " + newest);
        assertEquals("memory", newest.body().path("source").asText());
        assertEquals(30, newest.body().path("messages").get(9).path("seq").asLong());
        assertTrue(Duration.ofNanos(System.nanoTime() - started).compareTo(Duration.ofSeconds(2)) < 0,
            "commands fail at once while Redis is disconnected; nothing waits for a timeout");
        assertTrue(node.cache().stats().readErrors() > readErrors, "the cache failure is counted");

        ApiClient.Reply old = api.get("/api/conversations/" + conv + "/messages?beforeSeq=6&limit=5", boToken);
        assertEquals(200, old.status(), old.toString());
        assertEquals("store", old.body().path("source").asText());
        assertEquals(1, old.body().path("messages").get(0).path("seq").asLong());

        ApiClient.Reply list = api.get("/api/conversations", boToken);
        assertEquals(200, list.status(), "the list comes from SQL without summaries: " + list);

        ConversationEntity.MessageAccepted during = ReadModelNodeTest.<ConversationEntity.MessageAccepted>ask(node, conv,
            r -> new ConversationEntity.PostMessage(ann, "c-during", "sent during the outage", List.of(), r));
        assertEquals(31, during.seq(), "a send is persisted and acked although its cache write fails");

        ApiClient.Reply login = api.post("/api/sessions", null, Map.of("username", ann, "password", ann + "-password"));
        assertEquals(503, login.status(), "a new session cannot be stored: " + login);
        ApiClient.Reply stranger = api.get("/api/conversations", "f".repeat(43));
        assertEquals(503, stranger.status(), "a token this node never saw cannot be checked: " + stranger);

        redis.restore();
        // Until the entity's repair (every repair-interval, 1 s) lands, the cached page may lack
        // what was sent during the outage; then the cache serves it again.
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        JsonNode page = null;
        while (System.nanoTime() < deadline) {
          page = api.get("/api/conversations/" + conv + "/messages?limit=5", boToken).body();
          if ("cache".equals(page.path("source").asText()) && page.path("messages").get(4).path("seq").asLong() == 31) {
            break;
          }
          Thread.sleep(100);
        }
        assertEquals("cache", page.path("source").asText(), "the entity repaired its cache entry: " + page);
        assertEquals("sent during the outage", page.path("messages").get(4).path("text").asText());
      } finally {
        node.stopAndWait(Duration.ofSeconds(30));
      }
    }
  }
}

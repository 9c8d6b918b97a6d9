package dev.parley.readmodel;

import static dev.parley.client.ClientTests.failure;
import static dev.parley.client.ClientTests.password;
import static dev.parley.client.ClientTests.signUp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.TcpProxy;
import dev.parley.app.ParleyNode;
import dev.parley.app.PostgresDatabase;
import dev.parley.app.TestNodes;
import dev.parley.conversation.ConversationEntity;
import dev.parley.sql.Jdbc;
import dev.parley.client.ParleyClient;
import dev.parley.client.ParleyException;
import dev.parley.client.ParleySession;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.HistoryPage;
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
    String bo = name();
    try {
      ParleyClient parley = ParleyClient.create(node.httpUrl());
      String ann = name();
      ParleySession annSession = signUp(parley, ann);
      ParleySession boSession = signUp(parley, bo);
      conv = annSession.createConversation(ConversationType.SMALL_GROUP, "history", List.of(bo)).join().id();
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
      HistoryPage newest = boSession.history(conv, null, null, 10).join();
      assertEquals(HistoryPage.SOURCE_CACHE, newest.source());
      assertEquals(60, newest.messages().get(9).seq());
      assertEquals(hits + 1, node.cache().stats().recentHits(), "a hit is counted");

      HistoryPage old = boSession.history(conv, 10L, null, 5).join();
      assertEquals(HistoryPage.SOURCE_STORE, old.source(), "beyond the cached 50 and the 20 in memory: SQL");
      assertEquals(5, old.messages().get(0).seq());
      assertEquals("message 9", old.messages().get(4).text());

      List<YearMonth> moved = partitions.archiveOlderThan(Instant.now().plus(Duration.ofDays(200)), Duration.ofDays(90));
      assertTrue(moved.contains(now), "the current month moved: " + moved);
      assertTrue(partitions.partitionsOf("archived_messages").contains("archived_" + Partitions.partitionName(now)));
      assertTrue(partitions.archiveOlderThan(Instant.now().plus(Duration.ofDays(200)), Duration.ofDays(90)).isEmpty(),
          "archiving again moves nothing");
      HistoryPage archived = boSession.history(conv, 10L, null, 5).join();
      assertEquals(HistoryPage.SOURCE_ARCHIVE, archived.source());
      assertEquals(5, archived.messages().size());

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

  /** The value of one series in the node's Prometheus scrape (on its operator port). */
  private static long scraped(ParleyNode node, String name, String label) {
    ParleyClient.RawResponse scrape = ParleyClient.create(node.managementUrl()).exchange("GET", "/metrics", null, null).join();
    assertEquals(200, scrape.status(), scrape.body());
    String text = scrape.body();
    return text.lines().filter(l -> l.startsWith(name + "{") && l.contains(label))
        .map(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .findFirst().orElseThrow(() -> new AssertionError(name + " " + label + " not in the scrape"));
  }

  @Test
  void aConversationNobodyHasCachedCountsAMissAndIsServedFromItsEntity() throws Exception {
    ParleyNode node = start();
    try {
      ParleyClient parley = ParleyClient.create(node.httpUrl());
      String ann = name();
      ParleySession annSession = signUp(parley, ann);
      String bo = name();
      signUp(parley, bo);
      String conv = annSession.createConversation(ConversationType.PRIVATE, null, List.of(bo)).join().id();
      long misses = node.cache().stats().recentMisses();
      long hits = node.cache().stats().recentHits();
      HistoryPage empty = annSession.history(conv, null, null, null).join();
      assertEquals(HistoryPage.SOURCE_MEMORY, empty.source(), "nothing cached yet: the entity answers");
      assertEquals(misses + 1, node.cache().stats().recentMisses(), "the miss is counted");
      assertEquals(hits, node.cache().stats().recentHits());

      ReadModelNodeTest.<ConversationEntity.MessageAccepted>ask(node, conv,
          r -> new ConversationEntity.PostMessage(ann, "c1", "first", List.of(), r));
      HistoryPage cached = annSession.history(conv, null, null, null).join();
      assertEquals(HistoryPage.SOURCE_CACHE, cached.source(), "written through after the persist");
      assertEquals("first", cached.messages().get(0).text());
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
        ParleyClient parley = ParleyClient.create(node.httpUrl());
        String ann = name();
        String bo = name();
        ParleySession annSession = signUp(parley, ann);
        ParleySession boSession = signUp(parley, bo);
        String conv = annSession.createConversation(ConversationType.SMALL_GROUP, "outage", List.of(bo)).join().id();
        for (int i = 1; i <= 30; i++) {
          String text = "message " + i;
          ReadModelNodeTest.<ConversationEntity.MessageAccepted>ask(node, conv,
              r -> new ConversationEntity.PostMessage(ann, "c" + text, text, List.of(), r));
        }
        awaitProjected(node);
        assertEquals(HistoryPage.SOURCE_CACHE, boSession.history(conv, null, null, 10).join().source());

        redis.cut();
        long readErrors = node.cache().stats().readErrors();
        long started = System.nanoTime();
        // A token this node resolved before the outage still works (join fails on anything but 200).
        HistoryPage newest = boSession.history(conv, null, null, 10).join();
        assertEquals(HistoryPage.SOURCE_MEMORY, newest.source());
        assertEquals(30, newest.messages().get(9).seq());
        assertTrue(Duration.ofNanos(System.nanoTime() - started).compareTo(Duration.ofSeconds(2)) < 0,
            "commands fail at once while Redis is disconnected; nothing waits for a timeout");
        assertTrue(node.cache().stats().readErrors() > readErrors, "the cache failure is counted");

        HistoryPage old = boSession.history(conv, 6L, null, 5).join();
        assertEquals(HistoryPage.SOURCE_STORE, old.source());
        assertEquals(1, old.messages().get(0).seq());

        // The list comes from SQL without summaries (join fails on anything but 200).
        boSession.conversations().join();

        ConversationEntity.MessageAccepted during = ReadModelNodeTest.<ConversationEntity.MessageAccepted>ask(node, conv,
            r -> new ConversationEntity.PostMessage(ann, "c-during", "sent during the outage", List.of(), r));
        assertEquals(31, during.seq(), "a send is persisted and acked although its cache write fails");

        ParleyException login = failure(parley.login(ann, password(ann)));
        assertEquals(503, login.httpStatus(), "a new session cannot be stored: " + login);
        ParleyException stranger = failure(parley.session("f".repeat(43)).conversations());
        assertEquals(503, stranger.httpStatus(), "a token this node never saw cannot be checked: " + stranger);

        redis.restore();
        // Until the entity's repair (every repair-interval, 1 s) lands, the cached page may lack
        // what was sent during the outage; then the cache serves it again.
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        HistoryPage page = null;
        while (System.nanoTime() < deadline) {
          page = boSession.history(conv, null, null, 5).join();
          if (HistoryPage.SOURCE_CACHE.equals(page.source()) && page.messages().get(4).seq() == 31) {
            break;
          }
          Thread.sleep(100);
        }
        assertEquals(HistoryPage.SOURCE_CACHE, page.source(), "the entity repaired its cache entry: " + page);
        assertEquals("sent during the outage", page.messages().get(4).text());
      } finally {
        node.stopAndWait(Duration.ofSeconds(30));
      }
    }
  }
}

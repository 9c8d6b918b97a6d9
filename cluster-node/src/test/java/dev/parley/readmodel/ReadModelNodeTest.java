package dev.parley.readmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
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
    return ParleyNode.start(TestNodes.postgres(db, dir, Map.of(
        "parley.redis.url", "redis://127.0.0.1:6379",
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
}

package dev.parley.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.client.ClientTests;
import dev.parley.client.FrameQueue;
import dev.parley.client.ParleyClient;
import dev.parley.client.ParleySession;
import dev.parley.client.ParleySocket;
import dev.parley.protocol.ConversationType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Right after a restart, a client that asks for a conversation gets either no connection (the node
 * is not serving yet) or the whole answer, with the conversation's {@code lastSeq}: never an error
 * or a partial answer while the node is still joining its cluster. Full mode (PostgreSQL and Redis,
 * so the session token survives the restart), a fixed client port, a client polling through the
 * restart.
 */
class RestartAnswersTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private record Answer(int status, String body) {}

  @Test
  void aConversationAskedForDuringARestartIsAnsweredWholeOrNotAtAll() throws Exception {
    String prefix = "parley-test:" + UUID.randomUUID() + ":";
    try (PostgresDatabase db = PostgresDatabase.create()) {
      int port = TestNodes.freePort();
      Map<String, String> settings = Map.of(
          "parley.http.port", String.valueOf(port),
          "parley.redis.url", "redis://127.0.0.1:6379",
          "parley.auth.redis-key-prefix", prefix);
      java.nio.file.Path dir = Files.createTempDirectory("parley-restart");
      String conv;
      String token;
      try (ChildNode node = ChildNode.startOn(db, dir, settings)) {
        ParleyClient parley = ParleyClient.create(node.httpUrl());
        String n = "r" + (System.nanoTime() % 1_000_000);
        ParleySession ann = ClientTests.signUp(parley, n + "ann");
        ClientTests.signUp(parley, n + "bob");
        conv = ann.createConversation(ConversationType.SMALL_GROUP, "restart", List.of(n + "bob")).join().id();
        try (ParleySocket socket = ann.connect(new FrameQueue()).join()) {
          for (int i = 0; i < 3; i++) {
            socket.send(conv, "before the restart " + i).join();
          }
        }
        token = ann.token();
        node.kill();
      }

      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
      HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/conversations/" + conv))
          .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(30)).build();
      List<Answer> answers = Collections.synchronizedList(new ArrayList<>());
      AtomicBoolean polling = new AtomicBoolean(true);
      Thread poller = new Thread(() -> {
        while (polling.get()) {
          try {
            HttpResponse<String> r = http.send(get, HttpResponse.BodyHandlers.ofString());
            answers.add(new Answer(r.statusCode(), r.body()));
            if (r.statusCode() == 200) {
              return;
            }
          } catch (java.io.IOException e) {
            // not serving yet: the client retries
          } catch (InterruptedException e) {
            return;
          }
          try {
            Thread.sleep(10);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "restart-poller");
      poller.start();
      ChildNode again = ChildNode.startOn(db, dir, settings);
      try {
        poller.join(60_000);
        polling.set(false);
        assertFalse(answers.isEmpty(), "the restarted node answered");
        for (Answer a : answers) {
          assertEquals(200, a.status(), "every answer during the restart is the whole answer: " + answers);
          JsonNode info = JSON.readTree(a.body());
          assertTrue(info.has("lastSeq"), a.body());
          assertEquals(3, info.path("lastSeq").asLong(), a.body());
        }
      } finally {
        polling.set(false);
        again.close();
        var redis = io.lettuce.core.RedisClient.create("redis://127.0.0.1:6379");
        try (var c = redis.connect()) {
          var keys = new ArrayList<>(c.sync().keys(prefix + "*"));
          keys.addAll(c.sync().keys("parley:conv:" + conv + ":*"));
          if (!keys.isEmpty()) {
            c.sync().del(keys.toArray(String[]::new));
          }
        } finally {
          redis.shutdown();
        }
      }
    }
  }
}

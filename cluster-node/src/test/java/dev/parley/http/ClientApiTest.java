package dev.parley.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.app.ParleyNode;
import dev.parley.app.PostgresDatabase;
import dev.parley.app.TestNodes;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The client API end to end: a node in full mode on the local PostgreSQL and Redis, real clients
 * over real sockets (JDK HttpClient and WebSocket).
 */
class ClientApiTest {
  private static final AtomicInteger NAMES = new AtomicInteger();
  private static final String PREFIX = "t" + Long.toString(System.nanoTime() % 1_000_000, 36);
  private static PostgresDatabase db;
  private static ParleyNode node;
  private static ApiClient api;
  private static String url;
  private static RedisClient redis;
  private static StatefulRedisConnection<String, String> redisConnection;
  private static final String KEY_PREFIX = "parley-test:" + UUID.randomUUID() + ":";

  @BeforeAll
  static void start() throws Exception {
    db = PostgresDatabase.create();
    Path dir = Files.createTempDirectory("parley-api");
    node = ParleyNode.start(TestNodes.postgres(db, dir, Map.of(
        "parley.redis.url", "redis://127.0.0.1:6379",
        "parley.auth.redis-key-prefix", KEY_PREFIX,
        "parley.session.send-rate", 5,
        "parley.session.send-burst", 30,
        "parley.session.replay-limit", 10,
        "parley.session.max-errors-per-minute", 10,
        "parley.session.max-connections-per-user", 3,
        "parley.session.token-check-interval", "300ms",
        "parley.session.max-message-size", "4KiB",
        "parley.conversation.live.typing-timeout", "1s")));
    url = node.httpUrl();
    api = new ApiClient(url);
    redis = RedisClient.create("redis://127.0.0.1:6379");
    redisConnection = redis.connect();
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.stopAndWait(Duration.ofSeconds(30));
    }
    if (redisConnection != null) {
      var keys = redisConnection.sync().keys(KEY_PREFIX + "*");
      if (!keys.isEmpty()) {
        redisConnection.sync().del(keys.toArray(String[]::new));
      }
      redis.shutdown();
    }
    if (db != null) {
      db.close();
    }
  }

  private static String name() {
    return PREFIX + "u" + NAMES.incrementAndGet();
  }

  private static String send(String conv, String clientMsgId, String text) {
    return "{\"type\":\"send\",\"conv\":\"" + conv + "\",\"clientMsgId\":\"" + clientMsgId + "\",\"text\":\"" + text
        + "\",\"ref\":\"" + clientMsgId + "\"}";
  }

  private static String subscribe(String conv, Long sinceSeq) {
    return "{\"type\":\"subscribe\",\"conv\":\"" + conv + "\"" + (sinceSeq == null ? "" : ",\"sinceSeq\":" + sinceSeq)
        + ",\"ref\":\"sub\"}";
  }

  // -- accounts and sessions ----------------------------------------------------------------------

  @Test
  void registersLogsInAndOutWithoutSayingWhichPartWasWrong() {
    String ann = name();
    assertEquals(201, api.post("/api/users", null, Map.of("username", ann, "password", "long-enough")).status());
    var dup = api.post("/api/users", null, Map.of("username", ann.toUpperCase(), "password", "long-enough"));
    assertEquals(409, dup.status());
    assertEquals("conflict", dup.code());

    var wrongPassword = api.post("/api/sessions", null, Map.of("username", ann, "password", "not-the-one"));
    var unknownUser = api.post("/api/sessions", null, Map.of("username", name(), "password", "long-enough"));
    assertEquals(401, wrongPassword.status());
    assertEquals(wrongPassword.body(), unknownUser.body());

    var login = api.post("/api/sessions", null, Map.of("username", ann, "password", "long-enough"));
    assertEquals(200, login.status());
    String token = login.body().path("token").asText();
    assertEquals(200, api.get("/api/conversations", token).status());
    // Only a hash of the token is in Redis.
    assertTrue(redisConnection.sync().keys(KEY_PREFIX + "*").stream().noneMatch(k -> k.contains(token)));

    assertEquals(204, api.delete("/api/sessions", token).status());
    var after = api.get("/api/conversations", token);
    assertEquals(401, after.status());
    assertEquals("unauthorized", after.code());
  }

  @Test
  void repeatedFailedLoginsForOneNameAreThrottled() {
    String victim = name();
    api.registerAndLogin(victim);
    for (int i = 0; i < 10; i++) {
      assertEquals(401, api.post("/api/sessions", null, Map.of("username", victim, "password", "guess-" + i)).status());
    }
    var throttled = api.post("/api/sessions", null, Map.of("username", victim, "password", victim + "-password"));
    assertEquals(429, throttled.status(), "even the right password waits once the budget is spent");
    assertEquals("rate_limited", throttled.code());
    // Other users are not affected.
    api.registerAndLogin(name());
  }

  // -- chatting -----------------------------------------------------------------------------------

  @Test
  void twoUsersChat() {
    String ann = name();
    String bo = name();
    String annToken = api.registerAndLogin(ann);
    String boToken = api.registerAndLogin(bo);
    String conv = api.create(annToken, "PRIVATE", null, List.of(bo));
    // The same pair gets the same private conversation, whoever asks.
    assertEquals(conv, api.create(boToken, "PRIVATE", null, List.of(ann)));

    try (WsClient a = WsClient.connect(url, annToken); WsClient b = WsClient.connect(url, boToken)) {
      a.send(subscribe(conv, null));
      b.send(subscribe(conv, null));
      JsonNode subA = a.next("subscribed");
      assertEquals(0, subA.path("lastSeq").asLong());
      b.next("subscribed");

      a.send(send(conv, "m1", "hi bo"));
      JsonNode ack = a.next("ack");
      assertEquals(1, ack.path("seq").asLong());
      assertEquals("m1", ack.path("ref").asText());
      JsonNode got = b.next("message");
      assertEquals("hi bo", got.path("message").path("text").asText());
      assertEquals(ann, got.path("message").path("sender").asText());

      // A resend of the same clientMsgId is the same message.
      a.send(send(conv, "m1", "hi bo"));
      JsonNode again = a.next("ack");
      assertEquals(1, again.path("seq").asLong());
      assertTrue(again.path("duplicate").asBoolean());

      b.send("{\"type\":\"read\",\"conv\":\"" + conv + "\",\"upTo\":1}");
      assertEquals(0, b.next("unread").path("count").asLong());
      JsonNode receipt = a.next("receipt");
      assertEquals(1, receipt.path("seq").asLong());
      assertEquals(List.of(bo), names(receipt.path("seenBy")));

      b.send("{\"type\":\"history\",\"conv\":\"" + conv + "\",\"ref\":\"h\"}");
      JsonNode page = b.next("history");
      assertEquals("h", page.path("ref").asText());
      assertEquals(1, page.path("page").path("messages").size());
    }
  }

  @Test
  void typingAndPresenceReachTheOtherMember() {
    String ann = name();
    String bo = name();
    String annToken = api.registerAndLogin(ann);
    String boToken = api.registerAndLogin(bo);
    String conv = api.create(annToken, "SMALL_GROUP", "pair", List.of(bo));
    try (WsClient b = WsClient.connect(url, boToken)) {
      b.send(subscribe(conv, null));
      b.next("subscribed");
      assertEquals(List.of(), b.drain("presence", Duration.ofMillis(300)), "nobody is told about their own presence");
      WsClient a = WsClient.connect(url, annToken);
      a.send(subscribe(conv, null));
      JsonNode subscribed = a.next("subscribed");
      assertEquals(List.of(ann, bo), names(subscribed.path("online")));
      JsonNode online = b.next(n -> "presence".equals(n.path("type").asText()) && ann.equals(n.path("user").asText()),
          Duration.ofSeconds(10));
      assertEquals(ann, online.path("user").asText());
      assertTrue(online.path("online").asBoolean());

      a.send("{\"type\":\"typing\",\"conv\":\"" + conv + "\"}");
      assertEquals(List.of(ann), names(b.next("typing").path("users")));
      // The signal expires by itself.
      assertEquals(List.of(), names(b.next("typing").path("users")));

      a.close();
      JsonNode offline = b.next(n -> "presence".equals(n.path("type").asText()) && ann.equals(n.path("user").asText()),
          Duration.ofSeconds(10));
      assertEquals(ann, offline.path("user").asText());
      assertFalse(offline.path("online").asBoolean());
    }
  }

  @Test
  void hundredMemberGroupGetsEveryMessageOnceAndInOrder() throws Exception {
    String owner = name();
    String ownerToken = api.registerAndLogin(owner);
    List<String> users = new ArrayList<>();
    List<String> tokens = new ArrayList<>();
    for (int i = 0; i < 99; i++) {
      String u = name();
      users.add(u);
      tokens.add(api.registerAndLogin(u));
    }
    String conv = api.create(ownerToken, "SMALL_GROUP", "hundred", users);
    assertEquals("LARGE_GROUP", api.get("/api/conversations/" + conv, ownerToken).body().path("type").asText());
    users.add(owner);
    tokens.add(ownerToken);

    List<WsClient> clients = new ArrayList<>();
    try {
      for (String t : tokens) {
        WsClient c = WsClient.connect(url, t);
        c.send(subscribe(conv, null));
        clients.add(c);
      }
      for (WsClient c : clients) {
        c.next("subscribed");
      }
      // Three senders, 10 messages each, concurrently.
      List<Thread> senders = new ArrayList<>();
      for (int s = 0; s < 3; s++) {
        WsClient sender = clients.get(s);
        int id = s;
        Thread t = new Thread(() -> {
          for (int i = 0; i < 10; i++) {
            sender.send(send(conv, "s" + id + "-" + i, "message " + i + " from " + id));
          }
        });
        t.start();
        senders.add(t);
      }
      for (Thread t : senders) {
        t.join();
      }
      for (WsClient c : clients) {
        for (long seq = 1; seq <= 30; seq++) {
          JsonNode m = c.next("message");
          assertEquals(seq, m.path("message").path("seq").asLong(), "every member gets seq " + seq + " next");
        }
        assertEquals(List.of(), c.drain("message", Duration.ofMillis(20)));
      }
    } finally {
      clients.forEach(WsClient::close);
    }
  }

  @Test
  void reconnectWithSinceSeqGetsExactlyTheMissedMessages() {
    String ann = name();
    String bo = name();
    String annToken = api.registerAndLogin(ann);
    String boToken = api.registerAndLogin(bo);
    String conv = api.create(annToken, "SMALL_GROUP", "resume", List.of(bo));
    try (WsClient a = WsClient.connect(url, annToken)) {
      a.send(subscribe(conv, null));
      a.next("subscribed");
      for (int i = 1; i <= 5; i++) {
        a.send(send(conv, "r" + i, "before " + i));
        a.next("ack");
      }
      WsClient b = WsClient.connect(url, boToken);
      b.send(subscribe(conv, null));
      assertEquals(5, b.next("subscribed").path("lastSeq").asLong());
      b.close();
      for (int i = 6; i <= 12; i++) {
        a.send(send(conv, "r" + i, "missed " + i));
        a.next("ack");
      }
      try (WsClient b2 = WsClient.connect(url, boToken)) {
        b2.send(subscribe(conv, 5L));
        JsonNode sub = b2.next("subscribed");
        assertEquals(12, sub.path("lastSeq").asLong());
        assertEquals(6, sub.path("replayedFrom").asLong());
        assertFalse(sub.path("gap").asBoolean());
        for (long seq = 6; seq <= 12; seq++) {
          assertEquals(seq, b2.next("message").path("message").path("seq").asLong());
        }
        a.send(send(conv, "r13", "live"));
        assertEquals(13, b2.next("message").path("message").path("seq").asLong());
        assertEquals(List.of(), b2.drain("message", Duration.ofMillis(300)));
      }
    }
  }

  @Test
  void aGapBeyondTheReplayLimitIsSaidExplicitly() {
    String ann = name();
    String annToken = api.registerAndLogin(ann);
    String conv = api.create(annToken, "CHANNEL", "news", List.of());
    try (WsClient a = WsClient.connect(url, annToken)) {
      for (int i = 1; i <= 15; i++) {
        a.send(send(conv, "g" + i, "post " + i));
        a.next("ack");
      }
      a.send(subscribe(conv, 0L));
      JsonNode sub = a.next("subscribed");
      assertTrue(sub.path("gap").asBoolean());
      assertEquals(6, sub.path("replayedFrom").asLong(), "the newest replay-limit (10) messages are replayed");
      for (long seq = 6; seq <= 15; seq++) {
        assertEquals(seq, a.next("message").path("message").path("seq").asLong());
      }
    }
  }

  // -- hostile input over the socket --------------------------------------------------------------

  @Test
  void badFramesGetBadRequestAndTheSocketStaysOpen() {
    String ann = name();
    String annToken = api.registerAndLogin(ann);
    String conv = api.create(annToken, "CHANNEL", "bad", List.of());
    try (WsClient a = WsClient.connect(url, annToken)) {
      a.send("{not json");
      assertEquals("bad_request", a.next("error").path("code").asText());
      a.send("{\"type\":\"shout\",\"conv\":\"x\"}");
      JsonNode unknown = a.next("error");
      assertEquals("bad_request", unknown.path("code").asText());
      assertTrue(unknown.path("message").asText().contains("shout"));
      a.send("{\"type\":\"send\",\"conv\":\"" + conv + "\",\"text\":\"no id\"}");
      JsonNode missing = a.next("error");
      assertTrue(missing.path("message").asText().contains("clientMsgId"));
      assertFalse(missing.path("message").asText().contains("Exception"));
      a.send(send(conv, "ok", "still works"));
      assertEquals(1, a.next("ack").path("seq").asLong());
      assertFalse(a.isClosed());
    }
  }

  @Test
  void tooManyErrorsCloseTheSocketWithPolicyViolation() {
    String annToken = api.registerAndLogin(name());
    try (WsClient a = WsClient.connect(url, annToken)) {
      for (int i = 0; i < 12; i++) {
        a.send("nope " + i);
      }
      assertEquals(1008, a.closeCode(Duration.ofSeconds(5)));
    }
  }

  @Test
  void anOversizedFrameClosesWith1009() {
    String annToken = api.registerAndLogin(name());
    try (WsClient a = WsClient.connect(url, annToken)) {
      a.send("{\"type\":\"typing\",\"conv\":\"" + "x".repeat(5000) + "\"}");
      assertEquals(1009, a.closeCode(Duration.ofSeconds(5)));
    }
  }

  @Test
  void sendsOverTheRateGetRateLimitedWithRetryAfter() {
    String ann = name();
    String annToken = api.registerAndLogin(ann);
    String conv = api.create(annToken, "CHANNEL", "flood", List.of());
    try (WsClient a = WsClient.connect(url, annToken)) {
      for (int i = 0; i < 40; i++) {
        a.send(send(conv, "f" + i, "flood " + i));
      }
      List<JsonNode> answers = a.drain(null, Duration.ofSeconds(3));
      List<JsonNode> limited = answers.stream().filter(n -> "error".equals(n.path("type").asText())).toList();
      List<JsonNode> acks = answers.stream().filter(n -> "ack".equals(n.path("type").asText())).toList();
      assertFalse(limited.isEmpty(), "the flood was throttled");
      assertEquals("rate_limited", limited.get(0).path("code").asText());
      assertTrue(limited.get(0).path("retryAfterMs").asLong() > 0);
      assertEquals(40, acks.size() + limited.size(), "every send got exactly one answer");
      // Nothing accepted was lost: the acks are exactly seqs 1..n.
      assertEquals(acks.size(), acks.stream().mapToLong(n -> n.path("seq").asLong()).distinct().count());
      assertEquals(acks.size(), acks.stream().mapToLong(n -> n.path("seq").asLong()).max().orElse(0));
    }
  }

  @Test
  void nonMembersAreForbiddenAndUnknownConversationsWriteNothing() throws Exception {
    String ann = name();
    String eve = name();
    String annToken = api.registerAndLogin(ann);
    String eveToken = api.registerAndLogin(eve);
    String conv = api.create(annToken, "SMALL_GROUP", "private club", List.of());
    String unknown = "no-such-" + UUID.randomUUID();
    try (WsClient e = WsClient.connect(url, eveToken)) {
      e.send(subscribe(conv, null));
      JsonNode refused = e.next("error");
      assertEquals("forbidden", refused.path("code").asText());
      assertEquals("sub", refused.path("ref").asText(), "the refusal answers the subscribe frame");
      e.send(send(conv, "x1", "let me in"));
      assertEquals("forbidden", e.next("error").path("code").asText());
      e.send("{\"type\":\"read\",\"conv\":\"" + conv + "\",\"upTo\":1}");
      assertEquals("forbidden", e.next("error").path("code").asText());
      e.send(send(unknown, "x2", "hello?"));
      assertEquals("not_found", e.next("error").path("code").asText());
      e.send(subscribe(unknown, null));
      assertEquals("not_found", e.next("error").path("code").asText());
    }
    // Probing unknown ids leaves no conversation in memory either.
    Thread.sleep(500);
    assertFalse(TestNodes.hostedConversations(node).contains(unknown), "unknown id still hosted");
    try (WsClient e = WsClient.connect(url, eveToken)) {
      e.send(send("x".repeat(200), "x3", "long id"));
      assertEquals("bad_request", e.next("error").path("code").asText());
      e.send(send("bad id!", "x4", "odd id"));
      assertEquals("bad_request", e.next("error").path("code").asText());
    }
    assertEquals(400, api.get("/api/conversations/" + "y".repeat(200), eveToken).status());
    assertEquals(403, api.get("/api/conversations/" + conv, eveToken).status());
    assertEquals(404, api.get("/api/conversations/" + unknown, eveToken).status());
    try (Connection c = db.connect(); ResultSet rs = c.createStatement().executeQuery(
        "SELECT count(*) FROM event_journal WHERE persistence_id = 'Conversation|" + unknown + "'")) {
      rs.next();
      assertEquals(0, rs.getLong(1));
    }
  }

  // -- the upgrade --------------------------------------------------------------------------------

  @Test
  void upgradeRefusesMissingForgedAndRevokedTokensBeforeSwitchingProtocols() {
    assertEquals(401, refused(() -> WsClient.connect(url, null)));
    assertEquals(401, refused(() -> WsClient.connect(url, "forged-" + UUID.randomUUID())));
    String token = api.registerAndLogin(name());
    String tampered = token.substring(0, token.length() - 1) + (token.endsWith("A") ? "B" : "A");
    assertEquals(401, refused(() -> WsClient.connect(url, tampered)));
    assertEquals(400, refused(() -> WsClient.connect(WsClient.http().newWebSocketBuilder(),
        URI.create(url.replace("http", "ws") + "/ws?token=" + token))));
    String revoked = api.registerAndLogin(name());
    api.delete("/api/sessions", revoked);
    assertEquals(401, refused(() -> WsClient.connect(url, revoked)));
  }

  @Test
  void theTokenMayComeAsASubprotocol() {
    String token = api.registerAndLogin(name());
    var builder = WsClient.http().newWebSocketBuilder().subprotocols("parley.v1", "parley.token." + token);
    try (WsClient c = WsClient.connect(builder, URI.create(url.replace("http", "ws") + "/ws"))) {
      assertEquals("parley.v1", c.socket().getSubprotocol());
      c.send("{\"type\":\"history\",\"conv\":\"nope\"}");
      assertEquals("not_found", c.next("error").path("code").asText());
    }
    // The server never echoes the token: it selects parley.v1, which must therefore be offered.
    var tokenOnly = WsClient.http().newWebSocketBuilder().subprotocols("parley.token." + token);
    assertEquals(400, refused(() -> WsClient.connect(tokenOnly, URI.create(url.replace("http", "ws") + "/ws"))));
  }

  @Test
  void editsAndDeletesAreAnsweredWithTheirRef() {
    String ann = name();
    String annToken = api.registerAndLogin(ann);
    String conv = api.create(annToken, "CHANNEL", "edits", List.of());
    try (WsClient a = WsClient.connect(url, annToken)) {
      a.send(send(conv, "e1", "first"));
      a.next("ack");
      a.send("{\"type\":\"edit\",\"conv\":\"" + conv + "\",\"seq\":1,\"text\":\"first\",\"ref\":\"same\"}");
      JsonNode unchanged = a.next("edited");
      assertEquals("same", unchanged.path("ref").asText());
      assertEquals("first", unchanged.path("text").asText());
      a.send("{\"type\":\"subscribe\",\"conv\":\"" + conv + "\"}");
      a.next("subscribed");
      a.send("{\"type\":\"edit\",\"conv\":\"" + conv + "\",\"seq\":1,\"text\":\"better\",\"ref\":\"e2\"}");
      List<JsonNode> edited = List.of(a.next("edited"), a.next("edited"));
      assertEquals(1, edited.stream().filter(n -> "e2".equals(n.path("ref").asText())).count(),
          "one answer to the editor, one fan-out copy");
      a.send("{\"type\":\"delete\",\"conv\":\"" + conv + "\",\"seq\":1,\"ref\":\"d1\"}");
      a.send("{\"type\":\"delete\",\"conv\":\"" + conv + "\",\"seq\":1,\"ref\":\"d2\"}");
      List<String> refs = new ArrayList<>();
      for (JsonNode n : a.drain("deleted", Duration.ofSeconds(1))) {
        refs.add(n.path("ref").asText(null));
      }
      assertTrue(refs.contains("d1") && refs.contains("d2"), "a repeated delete is answered too: " + refs);
      assertFalse(a.isClosed());
    }
  }

  @Test
  void originMustMatchTheAllowlistExactly() {
    String token = api.registerAndLogin(name());
    assertEquals(403, refused(() -> WsClient.connect(url, token, true, "http://evil.example")));
    assertEquals(403, refused(() -> WsClient.connect(url, token, true, "http://localhost:8080.evil.example")));
    assertEquals(403, refused(() -> WsClient.connect(url, token, true, "http://localhost:808")));
    try (WsClient ok = WsClient.connect(url, token, true, "http://localhost:8080")) {
      assertFalse(ok.isClosed());
    }
  }

  @Test
  void connectionsPerUserAreCapped() {
    String token = api.registerAndLogin(name());
    List<WsClient> open = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        open.add(WsClient.connect(url, token));
      }
      open.get(2).send("{\"type\":\"history\",\"conv\":\"nope\"}");
      open.get(2).next("error");
      assertEquals(429, refused(() -> WsClient.connect(url, token)));
    } finally {
      open.forEach(WsClient::close);
    }
  }

  @Test
  void aRevokedTokenClosesItsOpenSockets() throws Exception {
    String token = api.registerAndLogin(name());
    try (WsClient byLogout = WsClient.connect(url, token)) {
      assertEquals(204, api.delete("/api/sessions", token).status());
      assertEquals(1008, byLogout.closeCode(Duration.ofSeconds(5)));
    }
    // Revoked elsewhere (another node, or expired): noticed at the next token check.
    String other = api.registerAndLogin(name());
    try (WsClient c = WsClient.connect(url, other)) {
      String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(other.getBytes()));
      assertEquals(1, redisConnection.sync().del(KEY_PREFIX + hash));
      // The socket is told why, with the same code REST answers a dead token with, then closed.
      JsonNode why = c.next("error");
      assertEquals("unauthorized", why.path("code").asText());
      assertTrue(why.path("message").asText().contains("session expired or revoked"), why.toString());
      assertEquals(1008, c.closeCode(Duration.ofSeconds(5)));
      assertEquals("session expired or revoked", c.closeReason());
    }
  }

  @Test
  void binaryFramesAreRefused() {
    String token = api.registerAndLogin(name());
    try (WsClient c = WsClient.connect(url, token)) {
      c.socket().sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3}), true).join();
      assertEquals(1003, c.closeCode(Duration.ofSeconds(5)));
    }
  }

  // -- REST ---------------------------------------------------------------------------------------

  @Test
  void restServesConversationsHistoryReceiptsAndUnread() {
    String ann = name();
    String bo = name();
    String annToken = api.registerAndLogin(ann);
    String boToken = api.registerAndLogin(bo);
    String conv = api.create(annToken, "SMALL_GROUP", "team", List.of(bo));
    String quiet = api.create(annToken, "SMALL_GROUP", "quiet", List.of(bo));
    try (WsClient a = WsClient.connect(url, annToken)) {
      for (int i = 1; i <= 3; i++) {
        a.send(send(conv, "h" + i, "hello " + i));
        a.next("ack");
      }
    }
    var list = api.get("/api/conversations", boToken);
    assertEquals(200, list.status());
    JsonNode first = list.body().path("items").get(0);
    assertEquals(conv, first.path("conv").asText(), "most recent activity first");
    assertEquals(3, first.path("unread").asLong());
    assertEquals("hello 3", first.path("lastMessage").path("text").asText());
    assertEquals(quiet, list.body().path("items").get(1).path("conv").asText());

    var history = api.get("/api/conversations/" + conv + "/messages?beforeSeq=3&limit=5", boToken);
    assertEquals(2, history.body().path("messages").size());
    assertTrue(history.status() == 200);

    var unread = api.get("/api/unread", boToken);
    assertEquals(2, unread.body().path("items").size());

    var receipts = api.get("/api/conversations/" + conv + "/messages/3/receipts", annToken);
    assertEquals(200, receipts.status());
    assertEquals(0, receipts.body().path("seenBy").size());

    var info = api.get("/api/conversations/" + conv, boToken);
    assertEquals(2, info.body().path("memberCount").asLong());
    String cy = name();
    api.registerAndLogin(cy);
    assertEquals(200, api.post("/api/conversations/" + conv + "/members", annToken,
        Map.of("userIds", List.of(cy))).status());
    var members = api.get("/api/conversations/" + conv + "/members?limit=2", annToken);
    assertEquals(3, members.body().path("memberCount").asLong());
    assertEquals(2, members.body().path("members").size());
    assertEquals(204, api.delete("/api/conversations/" + conv + "/members/" + cy, annToken).status());
    assertEquals(2, api.get("/api/conversations/" + conv, annToken).body().path("memberCount").asLong());
  }

  @Test
  void restErrorsHaveStableCodes() {
    String token = api.registerAndLogin(name());
    var noAuth = api.get("/api/conversations", null);
    assertEquals(401, noAuth.status());
    assertEquals("unauthorized", noAuth.code());
    var malformed = api.postRaw("/api/conversations", token, "{\"type\":");
    assertEquals(400, malformed.status());
    assertEquals("bad_request", malformed.code());
    var unknownUser = api.post("/api/conversations", token, Map.of("type", "SMALL_GROUP", "members", List.of("ghost-" + PREFIX)));
    assertEquals(404, unknownUser.status());
    assertEquals("not_found", unknownUser.code());
    var badLimit = api.get("/api/conversations/x/messages?limit=abc", token);
    assertEquals(400, badLimit.status());
    var tooLarge = api.postRaw("/api/users", null, "{\"username\":\"" + "x".repeat(2_000_000) + "\"}");
    assertEquals(413, tooLarge.status());
    assertEquals("too_large", tooLarge.code());
    var wrongMethod = api.delete("/api/unread", token);
    assertEquals(405, wrongMethod.status());
    assertEquals("bad_request", wrongMethod.code());
    var noRoute = api.get("/api/nothing-here", token);
    assertEquals(404, noRoute.status());
    assertEquals("not_found", noRoute.code());
  }

  private static List<String> names(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static int refused(java.util.function.Supplier<WsClient> open) {
    Throwable t = assertThrows(Throwable.class, () -> open.get().close());
    return WsClient.refusedStatus(t);
  }
}

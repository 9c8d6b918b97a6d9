package dev.parley.http;

import static dev.parley.client.ClientTests.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.app.ParleyNode;
import dev.parley.app.PostgresDatabase;
import dev.parley.app.TestNodes;
import dev.parley.client.Backoff;
import dev.parley.client.ClientTests;
import dev.parley.client.FrameQueue;
import dev.parley.client.ParleyClient;
import dev.parley.client.ParleyException;
import dev.parley.client.ParleySession;
import dev.parley.client.ParleySocket;
import dev.parley.client.SocketEvent;
import dev.parley.client.SocketOptions;
import dev.parley.protocol.AddMembersRequest;
import dev.parley.protocol.ClientFrame;
import dev.parley.protocol.ConversationListItem;
import dev.parley.protocol.ConversationType;
import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.MemberPage;
import dev.parley.protocol.ProtocolCodec;
import dev.parley.protocol.ServerFrame;
import dev.parley.protocol.ServerFrame.AckFrame;
import dev.parley.protocol.ServerFrame.EditedFrame;
import dev.parley.protocol.ServerFrame.ErrorFrame;
import dev.parley.protocol.ServerFrame.MessageFrame;
import dev.parley.protocol.ServerFrame.PresenceFrame;
import dev.parley.protocol.ServerFrame.SubscribedFrame;
import dev.parley.protocol.ServerFrame.TypingIndicatorFrame;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.URI;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The client API end to end: a node in full mode on the local PostgreSQL and Redis, real clients over
 * real sockets (the client library). Behaviour is driven through the library's typed calls; where the
 * wire itself is under test (status codes, error bodies, malformed frames, close codes, refused
 * upgrades) through its raw escape hatches ({@link ParleyClient#exchange}, {@link ParleySocket#sendRaw},
 * {@link ParleySocket#tell}, {@link ParleyClient#anonymous()}). Sockets never reconnect: a close is
 * the server's answer under test, not something to resume.
 */
class ClientApiTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final SocketOptions PLAIN = SocketOptions.defaults().withReconnect(false, Backoff.DEFAULT);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicInteger NAMES = new AtomicInteger();
  private static final String PREFIX = "t" + Long.toString(System.nanoTime() % 1_000_000, 36);
  private static PostgresDatabase db;
  private static ParleyNode node;
  private static ParleyClient parley;
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
    parley = ParleyClient.create(node.httpUrl());
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

  /** A new account (password {@link ClientTests#password}), logged in. */
  private static ParleySession signUp() {
    return ClientTests.signUp(parley, name());
  }

  private static String create(ParleySession owner, ConversationType type, String name, List<ParleySession> members) {
    return owner.createConversation(type, name, members.stream().map(ParleySession::userId).toList()).join().id();
  }

  /** A socket and the queue of everything it reads, answers included. */
  private record Live(ParleySocket socket, FrameQueue frames) implements AutoCloseable {
    <T> T next(Class<T> type) {
      return frames.next(type, WAIT);
    }

    /** The final close (the server's code and reason), waiting up to 5 s. */
    SocketEvent.Closed closed() throws Exception {
      return socket.closed().get(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
      socket.close();
    }
  }

  private static Live connect(ParleySession session) {
    return connect(session, PLAIN);
  }

  private static Live connect(ParleySession session, SocketOptions options) {
    FrameQueue frames = new FrameQueue();
    return new Live(session.connect(options, frames).join(), frames);
  }

  /** The HTTP status the server refused the upgrade with. */
  private static int refused(ParleySession session, SocketOptions options) {
    ParleyException e = failure(session.connect(options, new FrameQueue()));
    assertTrue(e.fromServer(), e.toString());
    return e.httpStatus();
  }

  private static ClientFrame.SendFrame send(String conv, String clientMsgId, String text) {
    return new ClientFrame.SendFrame(conv, clientMsgId, text);
  }

  /** A REST answer as it came: the status and the body as JSON (a null node when empty). */
  private record Reply(int status, JsonNode body) {
    String code() {
      return body.path("code").asText();
    }
  }

  /** One raw REST exchange; {@code body} is sent as is when a String, else written as JSON. */
  private static Reply rest(String method, String path, String token, Object body) {
    var r = parley.exchange(method, path, token,
        body == null ? null : body instanceof String raw ? raw : ProtocolCodec.write(body)).join();
    try {
      return new Reply(r.status(), r.body().isEmpty() ? JSON.nullNode() : JSON.readTree(r.body()));
    } catch (java.io.IOException e) {
      throw new AssertionError("not JSON: " + r, e);
    }
  }

  // -- accounts and sessions ----------------------------------------------------------------------

  @Test
  void registersLogsInAndOutWithoutSayingWhichPartWasWrong() {
    String ann = name();
    assertEquals(201, rest("POST", "/api/users", null, Map.of("username", ann, "password", "long-enough")).status());
    var dup = rest("POST", "/api/users", null, Map.of("username", ann.toUpperCase(), "password", "long-enough"));
    assertEquals(409, dup.status());
    assertEquals("conflict", dup.code());

    var wrongPassword = rest("POST", "/api/sessions", null, Map.of("username", ann, "password", "not-the-one"));
    var unknownUser = rest("POST", "/api/sessions", null, Map.of("username", name(), "password", "long-enough"));
    assertEquals(401, wrongPassword.status());
    assertEquals(wrongPassword.body(), unknownUser.body());

    var login = rest("POST", "/api/sessions", null, Map.of("username", ann, "password", "long-enough"));
    assertEquals(200, login.status());
    String token = login.body().path("token").asText();
    assertEquals(200, rest("GET", "/api/conversations", token, null).status());
    // Only a hash of the token is in Redis.
    assertTrue(redisConnection.sync().keys(KEY_PREFIX + "*").stream().noneMatch(k -> k.contains(token)));

    assertEquals(204, rest("DELETE", "/api/sessions", token, null).status());
    var after = rest("GET", "/api/conversations", token, null);
    assertEquals(401, after.status());
    assertEquals("unauthorized", after.code());
  }

  @Test
  void repeatedFailedLoginsForOneNameAreThrottled() {
    String victim = name();
    ClientTests.signUp(parley, victim);
    for (int i = 0; i < 10; i++) {
      assertEquals(401, rest("POST", "/api/sessions", null, Map.of("username", victim, "password", "guess-" + i))
          .status());
    }
    var throttled = rest("POST", "/api/sessions", null,
        Map.of("username", victim, "password", ClientTests.password(victim)));
    assertEquals(429, throttled.status(), "even the right password waits once the budget is spent");
    assertEquals("rate_limited", throttled.code());
    // Other users are not affected.
    signUp();
  }

  // -- chatting -----------------------------------------------------------------------------------

  @Test
  void twoUsersChat() {
    ParleySession ann = signUp();
    ParleySession bo = signUp();
    String conv = create(ann, ConversationType.PRIVATE, null, List.of(bo));
    // The same pair gets the same private conversation, whoever asks.
    assertEquals(conv, create(bo, ConversationType.PRIVATE, null, List.of(ann)));

    try (Live a = connect(ann); Live b = connect(bo)) {
      assertEquals(0, a.socket().subscribe(conv).join().lastSeq());
      b.socket().subscribe(conv).join();

      AckFrame ack = a.socket().send(send(conv, "m1", "hi bo")).join();
      assertEquals(1, ack.seq());
      assertEquals("m1", ack.clientMsgId());
      assertFalse(ack.duplicate());
      MessageFrame got = b.next(MessageFrame.class);
      assertEquals("hi bo", got.message().text());
      assertEquals(ann.userId(), got.message().sender());

      // A resend of the same clientMsgId is the same message.
      AckFrame again = a.socket().send(send(conv, "m1", "hi bo")).join();
      assertEquals(1, again.seq());
      assertTrue(again.duplicate());

      b.socket().read(conv, 1).join();
      assertEquals(0, b.next(ServerFrame.UnreadFrame.class).count());
      ServerFrame.ReceiptFrame receipt = a.next(ServerFrame.ReceiptFrame.class);
      assertEquals(1, receipt.seq());
      assertEquals(List.of(bo.userId()), receipt.seenBy());

      assertEquals(1, b.socket().history(conv, null, null, null).join().messages().size());
      assertEquals(List.of(), b.frames().drain(MessageFrame.class, Duration.ofMillis(200)), "the resend made no message");
      assertEquals(0, b.socket().duplicatesDropped(), "the server sent no message twice");
    }
  }

  @Test
  void typingAndPresenceReachTheOtherMember() {
    ParleySession ann = signUp();
    ParleySession bo = signUp();
    String conv = create(ann, ConversationType.SMALL_GROUP, "pair", List.of(bo));
    try (Live b = connect(bo)) {
      b.socket().subscribe(conv).join();
      assertEquals(List.of(), b.frames().drain(PresenceFrame.class, Duration.ofMillis(300)),
          "nobody is told about their own presence");
      Live a = connect(ann);
      SubscribedFrame subscribed = a.socket().subscribe(conv).join();
      assertEquals(List.of(ann.userId(), bo.userId()), subscribed.online());
      PresenceFrame online = b.frames().next(PresenceFrame.class, p -> ann.userId().equals(p.user()), WAIT);
      assertTrue(online.online());

      a.socket().typing(conv).join();
      assertEquals(List.of(ann.userId()), b.next(TypingIndicatorFrame.class).users());
      // The signal expires by itself.
      assertEquals(List.of(), b.next(TypingIndicatorFrame.class).users());

      a.close();
      PresenceFrame offline = b.frames().next(PresenceFrame.class, p -> ann.userId().equals(p.user()), WAIT);
      assertFalse(offline.online());
    }
  }

  @Test
  void hundredMemberGroupGetsEveryMessageOnceAndInOrder() throws Exception {
    ParleySession owner = signUp();
    List<ParleySession> users = new ArrayList<>();
    for (int i = 0; i < 99; i++) {
      users.add(signUp());
    }
    String conv = create(owner, ConversationType.SMALL_GROUP, "hundred", users);
    assertEquals(ConversationType.LARGE_GROUP, owner.conversation(conv).join().type());
    users.add(owner);

    List<Live> clients = new ArrayList<>();
    try {
      List<CompletableFuture<SubscribedFrame>> subscribed = new ArrayList<>();
      for (ParleySession u : users) {
        Live c = connect(u);
        clients.add(c);
        subscribed.add(c.socket().subscribe(conv));
      }
      subscribed.forEach(CompletableFuture::join);
      // Three senders, 10 messages each, concurrently.
      List<CompletableFuture<AckFrame>> acks = java.util.Collections.synchronizedList(new ArrayList<>());
      List<Thread> senders = new ArrayList<>();
      for (int s = 0; s < 3; s++) {
        ParleySocket sender = clients.get(s).socket();
        int id = s;
        Thread t = new Thread(() -> {
          for (int i = 0; i < 10; i++) {
            acks.add(sender.send(send(conv, "s" + id + "-" + i, "message " + i + " from " + id)));
          }
        });
        t.start();
        senders.add(t);
      }
      for (Thread t : senders) {
        t.join();
      }
      for (Live c : clients) {
        for (long seq = 1; seq <= 30; seq++) {
          assertEquals(seq, c.next(MessageFrame.class).message().seq(), "every member gets seq " + seq + " next");
        }
        assertEquals(List.of(), c.frames().drain(MessageFrame.class, Duration.ofMillis(20)));
        assertEquals(0, c.socket().duplicatesDropped(), "the server sent no message twice");
      }
      assertEquals(30, acks.stream().map(CompletableFuture::join).mapToLong(AckFrame::seq).distinct().count());
    } finally {
      clients.forEach(Live::close);
    }
  }

  @Test
  void reconnectWithSinceSeqGetsExactlyTheMissedMessages() {
    ParleySession ann = signUp();
    ParleySession bo = signUp();
    String conv = create(ann, ConversationType.SMALL_GROUP, "resume", List.of(bo));
    try (Live a = connect(ann)) {
      a.socket().subscribe(conv).join();
      for (int i = 1; i <= 5; i++) {
        a.socket().send(send(conv, "r" + i, "before " + i)).join();
      }
      Live b = connect(bo);
      assertEquals(5, b.socket().subscribe(conv).join().lastSeq());
      b.close();
      for (int i = 6; i <= 12; i++) {
        a.socket().send(send(conv, "r" + i, "missed " + i)).join();
      }
      try (Live b2 = connect(bo)) {
        SubscribedFrame sub = b2.socket().subscribe(conv, 5L).join();
        assertEquals(12, sub.lastSeq());
        assertEquals(6L, sub.replayedFrom());
        assertFalse(sub.gap());
        for (long seq = 6; seq <= 12; seq++) {
          assertEquals(seq, b2.next(MessageFrame.class).message().seq());
        }
        a.socket().send(send(conv, "r13", "live")).join();
        assertEquals(13, b2.next(MessageFrame.class).message().seq());
        assertEquals(List.of(), b2.frames().drain(MessageFrame.class, Duration.ofMillis(300)));
        assertEquals(0, b2.socket().duplicatesDropped(), "nothing at or below sinceSeq was replayed");
      }
    }
  }

  @Test
  void aGapBeyondTheReplayLimitIsSaidExplicitly() {
    ParleySession ann = signUp();
    String conv = create(ann, ConversationType.CHANNEL, "news", List.of());
    try (Live a = connect(ann)) {
      for (int i = 1; i <= 15; i++) {
        a.socket().send(send(conv, "g" + i, "post " + i)).join();
      }
      SubscribedFrame sub = a.socket().subscribe(conv, 0L).join();
      assertTrue(sub.gap());
      assertEquals(6L, sub.replayedFrom(), "the newest replay-limit (10) messages are replayed");
      for (long seq = 6; seq <= 15; seq++) {
        assertEquals(seq, a.next(MessageFrame.class).message().seq());
      }
      assertEquals(0, a.socket().duplicatesDropped());
    }
  }

  // -- hostile input over the socket --------------------------------------------------------------

  @Test
  void badFramesGetBadRequestAndTheSocketStaysOpen() {
    ParleySession ann = signUp();
    String conv = create(ann, ConversationType.CHANNEL, "bad", List.of());
    try (Live a = connect(ann)) {
      a.socket().sendRaw("{not json");
      assertEquals(ErrorCode.BAD_REQUEST, a.next(ErrorFrame.class).code());
      a.socket().sendRaw("{\"type\":\"shout\",\"conv\":\"x\"}");
      ErrorFrame unknown = a.next(ErrorFrame.class);
      assertEquals(ErrorCode.BAD_REQUEST, unknown.code());
      assertTrue(unknown.message().contains("shout"));
      a.socket().sendRaw("{\"type\":\"send\",\"conv\":\"" + conv + "\",\"text\":\"no id\"}");
      ErrorFrame missing = a.next(ErrorFrame.class);
      assertTrue(missing.message().contains("clientMsgId"));
      assertFalse(missing.message().contains("Exception"));
      assertEquals(1, a.socket().send(send(conv, "ok", "still works")).join().seq());
      assertTrue(a.socket().isConnected());
    }
  }

  @Test
  void tooManyErrorsCloseTheSocketWithPolicyViolation() throws Exception {
    try (Live a = connect(signUp())) {
      for (int i = 0; i < 12; i++) {
        a.socket().sendRaw("nope " + i);
      }
      assertEquals(1008, a.closed().code());
    }
  }

  @Test
  void anOversizedFrameClosesWith1009() throws Exception {
    try (Live a = connect(signUp())) {
      a.socket().sendRaw("{\"type\":\"typing\",\"conv\":\"" + "x".repeat(5000) + "\"}");
      assertEquals(1009, a.closed().code());
    }
  }

  @Test
  void sendsOverTheRateGetRateLimitedWithRetryAfter() {
    ParleySession ann = signUp();
    String conv = create(ann, ConversationType.CHANNEL, "flood", List.of());
    try (Live a = connect(ann)) {
      List<CompletableFuture<AckFrame>> sends = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        sends.add(a.socket().send(send(conv, "f" + i, "flood " + i)));
      }
      List<ServerFrame> answers = a.frames().drain(ServerFrame.class, Duration.ofSeconds(3));
      List<ErrorFrame> limited = answers.stream().filter(ErrorFrame.class::isInstance).map(ErrorFrame.class::cast)
          .toList();
      List<AckFrame> acks = answers.stream().filter(AckFrame.class::isInstance).map(AckFrame.class::cast).toList();
      assertFalse(limited.isEmpty(), "the flood was throttled");
      assertEquals(ErrorCode.RATE_LIMITED, limited.get(0).code());
      assertTrue(limited.get(0).retryAfterMs() > 0);
      assertEquals(40, acks.size() + limited.size(), "every send got exactly one answer");
      // Nothing accepted was lost: the acks are exactly seqs 1..n.
      assertEquals(acks.size(), acks.stream().mapToLong(AckFrame::seq).distinct().count());
      assertEquals(acks.size(), acks.stream().mapToLong(AckFrame::seq).max().orElse(0));
      // Each send's own future carries its answer: the ack, or the refusal with its retry hint.
      assertTrue(sends.stream().allMatch(CompletableFuture::isDone), "every send's own future was answered");
      assertEquals(acks.size(), sends.stream().filter(f -> !f.isCompletedExceptionally()).count());
      ParleyException refusal = failure(sends.stream().filter(CompletableFuture::isCompletedExceptionally).findFirst()
          .orElseThrow());
      assertEquals(ErrorCode.RATE_LIMITED, refusal.code());
      assertTrue(refusal.retryAfterMs() > 0);
    }
  }

  @Test
  void aClientThatWaitsAsToldIsNeverClosedForBeingRateLimitedButOneThatIgnoresItIs() throws Exception {
    ParleySession ann = signUp();
    String conv = create(ann, ConversationType.CHANNEL, "patient", List.of());
    try (Live a = connect(ann)) {
      int limited = 0;
      for (int i = 0; limited < 15; i++) { // more rate_limited answers than max-errors-per-minute (10)
        try {
          a.socket().send(send(conv, "p" + i, "patient " + i)).get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
          ParleyException refused = ParleyException.unwrap(e);
          assertEquals(ErrorCode.RATE_LIMITED, refused.code(), refused.toString());
          limited++;
          Thread.sleep(refused.retryAfterMs());
        }
      }
      assertTrue(a.socket().isConnected(), "waiting as told never costs the socket");
      Thread.sleep(300);
      assertTrue(a.socket().send(send(conv, "after", "still here")).get(10, TimeUnit.SECONDS).seq() > 0);
    }
    ParleySession bo = signUp();
    String flood = create(bo, ConversationType.CHANNEL, "impatient", List.of());
    try (Live b = connect(bo)) {
      for (int i = 0; i < 60; i++) {
        b.socket().tell(send(flood, "f" + i, "flood " + i));
      }
      assertEquals(1008, b.closed().code(), "retrying before retryAfterMs counts against the error budget");
    }
  }

  @Test
  void nonMembersAreForbiddenAndUnknownConversationsWriteNothing() throws Exception {
    ParleySession ann = signUp();
    ParleySession eve = signUp();
    String conv = create(ann, ConversationType.SMALL_GROUP, "private club", List.of());
    String unknown = "no-such-" + UUID.randomUUID();
    try (Live e = connect(eve)) {
      e.socket().tell(new ClientFrame.SubscribeFrame(conv, null, "sub"));
      ErrorFrame refused = e.next(ErrorFrame.class);
      assertEquals(ErrorCode.FORBIDDEN, refused.code());
      assertEquals("sub", refused.ref(), "the refusal answers the subscribe frame");
      assertEquals(ErrorCode.FORBIDDEN, failure(e.socket().send(send(conv, "x1", "let me in"))).code());
      e.socket().read(conv, 1).join();
      assertEquals(ErrorCode.FORBIDDEN, e.frames().next(ErrorFrame.class, f -> f.ref() == null, WAIT).code());
      assertEquals(ErrorCode.NOT_FOUND, failure(e.socket().send(send(unknown, "x2", "hello?"))).code());
      assertEquals(ErrorCode.NOT_FOUND, failure(e.socket().subscribe(unknown)).code());
    }
    // Probing unknown ids leaves no conversation in memory either.
    Thread.sleep(500);
    assertFalse(TestNodes.hostedConversations(node).contains(unknown), "unknown id still hosted");
    try (Live e = connect(eve)) {
      assertEquals(ErrorCode.BAD_REQUEST, failure(e.socket().send(send("x".repeat(200), "x3", "long id"))).code());
      assertEquals(ErrorCode.BAD_REQUEST, failure(e.socket().send(send("bad id!", "x4", "odd id"))).code());
    }
    assertEquals(400, failure(eve.conversation("y".repeat(200))).httpStatus());
    assertEquals(403, failure(eve.conversation(conv)).httpStatus());
    assertEquals(404, failure(eve.conversation(unknown)).httpStatus());
    try (Connection c = db.connect(); ResultSet rs = c.createStatement().executeQuery(
        "SELECT count(*) FROM event_journal WHERE persistence_id = 'Conversation|" + unknown + "'")) {
      rs.next();
      assertEquals(0, rs.getLong(1));
    }
  }

  // -- the upgrade --------------------------------------------------------------------------------

  @Test
  void upgradeRefusesMissingForgedAndRevokedTokensBeforeSwitchingProtocols() {
    assertEquals(401, refused(parley.anonymous(), PLAIN));
    assertEquals(401, refused(parley.session("forged-" + UUID.randomUUID()), PLAIN));
    String token = signUp().token();
    String tampered = token.substring(0, token.length() - 1) + (token.endsWith("A") ? "B" : "A");
    assertEquals(401, refused(parley.session(tampered), PLAIN));
    // A token in the URL (where logs keep it) is refused outright. The library never puts one there, so
    // this one upgrade is made with the JDK client directly.
    Throwable inUrl = assertThrows(Exception.class, () -> parley.httpClient().newWebSocketBuilder()
        .buildAsync(URI.create(parley.webSocketUri() + "?token=" + token), new WebSocket.Listener() {})
        .get(10, TimeUnit.SECONDS).abort());
    assertEquals(400, handshakeStatus(inUrl));
    ParleySession revoked = signUp();
    revoked.logout().join();
    assertEquals(401, refused(revoked, PLAIN));
  }

  @Test
  void theTokenMayComeAsASubprotocol() {
    ParleySession ann = signUp();
    try (Live c = connect(ann, PLAIN.withTokenInSubprotocol(true))) {
      assertEquals("parley.v1", c.socket().subprotocol());
      assertEquals(ErrorCode.NOT_FOUND, failure(c.socket().history("nope", null, null, null)).code());
    }
    // The server never echoes the token: it selects parley.v1, which must therefore be offered.
    assertEquals(400, refused(parley.anonymous(), PLAIN.withSubprotocols(List.of("parley.token." + ann.token()))));
  }

  @Test
  void editsAndDeletesAreAnsweredWithTheirRef() throws Exception {
    ParleySession ann = signUp();
    String conv = create(ann, ConversationType.CHANNEL, "edits", List.of());
    try (Live a = connect(ann)) {
      a.socket().send(send(conv, "e1", "first")).join();
      EditedFrame unchanged = a.socket().edit(conv, 1, "first").join();
      assertNotNull(unchanged.ref());
      assertEquals("first", unchanged.text());
      a.socket().sendRaw("{\"type\":\"subscribe\",\"conv\":\"" + conv + "\"}");
      a.next(SubscribedFrame.class);
      EditedFrame answer = a.socket().edit(conv, 1, "better").join();
      List<EditedFrame> edited = List.of(a.frames().next(EditedFrame.class, f -> "better".equals(f.text()), WAIT),
          a.frames().next(EditedFrame.class, f -> "better".equals(f.text()), WAIT));
      assertEquals(1, edited.stream().filter(f -> answer.ref().equals(f.ref())).count(),
          "one answer to the editor, one fan-out copy");
      var first = a.socket().delete(conv, 1);
      var second = a.socket().delete(conv, 1);
      assertEquals(1, first.get(10, TimeUnit.SECONDS).seq());
      assertEquals(1, second.get(10, TimeUnit.SECONDS).seq(), "a repeated delete is answered too");
      assertTrue(a.socket().isConnected());
    }
  }

  @Test
  void originMustMatchTheAllowlistExactly() {
    ParleySession ann = signUp();
    assertEquals(403, refused(ann, PLAIN.withOrigin("http://evil.example")));
    assertEquals(403, refused(ann, PLAIN.withOrigin("http://localhost:8080.evil.example")));
    assertEquals(403, refused(ann, PLAIN.withOrigin("http://localhost:808")));
    try (Live ok = connect(ann, PLAIN.withOrigin("http://localhost:8080"))) {
      assertTrue(ok.socket().isConnected());
    }
  }

  @Test
  void connectionsPerUserAreCapped() {
    ParleySession ann = signUp();
    List<Live> open = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        open.add(connect(ann));
      }
      failure(open.get(2).socket().history("nope", null, null, null));
      assertEquals(429, refused(ann, PLAIN));
    } finally {
      open.forEach(Live::close);
    }
  }

  @Test
  void aRevokedTokenClosesItsOpenSockets() throws Exception {
    ParleySession ann = signUp();
    try (Live byLogout = connect(ann)) {
      ann.logout().join();
      assertEquals(1008, byLogout.closed().code());
    }
    // Revoked elsewhere (another node, or expired): noticed at the next token check.
    String other = signUp().token();
    try (Live c = connect(parley.session(other))) {
      String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(other.getBytes()));
      assertEquals(1, redisConnection.sync().del(KEY_PREFIX + hash));
      // The socket is told why, with the same code REST answers a dead token with, then closed.
      ErrorFrame why = c.next(ErrorFrame.class);
      assertEquals(ErrorCode.UNAUTHORIZED, why.code());
      assertTrue(why.message().contains("session expired or revoked"), why.toString());
      SocketEvent.Closed closed = c.closed();
      assertEquals(1008, closed.code());
      assertEquals("session expired or revoked", closed.reason());
    }
  }

  @Test
  void binaryFramesAreRefused() throws Exception {
    try (Live c = connect(signUp())) {
      c.socket().webSocket().sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3}), true).join();
      assertEquals(1003, c.closed().code());
    }
  }

  // -- REST ---------------------------------------------------------------------------------------

  @Test
  void restServesConversationsHistoryReceiptsAndUnread() {
    ParleySession ann = signUp();
    ParleySession bo = signUp();
    String conv = create(ann, ConversationType.SMALL_GROUP, "team", List.of(bo));
    String quiet = create(ann, ConversationType.SMALL_GROUP, "quiet", List.of(bo));
    try (Live a = connect(ann)) {
      for (int i = 1; i <= 3; i++) {
        a.socket().send(send(conv, "h" + i, "hello " + i)).join();
      }
    }
    List<ConversationListItem> list = bo.conversations().join().items();
    ConversationListItem first = list.get(0);
    assertEquals(conv, first.conv(), "most recent activity first");
    assertEquals(3, first.unread());
    assertEquals("hello 3", first.lastMessage().text());
    assertEquals(quiet, list.get(1).conv());

    assertEquals(2, bo.history(conv, 3L, null, 5).join().messages().size());
    assertEquals(2, bo.unread().join().items().size());
    assertEquals(0, ann.receipts(conv, 3).join().seenBy().size());

    assertEquals(2, bo.conversation(conv).join().memberCount());
    ParleySession cy = signUp();
    ann.addMembers(conv, new AddMembersRequest(List.of(cy.userId()), null)).join();
    MemberPage members = ann.members(conv, null, 2).join();
    assertEquals(3, members.memberCount());
    assertEquals(2, members.members().size());
    ann.removeMember(conv, cy.userId()).join();
    assertEquals(2, ann.conversation(conv).join().memberCount());
  }

  @Test
  void restErrorsHaveStableCodes() {
    String token = signUp().token();
    var noAuth = rest("GET", "/api/conversations", null, null);
    assertEquals(401, noAuth.status());
    assertEquals("unauthorized", noAuth.code());
    var malformed = rest("POST", "/api/conversations", token, "{\"type\":");
    assertEquals(400, malformed.status());
    assertEquals("bad_request", malformed.code());
    var unknownUser = rest("POST", "/api/conversations", token,
        Map.of("type", "SMALL_GROUP", "members", List.of("ghost-" + PREFIX)));
    assertEquals(404, unknownUser.status());
    assertEquals("not_found", unknownUser.code());
    var badLimit = rest("GET", "/api/conversations/x/messages?limit=abc", token, null);
    assertEquals(400, badLimit.status());
    var tooLarge = rest("POST", "/api/users", null, "{\"username\":\"" + "x".repeat(2_000_000) + "\"}");
    assertEquals(413, tooLarge.status());
    assertEquals("too_large", tooLarge.code());
    String said = tooLarge.body().path("message").asText().toLowerCase(java.util.Locale.ROOT);
    assertFalse(said.contains("pekko") || said.contains("max-content-length") || said.contains("withsizelimit"),
        "no configuration text in an answer: " + said);
    var wrongMethod = rest("DELETE", "/api/unread", token, null);
    assertEquals(405, wrongMethod.status());
    assertEquals("bad_request", wrongMethod.code());
    var noRoute = rest("GET", "/api/nothing-here", token, null);
    assertEquals(404, noRoute.status());
    assertEquals("not_found", noRoute.code());
  }

  /** The HTTP status of a refused upgrade, from the JDK client's failure. */
  private static int handshakeStatus(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof WebSocketHandshakeException h) {
        return h.getResponse().statusCode();
      }
    }
    throw new AssertionError("expected a refused upgrade, got " + failure, failure);
  }
}

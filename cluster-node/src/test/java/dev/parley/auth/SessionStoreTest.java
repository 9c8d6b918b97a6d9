package dev.parley.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.SessionToken;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both session stores against the same expectations: the Redis one on the local Redis
 * (127.0.0.1:6379, override with PARLEY_TEST_REDIS_URL) under a key prefix unique to this run whose
 * keys are deleted afterwards, and the in-memory one on a clock the test moves.
 */
class SessionStoreTest {
  private static final String REDIS_URL = System.getenv().getOrDefault("PARLEY_TEST_REDIS_URL", "redis://127.0.0.1:6379");
  private static final String PREFIX = "parley-test:" + UUID.randomUUID() + ":session:";
  private static final AuthSettings SETTINGS = new AuthSettings(4, Duration.ofDays(7), PREFIX);

  private static RedisClient client;
  private static StatefulRedisConnection<String, String> connection;
  private static RedisCommands<String, String> redis;

  @BeforeAll
  static void connect() {
    client = RedisClient.create(REDIS_URL);
    connection = client.connect();
    redis = connection.sync();
  }

  @AfterAll
  static void cleanUp() {
    List<String> keys = keysWithPrefix();
    if (!keys.isEmpty()) {
      redis.del(keys.toArray(String[]::new));
    }
    connection.close();
    client.shutdown();
  }

  static Stream<Named<SessionStore>> stores() {
    return Stream.of(
        Named.of("redis", new RedisSessionStore(connection, SETTINGS, Clock.systemUTC())),
        Named.of("in-memory", new InMemorySessionStore(SETTINGS, Clock.systemUTC())));
  }

  @ParameterizedTest
  @MethodSource("stores")
  void issuedTokenResolves(SessionStore store) throws Exception {
    Instant before = Instant.now();
    SessionToken issued = await(store.issue("ann"));
    assertEquals("ann", issued.userId());
    assertEquals(43, issued.token().length());
    assertTrue(issued.token().matches("[A-Za-z0-9_-]{43}"), "base64url without padding");
    assertFalse(issued.expiresAt().isBefore(before.plus(Duration.ofDays(7)).minusSeconds(1)));
    assertEquals(Optional.of("ann"), await(store.resolve(issued.token())));
    assertEquals(Optional.of("ann"), await(store.resolve(issued.token())), "resolving does not consume it");
    assertNotEquals(issued.token(), await(store.issue("ann")).token(), "every login gets its own token");
  }

  @ParameterizedTest
  @MethodSource("stores")
  void revokedTokenNoLongerResolves(SessionStore store) throws Exception {
    SessionToken kept = await(store.issue("bo"));
    SessionToken revoked = await(store.issue("bo"));
    assertTrue(await(store.revoke(revoked.token())));
    assertEquals(Optional.empty(), await(store.resolve(revoked.token())));
    assertFalse(await(store.revoke(revoked.token())), "a second revoke finds nothing");
    assertEquals(Optional.of("bo"), await(store.resolve(kept.token())), "other sessions of the user stay");
  }

  @ParameterizedTest
  @MethodSource("stores")
  void forgedAndMalformedTokensDoNotResolve(SessionStore store) throws Exception {
    String real = await(store.issue("carol")).token();
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    char changed = real.charAt(10) == 'A' ? 'B' : 'A';
    List<String> bad = new ArrayList<>(List.of(
        Base64.getUrlEncoder().withoutPadding().encodeToString(random),
        Base64.getEncoder().encodeToString(random),
        "",
        "x".repeat(10 * 1024),
        real.substring(0, 10) + changed + real.substring(11),
        real + "A",
        real.substring(1),
        real.replace(real.charAt(0), '*'),
        "*".repeat(43)));
    bad.add(null);
    for (String token : bad) {
      assertEquals(Optional.empty(), await(store.resolve(token)), "resolve " + token);
      assertFalse(await(store.revoke(token)), "revoke " + token);
    }
    assertEquals(Optional.of("carol"), await(store.resolve(real)), "bad tokens left the real one alone");
  }

  @Test
  void expiredTokenDoesNotResolveInMemory() throws Exception {
    MutableClock clock = new MutableClock();
    InMemorySessionStore store = new InMemorySessionStore(SETTINGS, clock);
    SessionToken issued = await(store.issue("dave"));
    assertEquals(clock.instant().plus(Duration.ofDays(7)), issued.expiresAt());
    clock.advance(Duration.ofDays(7).minusSeconds(1));
    assertEquals(Optional.of("dave"), await(store.resolve(issued.token())));

    SessionToken other = await(store.issue("dave"));
    clock.advance(Duration.ofDays(7));
    assertEquals(Optional.empty(), await(store.resolve(other.token())));
    assertFalse(await(store.revoke(issued.token())), "an expired session is not live to revoke");
    assertEquals(0, store.size(), "expired entries are removed when touched");
  }

  @Test
  void expiredTokenDoesNotResolveInRedis() throws Exception {
    RedisSessionStore store = new RedisSessionStore(connection, new AuthSettings(4, Duration.ofSeconds(1), PREFIX),
        Clock.systemUTC());
    SessionToken issued = await(store.issue("dave"));
    assertEquals(Optional.of("dave"), await(store.resolve(issued.token())));
    Thread.sleep(1_300);
    assertEquals(Optional.empty(), await(store.resolve(issued.token())));
    assertEquals(0, redis.exists(PREFIX + sha256(issued.token())));
  }

  @Test
  void expiredEntriesAreSweptWithoutBeingTouched() throws Exception {
    MutableClock clock = new MutableClock();
    InMemorySessionStore store = new InMemorySessionStore(new AuthSettings(4, Duration.ofMinutes(10), PREFIX), clock);
    for (int i = 0; i < InMemorySessionStore.SWEEP_EVERY - 1; i++) {
      await(store.issue("user" + i));
    }
    clock.advance(Duration.ofMinutes(11));
    SessionToken fresh = await(store.issue("erin"));
    assertEquals(1, store.size(), "the sweep dropped every expired entry and kept the live one");
    assertEquals(Optional.of("erin"), await(store.resolve(fresh.token())));
  }

  @Test
  void resolveSlidesTheTtlInMemory() throws Exception {
    MutableClock clock = new MutableClock();
    InMemorySessionStore store = new InMemorySessionStore(new AuthSettings(4, Duration.ofMinutes(10), PREFIX), clock);
    SessionToken issued = await(store.issue("frank"));
    clock.advance(Duration.ofMinutes(8));
    assertEquals(Optional.of("frank"), await(store.resolve(issued.token())));
    clock.advance(Duration.ofMinutes(8));
    assertEquals(Optional.of("frank"), await(store.resolve(issued.token())), "16 min after issue, 8 after use");
    clock.advance(Duration.ofMinutes(10));
    assertEquals(Optional.empty(), await(store.resolve(issued.token())), "10 min unused");
  }

  @Test
  void resolveSlidesTheTtlInRedis() throws Exception {
    RedisSessionStore store = new RedisSessionStore(connection, SETTINGS, Clock.systemUTC());
    SessionToken issued = await(store.issue("frank"));
    String key = PREFIX + sha256(issued.token());
    long full = Duration.ofDays(7).toSeconds();
    assertTrue(redis.ttl(key) > full - 5, "issued with the full TTL");
    redis.expire(key, 30);
    assertTrue(redis.ttl(key) <= 30);
    assertEquals(Optional.of("frank"), await(store.resolve(issued.token())));
    assertTrue(redis.ttl(key) > full - 5, "resolve reset the TTL, got " + redis.ttl(key));
  }

  @Test
  void onlyTheHashIsStored() throws Exception {
    RedisSessionStore store = new RedisSessionStore(connection, SETTINGS, Clock.systemUTC());
    SessionToken issued = await(store.issue("gina"));
    List<String> keys = keysWithPrefix();
    assertTrue(keys.contains(PREFIX + sha256(issued.token())), "key is prefix + SHA-256 hex of the token");
    for (String key : keys) {
      assertFalse(key.contains(issued.token()));
      String value = redis.get(key);
      if (value != null) {
        assertFalse(value.contains(issued.token()));
      }
    }
    assertEquals("gina", redis.get(PREFIX + sha256(issued.token())));
  }

  @Test
  void redisFailureFailsWithUnavailable() throws Exception {
    StatefulRedisConnection<String, String> closed = client.connect();
    RedisSessionStore store = new RedisSessionStore(closed, SETTINGS, Clock.systemUTC());
    closed.close();
    for (CompletionStage<?> stage : List.of(
        store.issue("hank"), store.resolve(SessionTokens.newToken()), store.revoke(SessionTokens.newToken()))) {
      ExecutionException e = assertThrows(ExecutionException.class, () -> await(stage));
      assertTrue(e.getCause() instanceof AuthException, "got " + e.getCause());
      assertEquals(ErrorCode.UNAVAILABLE, ((AuthException) e.getCause()).code());
    }
  }

  @Test
  void tokensThisNodeResolvedStillResolveForTheGraceWhileRedisIsUnreachable() throws Exception {
    MutableClock clock = new MutableClock();
    try (dev.parley.TcpProxy proxy = new dev.parley.TcpProxy(
        io.lettuce.core.RedisURI.create(REDIS_URL).getHost(), io.lettuce.core.RedisURI.create(REDIS_URL).getPort())) {
      RedisClient viaProxy = dev.parley.app.ParleyNode.redisClient("redis://127.0.0.1:" + proxy.port(), Duration.ofSeconds(2));
      try (StatefulRedisConnection<String, String> c = viaProxy.connect()) {
        RedisSessionStore store = new RedisSessionStore(c, new AuthSettings(4, Duration.ofDays(7), PREFIX,
            Duration.ofMinutes(5)), clock);
        SessionToken seen = await(store.issue("ivy"));
        SessionToken unseen = await(store.issue("jack"));
        SessionToken revoked = await(store.issue("kim"));
        assertEquals(Optional.of("ivy"), await(store.resolve(seen.token())));
        assertEquals(Optional.of("kim"), await(store.resolve(revoked.token())));
        assertTrue(await(store.revoke(revoked.token())));

        proxy.cut();
        assertEquals(Optional.of("ivy"), await(store.resolve(seen.token())), "resolved here before the outage");
        for (SessionToken t : List.of(unseen, revoked)) {
          ExecutionException e = assertThrows(ExecutionException.class, () -> await(store.resolve(t.token())));
          assertEquals(ErrorCode.UNAVAILABLE, ((AuthException) e.getCause()).code(),
              "never resolved here, or revoked: cannot be vouched for");
        }
        ExecutionException login = assertThrows(ExecutionException.class, () -> await(store.issue("liam")));
        assertEquals(ErrorCode.UNAVAILABLE, ((AuthException) login.getCause()).code());

        clock.advance(Duration.ofMinutes(5).plusSeconds(1));
        ExecutionException late = assertThrows(ExecutionException.class, () -> await(store.resolve(seen.token())));
        assertEquals(ErrorCode.UNAVAILABLE, ((AuthException) late.getCause()).code(), "the grace is over");

        proxy.restore();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Optional<String> back = Optional.empty();
        while (System.nanoTime() < deadline) {
          try {
            back = await(store.resolve(seen.token()));
            break;
          } catch (ExecutionException reconnecting) {
            Thread.sleep(100);
          }
        }
        assertEquals(Optional.of("ivy"), back, "Redis answers again after it reconnects");
      } finally {
        viaProxy.shutdown();
      }
    }
  }

  @Test
  void settingsComeFromAuthConf() {
    AuthSettings defaults = AuthSettings.fromConfig(
        ConfigFactory.parseResources("auth.conf").resolve(ConfigResolveOptions.noSystem()));
    assertEquals(new AuthSettings(10, Duration.ofDays(7), "parley:session:"), defaults);
    assertThrows(IllegalArgumentException.class, () -> new AuthSettings(3, Duration.ofDays(7), "p:"));
    assertThrows(IllegalArgumentException.class, () -> new AuthSettings(10, Duration.ofMillis(1500), "p:"));
    assertThrows(IllegalArgumentException.class, () -> new AuthSettings(10, Duration.ofDays(7), " "));
  }

  private static List<String> keysWithPrefix() {
    List<String> keys = new ArrayList<>();
    ScanArgs match = ScanArgs.Builder.matches(PREFIX + "*").limit(500);
    KeyScanCursor<String> cursor = redis.scan(match);
    keys.addAll(cursor.getKeys());
    while (!cursor.isFinished()) {
      cursor = redis.scan(ScanCursor.of(cursor.getCursor()), match);
      keys.addAll(cursor.getKeys());
    }
    return keys;
  }

  private static String sha256(String token) throws Exception {
    return HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII)));
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** A clock the test moves by hand. */
  private static final class MutableClock extends Clock {
    private volatile Instant now = Instant.parse("2030-01-01T00:00:00Z");

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }
}

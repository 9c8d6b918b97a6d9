package dev.parley.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.parley.app.NodeConfig;
import dev.parley.app.PostgresDatabase;
import dev.parley.app.Schema;
import dev.parley.protocol.ErrorCode;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Accounts on both databases a node runs on: a throw-away PostgreSQL database and an H2 file, each
 * migrated by the node's own Flyway migrations. Every test starts from an empty {@code users} table.
 */
class AccountsTest {
  private static final AuthSettings SETTINGS = new AuthSettings(4, Duration.ofDays(7), "parley:session:");

  @TempDir
  static Path tmp;

  private static PostgresDatabase postgres;
  private static ExecutorService executor;
  private static final List<Backend> backends = new ArrayList<>();

  /** One database under test: its pool and the Accounts on it. */
  record Backend(String name, HikariDataSource dataSource, Accounts accounts) {
    Accounts fresh() throws Exception {
      try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
        s.executeUpdate("DELETE FROM users");
      }
      return accounts;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  @BeforeAll
  static void start() {
    executor = Executors.newFixedThreadPool(4);
    postgres = PostgresDatabase.create();
    backends.add(backend("postgresql", postgres.url(), postgres.user()));
    backends.add(backend("h2", "jdbc:h2:file:" + tmp.resolve("parley").toAbsolutePath(), ""));
  }

  private static Backend backend(String name, String url, String user) {
    NodeConfig.Database db = NodeConfig.Database.of(ConfigFactory.parseMap(Map.of(
        "parley.db.url", url, "parley.db.user", user, "parley.db.password", "", "parley.db.h2-file", "")));
    Schema.migrate(db);
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(db.url());
    hc.setUsername(db.user());
    hc.setPassword(db.password());
    hc.setMaximumPoolSize(4);
    HikariDataSource ds = new HikariDataSource(hc);
    return new Backend(name, ds, new Accounts(ds, SETTINGS, executor, new PasswordPool(4, 1000, 0)));
  }

  @AfterAll
  static void stop() throws Exception {
    backends.forEach(b -> b.dataSource().close());
    if (postgres != null) {
      postgres.close();
    }
    executor.shutdown();
    executor.awaitTermination(10, TimeUnit.SECONDS);
  }

  static Stream<Backend> backends() {
    return backends.stream();
  }

  @ParameterizedTest
  @MethodSource("backends")
  void registersAndAuthenticates(Backend backend) throws Exception {
    Accounts accounts = backend.fresh();
    assertEquals("ann.lee", await(accounts.register("Ann.Lee", "correct horse")));
    assertEquals(Optional.of("ann.lee"), await(accounts.authenticate("ann.lee", "correct horse")));
    assertEquals(Optional.of("ann.lee"), await(accounts.authenticate("ANN.LEE", "correct horse")));
    assertTrue(await(accounts.exists("ann.lee")));
    assertFalse(await(accounts.exists("Ann.Lee")), "ids are lower-case; exists compares exactly");
    assertFalse(await(accounts.exists("bo")));
  }

  @ParameterizedTest
  @MethodSource("backends")
  void rejectsDuplicateUsernameWithConflict(Backend backend) throws Exception {
    Accounts accounts = backend.fresh();
    await(accounts.register("bo_1", "password-one"));
    assertEquals(ErrorCode.CONFLICT, failure(accounts.register("bo_1", "password-two")).code());
    assertEquals(ErrorCode.CONFLICT, failure(accounts.register("BO_1", "password-two")).code());
    assertEquals(Optional.of("bo_1"), await(accounts.authenticate("bo_1", "password-one")),
        "the refused registrations did not replace the password");
    assertEquals(Optional.empty(), await(accounts.authenticate("bo_1", "password-two")));
  }

  @ParameterizedTest
  @MethodSource("backends")
  void concurrentRegistrationsOfOneNameYieldOneAccountAndConflicts(Backend backend) throws Exception {
    Accounts accounts = backend.fresh();
    List<CompletionStage<String>> attempts = IntStream.range(0, 8)
        .mapToObj(i -> accounts.register(i % 2 == 0 ? "race" : "RACE", "password-" + i)).toList();
    int won = 0;
    for (CompletionStage<String> attempt : attempts) {
      try {
        assertEquals("race", await(attempt));
        won++;
      } catch (ExecutionException e) {
        assertEquals(ErrorCode.CONFLICT, ((AuthException) e.getCause()).code());
      }
    }
    assertEquals(1, won);
  }

  @ParameterizedTest
  @MethodSource("backends")
  void rejectsBadUsernameAndShortPassword(Backend backend) throws Exception {
    Accounts accounts = backend.fresh();
    for (String bad : new String[] {null, "", "ab", "a".repeat(33), "has space", "semi;colon", "émile", "\u212Aate"}) {
      AuthException e = failure(accounts.register(bad, "long enough password"));
      assertEquals(ErrorCode.BAD_REQUEST, e.code(), "username " + bad);
      assertTrue(e.getMessage().contains("username"), e.getMessage());
    }
    for (String bad : new String[] {null, "", "short", "1234567", "x".repeat(257)}) {
      AuthException e = failure(accounts.register("valid_name", bad));
      assertEquals(ErrorCode.BAD_REQUEST, e.code());
      assertTrue(e.getMessage().contains("password"), e.getMessage());
    }
    assertEquals("edge", await(accounts.register("edge", "12345678")));
    assertEquals("a".repeat(32), await(accounts.register("a".repeat(32), "y".repeat(256))));
    assertEquals(Set.of("valid_name"), await(accounts.missing(List.of("valid_name"))), "nothing was stored");
  }

  @ParameterizedTest
  @MethodSource("backends")
  void wrongPasswordAndUnknownUserBothGiveEmpty(Backend backend) throws Exception {
    Accounts accounts = backend.fresh();
    await(accounts.register("carol", "carol's password"));
    assertEquals(Optional.empty(), await(accounts.authenticate("carol", "Carol's password")));
    assertEquals(Optional.empty(), await(accounts.authenticate("carol", "carol's passwor")));
    assertEquals(Optional.empty(), await(accounts.authenticate("dave", "carol's password")));
    assertEquals(Optional.empty(), await(accounts.authenticate(null, "carol's password")));
    assertEquals(Optional.empty(), await(accounts.authenticate("carol", null)));
    assertEquals(Optional.empty(), await(accounts.authenticate("carol", "x".repeat(10_000))));
    assertEquals(Optional.empty(), await(accounts.authenticate("carol; --", "carol's password")));
  }

  @ParameterizedTest
  @MethodSource("backends")
  void passwordsLongerThan72BytesAreNotTruncated(Backend backend) throws Exception {
    Accounts accounts = backend.fresh();
    String prefix = "p".repeat(80);
    await(accounts.register("longpw", prefix + "-the-real-end"));
    assertEquals(Optional.of("longpw"), await(accounts.authenticate("longpw", prefix + "-the-real-end")));
    assertEquals(Optional.empty(), await(accounts.authenticate("longpw", prefix + "-another-end")));
    assertEquals(Optional.empty(), await(accounts.authenticate("longpw", prefix)));
    // Multi-byte characters: 40 chars of 3 UTF-8 bytes are 120 bytes.
    String wide = "€".repeat(40);
    await(accounts.register("widepw", wide + "a"));
    assertEquals(Optional.of("widepw"), await(accounts.authenticate("widepw", wide + "a")));
    assertEquals(Optional.empty(), await(accounts.authenticate("widepw", wide + "b")));
  }

  @ParameterizedTest
  @MethodSource("backends")
  void missingReportsUnknownIds(Backend backend) throws Exception {
    Accounts accounts = backend.fresh();
    await(accounts.register("erin", "erin's password"));
    await(accounts.register("frank", "frank's password"));
    assertEquals(Set.of("gus", "Erin", "x"),
        await(accounts.missing(List.of("erin", "gus", "frank", "Erin", "x", "gus"))));
    assertEquals(Set.of(), await(accounts.missing(List.of("erin", "frank"))));
    assertEquals(Set.of(), await(accounts.missing(List.of())));

    List<String> thousand = new ArrayList<>(IntStream.range(0, 999).mapToObj(i -> "user" + i).toList());
    thousand.add("erin");
    Set<String> missing = await(accounts.missing(thousand));
    assertEquals(999, missing.size());
    assertFalse(missing.contains("erin"));

    List<String> tooMany = new ArrayList<>(thousand);
    tooMany.add("one-more");
    assertEquals(ErrorCode.BAD_REQUEST, failure(accounts.missing(tooMany)).code());
    assertEquals(ErrorCode.BAD_REQUEST, failure(accounts.missing(null)).code());
    assertEquals(ErrorCode.BAD_REQUEST, failure(accounts.missing(java.util.Arrays.asList("erin", null))).code());
  }

  @ParameterizedTest
  @MethodSource("backends")
  void storesOnlyAHash(Backend backend) throws Exception {
    Accounts accounts = backend.fresh();
    String password = "hunter2-but-longer";
    await(accounts.register("gina", password));
    await(accounts.register("hank", password));
    List<String> hashes = new ArrayList<>();
    try (Connection c = backend.dataSource().getConnection();
        PreparedStatement s = c.prepareStatement("SELECT password_hash FROM users ORDER BY user_id")) {
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          hashes.add(rs.getString(1));
        }
      }
    }
    assertEquals(2, hashes.size());
    for (String hash : hashes) {
      assertNotEquals(password, hash);
      assertFalse(hash.contains(password));
      assertTrue(hash.startsWith("$2a$04$"), hash);
      assertEquals(60, hash.length());
    }
    assertNotEquals(hashes.get(0), hashes.get(1), "each hash has its own salt");
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static AuthException failure(CompletionStage<?> stage) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> await(stage));
    assertTrue(e.getCause() instanceof AuthException, "expected AuthException, got " + e.getCause());
    return (AuthException) e.getCause();
  }
}

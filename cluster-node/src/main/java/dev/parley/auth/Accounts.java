package dev.parley.auth;

import at.favre.lib.crypto.bcrypt.BCrypt;
import at.favre.lib.crypto.bcrypt.LongPasswordStrategies;
import at.favre.lib.crypto.bcrypt.LongPasswordStrategy;
import dev.parley.protocol.ErrorCode;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * Owns the {@code users} table: registration, password checks and existence queries. A user id is
 * the username lower-cased ({@code [a-z0-9_.-]{3,32}}); the password is stored only as a bcrypt hash
 * (long passwords are pre-hashed with SHA-512, never truncated at bcrypt's 72 bytes).
 *
 * <p>Registration and password checks (the lookup and the bcrypt) run on the bounded
 * {@link PasswordPool}; other JDBC work on the {@link Executor} given at construction; never on the
 * caller's thread. A full pool refuses at once ({@code unavailable} or {@code rate_limited}, with a
 * retry hint) instead of queueing without bound. {@link #passwordChecks()} counts the bcrypt
 * verifications made (the login throttle's test and the node's metrics read it). Every stage fails with an {@link AuthException} (not wrapped in a
 * CompletionException): {@code BAD_REQUEST} for invalid input, {@code CONFLICT} for a taken name,
 * {@code UNAVAILABLE} when the database cannot be reached, {@code INTERNAL} for anything else.
 *
 * <p>What is lost on failure: nothing. A registration is one INSERT in auto-commit; it either
 * committed (the account exists) or it did not (the caller may retry, and a retry after an unseen
 * commit answers {@code CONFLICT}). Reads change nothing.
 */
public final class Accounts {
  /** Most ids one {@link #missing} call may ask about. */
  public static final int MAX_IDS_PER_QUERY = 1000;
  public static final int MIN_PASSWORD_LENGTH = 8;
  public static final int MAX_PASSWORD_LENGTH = 256;

  private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9_.-]{3,32}");
  private static final Pattern USER_ID = Pattern.compile("[a-z0-9_.-]{3,32}");
  private static final String UNIQUE_VIOLATION = "23505";
  private static final BCrypt.Version VERSION = BCrypt.Version.VERSION_2A;

  private final DataSource dataSource;
  private final AuthSettings settings;
  private final Executor executor;
  private final PasswordPool passwords;
  private final java.util.concurrent.atomic.LongAdder checks = new java.util.concurrent.atomic.LongAdder();
  private final BCrypt.Hasher hasher;
  private final BCrypt.Verifyer verifyer;
  /** Hash verified when the user is unknown, so both failures cost one bcrypt; made on first need. */
  private volatile byte[] dummyHash;

  /**
   * @param dataSource where the {@code users} table lives (migrated by Flyway, V2__users.sql)
   * @param settings   bcrypt cost for new hashes
   * @param executor   runs the blocking JDBC work of the existence queries
   * @param passwords  runs registrations and password checks (bounded; see {@link PasswordPool})
   */
  public Accounts(DataSource dataSource, AuthSettings settings, Executor executor, PasswordPool passwords) {
    if (dataSource == null || settings == null || executor == null || passwords == null) {
      throw new IllegalArgumentException("dataSource, settings, executor and passwords are required");
    }
    this.dataSource = dataSource;
    this.settings = settings;
    this.executor = executor;
    this.passwords = passwords;
    LongPasswordStrategy longPasswords = LongPasswordStrategies.hashSha512(VERSION);
    this.hasher = BCrypt.with(VERSION, new SecureRandom(), longPasswords);
    this.verifyer = BCrypt.verifyer(VERSION, longPasswords);
  }

  /**
   * Creates an account and returns its user id (the username lower-cased). Fails with
   * {@code BAD_REQUEST} for a username outside {@code [A-Za-z0-9_.-]{3,32}} or a password outside
   * 8..256 characters, and with {@code CONFLICT} when the id is taken (also by a differently-cased
   * name, and also when two registrations race: the unique constraint decides).
   */
  public CompletionStage<String> register(String username, String password) {
    return register(username, password, "");
  }

  /** As {@link #register(String, String)} for a request from {@code address} (the pool's per-address cap). */
  public CompletionStage<String> register(String username, String password, String address) {
    String userId;
    try {
      userId = userIdOf(username);
      checkPassword(password);
    } catch (AuthException e) {
      return CompletableFuture.failedFuture(e);
    }
    return passwords.submit(address, () -> {
      String hash = hash(password);
      try (Connection c = dataSource.getConnection();
          PreparedStatement s = c.prepareStatement("INSERT INTO users (user_id, password_hash) VALUES (?, ?)")) {
        s.setString(1, userId);
        s.setString(2, hash);
        s.executeUpdate();
        return userId;
      } catch (SQLException e) {
        if (isUniqueViolation(e)) {
          throw new AuthException(ErrorCode.CONFLICT, "username '" + userId + "' is taken");
        }
        throw databaseFailure(e);
      }
    });
  }

  /**
   * The user id when {@code password} is the account's password; empty for an unknown user and for
   * a wrong password alike. An unknown (but well-formed) user still costs one bcrypt verification,
   * so the answer time does not tell which of the two was wrong.
   */
  public CompletionStage<Optional<String>> authenticate(String username, String password) {
    return authenticate(username, password, "");
  }

  /** As {@link #authenticate(String, String)} for a request from {@code address} (the pool's per-address cap). */
  public CompletionStage<Optional<String>> authenticate(String username, String password, String address) {
    if (username == null || !USERNAME.matcher(username).matches() || !validPassword(password)) {
      // Input no account can match says nothing about which accounts exist: no lookup, no bcrypt.
      return CompletableFuture.completedFuture(Optional.empty());
    }
    String userId = username.toLowerCase(Locale.ROOT);
    return passwords.submit(address, () -> {
      String stored = storedHash(userId);
      byte[] candidate = password.getBytes(StandardCharsets.UTF_8);
      checks.increment();
      try {
        if (stored == null) {
          verifyer.verify(candidate, dummyHash());
          return Optional.<String>empty();
        }
        boolean ok = verifyer.verify(candidate, stored.getBytes(StandardCharsets.US_ASCII)).verified;
        return ok ? Optional.of(userId) : Optional.<String>empty();
      } finally {
        Arrays.fill(candidate, (byte) 0);
      }
    });
  }

  /** Password verifications (bcrypt) made so far, for unknown users (the dummy hash) too. */
  public long passwordChecks() {
    return checks.sum();
  }

  /**
   * The ids among {@code userIds} that are not registered (one query). Ids are compared exactly, so
   * an id that is not lower-case is never registered. Fails with {@code BAD_REQUEST} for a null
   * collection or element, or more than {@value #MAX_IDS_PER_QUERY} ids.
   */
  public CompletionStage<Set<String>> missing(Collection<String> userIds) {
    if (userIds == null) {
      return CompletableFuture.failedFuture(new AuthException(ErrorCode.BAD_REQUEST, "user ids are required"));
    }
    if (userIds.size() > MAX_IDS_PER_QUERY) {
      return CompletableFuture.failedFuture(new AuthException(ErrorCode.BAD_REQUEST,
          "at most " + MAX_IDS_PER_QUERY + " user ids per request, got " + userIds.size()));
    }
    Set<String> missing = new LinkedHashSet<>();
    Set<String> candidates = new LinkedHashSet<>();
    for (String id : userIds) {
      if (id == null) {
        return CompletableFuture.failedFuture(new AuthException(ErrorCode.BAD_REQUEST, "user ids must not be null"));
      }
      (USER_ID.matcher(id).matches() ? candidates : missing).add(id);
    }
    if (candidates.isEmpty()) {
      return CompletableFuture.completedFuture(Collections.unmodifiableSet(missing));
    }
    return run(() -> {
      String sql = "SELECT user_id FROM users WHERE user_id IN ("
          + String.join(", ", Collections.nCopies(candidates.size(), "?")) + ")";
      try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
        int i = 1;
        for (String id : candidates) {
          s.setString(i++, id);
        }
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            candidates.remove(rs.getString(1));
          }
        }
      } catch (SQLException e) {
        throw databaseFailure(e);
      }
      missing.addAll(candidates);
      return Collections.unmodifiableSet(missing);
    });
  }

  /** Whether {@code userId} (an exact, lower-case id) is registered; false for null or malformed ids. */
  public CompletionStage<Boolean> exists(String userId) {
    if (userId == null || !USER_ID.matcher(userId).matches()) {
      return CompletableFuture.completedFuture(false);
    }
    return run(() -> {
      try (Connection c = dataSource.getConnection();
          PreparedStatement s = c.prepareStatement("SELECT 1 FROM users WHERE user_id = ?")) {
        s.setString(1, userId);
        try (ResultSet rs = s.executeQuery()) {
          return rs.next();
        }
      } catch (SQLException e) {
        throw databaseFailure(e);
      }
    });
  }

  private static String userIdOf(String username) {
    if (username == null || !USERNAME.matcher(username).matches()) {
      throw new AuthException(ErrorCode.BAD_REQUEST,
          "username must be 3 to 32 characters of letters, digits, '_', '.' or '-'");
    }
    return username.toLowerCase(Locale.ROOT);
  }

  private static boolean validPassword(String password) {
    if (password == null || password.length() > MAX_PASSWORD_LENGTH * 2) {
      return false;
    }
    int length = password.codePointCount(0, password.length());
    return length >= MIN_PASSWORD_LENGTH && length <= MAX_PASSWORD_LENGTH;
  }

  private static void checkPassword(String password) {
    if (!validPassword(password)) {
      throw new AuthException(ErrorCode.BAD_REQUEST,
          "password must be " + MIN_PASSWORD_LENGTH + " to " + MAX_PASSWORD_LENGTH + " characters");
    }
  }

  private String hash(String password) {
    byte[] bytes = password.getBytes(StandardCharsets.UTF_8);
    try {
      return new String(hasher.hash(settings.bcryptCost(), bytes), StandardCharsets.US_ASCII);
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
  }

  private byte[] dummyHash() {
    byte[] h = dummyHash;
    if (h == null) {
      byte[] random = new byte[32];
      new SecureRandom().nextBytes(random);
      h = hasher.hash(settings.bcryptCost(), random);
      dummyHash = h;
    }
    return h;
  }

  private String storedHash(String userId) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement s = c.prepareStatement("SELECT password_hash FROM users WHERE user_id = ?")) {
      s.setString(1, userId);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    } catch (SQLException e) {
      throw databaseFailure(e);
    }
  }

  private static boolean isUniqueViolation(SQLException e) {
    for (SQLException x = e; x != null; x = x.getNextException()) {
      if (UNIQUE_VIOLATION.equals(x.getSQLState())) {
        return true;
      }
    }
    return false;
  }

  private static AuthException databaseFailure(SQLException e) {
    return dev.parley.sql.SqlFailures.isTransient(e)
        ? new AuthException(ErrorCode.UNAVAILABLE, "account store unavailable", e)
        : new AuthException(ErrorCode.INTERNAL, "account store failed", e);
  }

  /** Runs {@code work} on the executor; the stage fails with the AuthException itself, unwrapped. */
  private <T> CompletionStage<T> run(Supplier<T> work) {
    CompletableFuture<T> result = new CompletableFuture<>();
    try {
      executor.execute(() -> {
        try {
          result.complete(work.get());
        } catch (AuthException e) {
          result.completeExceptionally(e);
        } catch (RuntimeException | Error e) {
          result.completeExceptionally(new AuthException(ErrorCode.INTERNAL, "account operation failed", e));
        }
      });
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(new AuthException(ErrorCode.UNAVAILABLE, "account store is shutting down", e));
    }
    return result;
  }
}

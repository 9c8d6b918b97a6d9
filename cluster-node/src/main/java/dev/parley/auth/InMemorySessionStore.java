package dev.parley.auth;

import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.SessionToken;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sessions in this JVM's memory, for the embedded single-node mode: SHA-256 hex of the token
 * mapped to (user id, expiry). Expired entries are removed when touched and by a sweep over the
 * whole map every {@value #SWEEP_EVERY} issues, so the map holds at most the live sessions plus the
 * ones expired since the last sweep.
 *
 * <p>What is lost on failure: everything. Tokens live only in memory, so a restart or crash of the
 * node (and {@link #close()}) forgets every session and users log in again. Accounts are not
 * affected. Not shared between nodes: a cluster of several nodes needs {@link RedisSessionStore}.
 */
public final class InMemorySessionStore implements SessionStore {
  /** Issues between two sweeps of expired entries. */
  static final int SWEEP_EVERY = 1024;

  private record Session(String userId, Instant expiresAt) {}

  private final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();
  private final AtomicLong issued = new AtomicLong();
  private final AuthSettings settings;
  private final Clock clock;

  public InMemorySessionStore(AuthSettings settings, Clock clock) {
    if (settings == null || clock == null) {
      throw new IllegalArgumentException("settings and clock are required");
    }
    this.settings = settings;
    this.clock = clock;
  }

  @Override
  public CompletionStage<SessionToken> issue(String userId) {
    if (userId == null || userId.isBlank()) {
      return CompletableFuture.failedFuture(new AuthException(ErrorCode.BAD_REQUEST, "user id is required"));
    }
    if (issued.incrementAndGet() % SWEEP_EVERY == 0) {
      sweep();
    }
    Instant expiresAt = clock.instant().plus(settings.sessionTtl());
    while (true) {
      String token = SessionTokens.newToken();
      // putIfAbsent: a (practically impossible) collision never overwrites another user's session.
      if (sessions.putIfAbsent(SessionTokens.hash(token).orElseThrow(), new Session(userId, expiresAt)) == null) {
        return CompletableFuture.completedFuture(new SessionToken(token, userId, expiresAt));
      }
    }
  }

  @Override
  public CompletionStage<Optional<String>> resolve(String token) {
    Optional<String> hash = SessionTokens.hash(token);
    if (hash.isEmpty()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    Instant now = clock.instant();
    Session slid = sessions.computeIfPresent(hash.get(), (k, s) ->
        live(s, now) ? new Session(s.userId(), now.plus(settings.sessionTtl())) : null);
    return CompletableFuture.completedFuture(Optional.ofNullable(slid).map(Session::userId));
  }

  @Override
  public CompletionStage<Boolean> revoke(String token) {
    Optional<String> hash = SessionTokens.hash(token);
    if (hash.isEmpty()) {
      return CompletableFuture.completedFuture(false);
    }
    Session removed = sessions.remove(hash.get());
    return CompletableFuture.completedFuture(removed != null && live(removed, clock.instant()));
  }

  /** Forgets every session. */
  @Override
  public void close() {
    sessions.clear();
  }

  /** Entries held, live or not yet swept (for tests and metrics). */
  int size() {
    return sessions.size();
  }

  private void sweep() {
    Instant now = clock.instant();
    sessions.values().removeIf(s -> !live(s, now));
  }

  private static boolean live(Session s, Instant now) {
    return now.isBefore(s.expiresAt());
  }
}

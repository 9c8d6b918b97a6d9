package dev.parley.auth;

import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.SessionToken;
import io.lettuce.core.GetExArgs;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.time.Clock;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Sessions in Redis, shared by every node: key {@code redis-key-prefix + sha256hex(token)}, value the
 * user id, expiring by Redis TTL. Issue is {@code SET key userId NX EX ttl}, resolve is
 * {@code GETEX key EX ttl} (one round trip that also slides the TTL; needs Redis 6.2+), revoke is
 * {@code DEL}. Only the async API is used; no call blocks. Stages complete on Lettuce's I/O thread,
 * so callbacks attached to them must not block either.
 *
 * <p>The connection is shared and owned by the caller: {@link #close()} does not close it.
 *
 * <p>What is lost on failure: when Redis is unreachable, issue and revoke fail with
 * {@code UNAVAILABLE} (nobody can log in or out until it is back), and so does resolving a token,
 * except one this node resolved within {@code outage-grace}: that one still resolves to the user it
 * resolved to, from a bounded in-memory table kept only for this purpose (Redis stays the source of
 * truth whenever it answers). A token revoked on another node just before the outage may therefore
 * be honoured here for up to the grace. A Redis that restarts without persistence loses all
 * sessions (users log in again). Accounts are not affected.
 */
public final class RedisSessionStore implements SessionStore {
  private final RedisAsyncCommands<String, String> redis;
  private final AuthSettings settings;
  private final Clock clock;
  /** Token hash -> the last successful resolve on this node; read only while Redis is unreachable. */
  private final Map<String, Resolved> resolved = Collections.synchronizedMap(
      new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Resolved> eldest) {
          return size() > MAX_REMEMBERED;
        }
      });

  /** Tokens remembered for the outage grace at most (least recently used go first). */
  static final int MAX_REMEMBERED = 100_000;

  private record Resolved(String userId, java.time.Instant at) {}

  public RedisSessionStore(StatefulRedisConnection<String, String> connection, AuthSettings settings, Clock clock) {
    if (connection == null || settings == null || clock == null) {
      throw new IllegalArgumentException("connection, settings and clock are required");
    }
    this.redis = connection.async();
    this.settings = settings;
    this.clock = clock;
  }

  @Override
  public CompletionStage<SessionToken> issue(String userId) {
    if (userId == null || userId.isBlank()) {
      return CompletableFuture.failedFuture(new AuthException(ErrorCode.BAD_REQUEST, "user id is required"));
    }
    String token = SessionTokens.newToken();
    String key = key(SessionTokens.hash(token).orElseThrow());
    long ttl = settings.sessionTtlSeconds();
    return call(() -> redis.set(key, userId, SetArgs.Builder.nx().ex(ttl)), reply -> {
      if (!"OK".equals(reply)) {
        // NX refused: 256 random bits collided with a live session. Never overwrite another user's.
        throw new AuthException(ErrorCode.INTERNAL, "could not issue a session token");
      }
      return new SessionToken(token, userId, clock.instant().plusSeconds(ttl));
    });
  }

  @Override
  public CompletionStage<Optional<String>> resolve(String token) {
    Optional<String> hash = SessionTokens.hash(token);
    if (hash.isEmpty()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    String key = key(hash.get());
    CompletionStage<Optional<String>> fromRedis =
        call(() -> redis.getex(key, new GetExArgs().ex(settings.sessionTtlSeconds())), Optional::ofNullable);
    if (settings.outageGrace().isZero()) {
      return fromRedis;
    }
    return fromRedis.handle((user, failure) -> {
      if (failure == null) {
        if (user.isPresent()) {
          resolved.put(hash.get(), new Resolved(user.get(), clock.instant()));
        } else {
          resolved.remove(hash.get());
        }
        return CompletableFuture.completedFuture(user);
      }
      Resolved known = resolved.get(hash.get());
      if (known != null && !known.at().plus(settings.outageGrace()).isBefore(clock.instant())) {
        return CompletableFuture.completedFuture(Optional.of(known.userId()));
      }
      return CompletableFuture.<Optional<String>>failedFuture(failure);
    }).thenCompose(stage -> stage);
  }

  @Override
  public CompletionStage<Boolean> revoke(String token) {
    Optional<String> hash = SessionTokens.hash(token);
    if (hash.isEmpty()) {
      return CompletableFuture.completedFuture(false);
    }
    String key = key(hash.get());
    resolved.remove(hash.get());
    return call(() -> redis.del(key), deleted -> deleted != null && deleted > 0);
  }

  /** Does nothing: the Redis connection belongs to whoever passed it in. */
  @Override
  public void close() {}

  private String key(String hash) {
    return settings.redisKeyPrefix() + hash;
  }

  /**
   * Sends a command and maps its reply; a Redis failure (also one thrown while sending) fails the
   * stage with {@code UNAVAILABLE}, and the stage fails with the AuthException itself, unwrapped.
   */
  private <T, R> CompletionStage<R> call(Supplier<RedisFuture<T>> command, Function<T, R> onReply) {
    CompletableFuture<R> result = new CompletableFuture<>();
    RedisFuture<T> sent;
    try {
      sent = command.get();
    } catch (RuntimeException e) {
      result.completeExceptionally(unavailable(e));
      return result;
    }
    sent.whenComplete((reply, error) -> {
      if (error != null) {
        result.completeExceptionally(unavailable(error));
        return;
      }
      try {
        result.complete(onReply.apply(reply));
      } catch (AuthException e) {
        result.completeExceptionally(e);
      } catch (RuntimeException e) {
        result.completeExceptionally(new AuthException(ErrorCode.INTERNAL, "session store failed", e));
      }
    });
    return result;
  }

  private static AuthException unavailable(Throwable cause) {
    return new AuthException(ErrorCode.UNAVAILABLE, "session store unavailable", cause);
  }
}

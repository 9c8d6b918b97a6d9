package dev.parley.auth;

import dev.parley.protocol.SessionToken;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Owns the login sessions: bearer tokens issued at login, resolved on every REST call and WebSocket
 * upgrade, revoked at logout. A token is 32 random bytes, base64url without padding; a store keeps
 * only the SHA-256 hex of it, mapped to the user id, and forgets it {@code parley.auth.session-ttl}
 * after it was issued or last resolved (sliding).
 *
 * <p>Stages fail only with an {@link AuthException} ({@code UNAVAILABLE} when the backing store
 * cannot be reached); bad input (null, empty, malformed, forged, expired, revoked tokens) is
 * answered, never thrown. What a failure loses depends on the implementation; see each class.
 */
public interface SessionStore extends AutoCloseable {

  /** Issues a new token for {@code userId}, valid for the session TTL from now. */
  CompletionStage<SessionToken> issue(String userId);

  /**
   * The user id the token belongs to, and the token's lifetime starts again; empty for an unknown,
   * expired, revoked, null or malformed token.
   */
  CompletionStage<Optional<String>> resolve(String token);

  /** Ends the session; true if the token was live. Null or malformed tokens answer false. */
  CompletionStage<Boolean> revoke(String token);

  /** Releases what this store owns (never a connection it was given). */
  @Override
  void close();
}

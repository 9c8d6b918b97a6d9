package dev.parley.protocol;

import java.time.Instant;

/**
 * REST answer to a successful login: the bearer {@code token} for REST calls and the WebSocket
 * upgrade, the user's id, and when the token expires.
 */
public record SessionToken(String token, String userId, Instant expiresAt) {
  public SessionToken {
    Fields.require(token, "token", "session");
    Fields.require(userId, "userId", "session");
    Fields.require(expiresAt, "expiresAt", "session");
  }

  /** Never prints the token. */
  @Override
  public String toString() {
    return "SessionToken[token=***, userId=" + userId + ", expiresAt=" + expiresAt + "]";
  }
}

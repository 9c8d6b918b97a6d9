package dev.parley.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The session token format shared by every {@link SessionStore}: 32 bytes from one shared
 * {@link SecureRandom}, base64url without padding (43 characters). Stores keep only
 * {@link #hash the SHA-256 hex of a token}, so a leaked store does not yield usable tokens. Holds no
 * state but the random source; nothing is lost on failure.
 */
final class SessionTokens {
  static final int TOKEN_BYTES = 32;
  /** Length of a well-formed token: 32 bytes in unpadded base64. */
  static final int TOKEN_LENGTH = 43;

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

  private SessionTokens() {}

  /** A new random token. */
  static String newToken() {
    byte[] bytes = new byte[TOKEN_BYTES];
    RANDOM.nextBytes(bytes);
    return ENCODER.encodeToString(bytes);
  }

  /**
   * The SHA-256 hex of {@code token}, or empty when it cannot be a token this format issued (null,
   * wrong length, a character outside the base64url alphabet): such input is never looked up.
   */
  static Optional<String> hash(String token) {
    if (token == null || token.length() != TOKEN_LENGTH) {
      return Optional.empty();
    }
    for (int i = 0; i < token.length(); i++) {
      char ch = token.charAt(i);
      boolean base64url = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')
          || ch == '-' || ch == '_';
      if (!base64url) {
        return Optional.empty();
      }
    }
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII));
      return Optional.of(HexFormat.of().formatHex(digest));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }
}

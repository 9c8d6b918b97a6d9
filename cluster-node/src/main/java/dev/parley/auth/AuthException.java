package dev.parley.auth;

import dev.parley.protocol.CodedFailure;
import dev.parley.protocol.ErrorCode;

/**
 * Why an account or session operation was refused or could not run. {@link #code()} is the stable
 * wire code; the message is safe to show a client (it never contains a password, a token or a
 * database detail; those stay in the cause, for the log).
 */
public final class AuthException extends RuntimeException implements CodedFailure {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;
  private final Long retryAfterMs;

  public AuthException(ErrorCode code, String message) {
    this(code, message, null);
  }

  public AuthException(ErrorCode code, String message, Throwable cause) {
    this(code, message, cause, null);
  }

  /** A refusal after which trying again in {@code retryAfterMs} may succeed (a busy or throttled login). */
  public AuthException(ErrorCode code, String message, Throwable cause, Long retryAfterMs) {
    super(message, cause);
    if (code == null) {
      throw new IllegalArgumentException("code is required");
    }
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }

  @Override
  public ErrorCode code() {
    return code;
  }

  @Override
  public Long retryAfterMs() {
    return retryAfterMs;
  }
}

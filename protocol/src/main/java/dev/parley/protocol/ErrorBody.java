package dev.parley.protocol;

/**
 * REST error body: a stable {@link ErrorCode}, a client-safe message (defaults to the code's wire
 * string when none is given) and, when waiting helps ({@code rate_limited}, a busy {@code unavailable}),
 * {@code retryAfterMs}: how long to wait before trying again (absent otherwise). Same codes as the
 * WebSocket {@code error} frame.
 */
public record ErrorBody(ErrorCode code, String message, Long retryAfterMs) {
  public ErrorBody {
    Fields.require(code, "code", "error");
    if (message == null || message.isBlank()) {
      message = code.code();
    }
    if (retryAfterMs != null && retryAfterMs < 0) {
      throw ProtocolException.badRequest("error.retryAfterMs must not be negative");
    }
  }

  /** A body without a retry hint. */
  public ErrorBody(ErrorCode code, String message) {
    this(code, message, null);
  }

  /** The body for a rejected request. */
  public static ErrorBody of(ProtocolException e) {
    return new ErrorBody(e.code(), e.getMessage());
  }
}

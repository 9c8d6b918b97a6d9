package dev.parley.protocol;

/**
 * REST error body: a stable {@link ErrorCode} and a client-safe message (defaults to the code's wire
 * string when none is given). Same codes as the WebSocket {@code error} frame.
 */
public record ErrorBody(ErrorCode code, String message) {
  public ErrorBody {
    Fields.require(code, "code", "error");
    if (message == null || message.isBlank()) {
      message = code.code();
    }
  }

  /** The body for a rejected request. */
  public static ErrorBody of(ProtocolException e) {
    return new ErrorBody(e.code(), e.getMessage());
  }
}

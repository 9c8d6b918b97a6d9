package dev.parley.protocol;

/**
 * A frame or body could not be read (or written). {@link #code()} is the stable error code to answer
 * with ({@link ErrorCode#BAD_REQUEST} for every parse failure); {@link #getMessage()} is safe to send
 * to the client as is: it names fields and frame types, never Java classes or parser internals.
 */
public final class ProtocolException extends RuntimeException implements CodedFailure {
  private final ErrorCode code;

  public ProtocolException(ErrorCode code, String message) {
    this(code, message, null);
  }

  /** {@code cause} is for server logs only; it never reaches the message. */
  public ProtocolException(ErrorCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = Fields.require(code, "code", "error");
  }

  /** A {@link ErrorCode#BAD_REQUEST} with the given client-safe message. */
  public static ProtocolException badRequest(String message) {
    return new ProtocolException(ErrorCode.BAD_REQUEST, message);
  }

  @Override
  public ErrorCode code() {
    return code;
  }
}

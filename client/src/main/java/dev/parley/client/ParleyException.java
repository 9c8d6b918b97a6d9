package dev.parley.client;

import dev.parley.protocol.ErrorBody;
import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.ProtocolCodec;
import dev.parley.protocol.ServerFrame;

/**
 * Every failure the client reports: the protocol's stable {@link ErrorCode} and the server's
 * client-safe message, from a REST error body ({@link #httpStatus()} set), a WebSocket {@code error}
 * frame ({@link #ref()} set; {@link #retryAfterMs()} when waiting helps — {@code rate_limited},
 * {@code overloaded}, a busy {@code unavailable} — in bodies and frames) or a refused WebSocket upgrade
 * (the HTTP status of the refusal). When no answer came from the server at all (connection refused,
 * socket lost before the answer, interrupted) the code is
 * {@link ErrorCode#UNAVAILABLE}, {@link #fromServer()} is false and the cause holds the I/O error.
 *
 * <p>What a failed send, edit or delete means (docs/protocol.md §5): an error from the server
 * ({@link #fromServer()}) stored nothing, except {@link ErrorCode#UNKNOWN_OUTCOME}: the server does
 * not know, so repeat it (a send with the same {@code clientMsgId}; the server stores it at most
 * once). {@link ErrorCode#OVERLOADED} stored nothing: repeat it after {@link #retryAfterMs()}. A
 * failure with {@link #fromServer()} false after the request was written is unknown as well.
 */
public final class ParleyException extends RuntimeException {
  private final ErrorCode code;
  private final int httpStatus;
  private final String ref;
  private final Long retryAfterMs;
  private final boolean fromServer;

  private ParleyException(ErrorCode code, String message, int httpStatus, String ref, Long retryAfterMs,
      boolean fromServer, Throwable cause) {
    super(message, cause);
    this.code = code;
    this.httpStatus = httpStatus;
    this.ref = ref;
    this.retryAfterMs = retryAfterMs;
    this.fromServer = fromServer;
  }

  /** A REST answer with a non-2xx status; the body is read as an {@link ErrorBody} when it is one. */
  public static ParleyException ofHttp(int status, String body) {
    try {
      ErrorBody e = ProtocolCodec.read(body, ErrorBody.class);
      return new ParleyException(e.code(), e.message(), status, null, e.retryAfterMs(), true, null);
    } catch (RuntimeException notAnErrorBody) {
      ErrorCode code = codeOf(status);
      return new ParleyException(code, "HTTP " + status + " " + code.code(), status, null, null, true, null);
    }
  }

  /** A WebSocket {@code error} frame. */
  public static ParleyException ofFrame(ServerFrame.ErrorFrame e) {
    return new ParleyException(e.code(), e.message(), 0, e.ref(), e.retryAfterMs(), true, null);
  }

  /** No answer from the server: it could not be reached, or the connection ended first. */
  public static ParleyException unreachable(String message, Throwable cause) {
    return new ParleyException(ErrorCode.UNAVAILABLE, message, 0, null, null, false, cause);
  }

  /** A request this client refuses itself (not connected, closed, cannot log in again); nothing reached the server. */
  public static ParleyException local(ErrorCode code, String message) {
    return new ParleyException(code, message, 0, null, null, false, null);
  }

  /** The stable error code (the same in REST bodies and {@code error} frames). */
  public ErrorCode code() {
    return code;
  }

  /** The HTTP status of a REST answer or refused upgrade; 0 for {@code error} frames and unreachable servers. */
  public int httpStatus() {
    return httpStatus;
  }

  /** The {@code ref} an {@code error} frame echoed; null for REST and when the frame had none. */
  public String ref() {
    return ref;
  }

  /** When the server said waiting helps ({@code rate_limited}, {@code overloaded}, a busy {@code unavailable}): how long to wait; null otherwise. */
  public Long retryAfterMs() {
    return retryAfterMs;
  }

  /** True when the server answered with this error; false when no answer came (see the class comment). */
  public boolean fromServer() {
    return fromServer;
  }

  @Override
  public String toString() {
    return "ParleyException[" + code.code() + (httpStatus == 0 ? "" : ", HTTP " + httpStatus)
        + (ref == null ? "" : ", ref " + ref) + "]: " + getMessage();
  }

  /**
   * The code an HTTP status stands for when the body is not an error body (docs/protocol.md §5).
   * 405 is the server's answer to a wrong method, reported as {@code bad_request}.
   */
  static ErrorCode codeOf(int status) {
    return switch (status) {
      case 400, 405 -> ErrorCode.BAD_REQUEST;
      case 401 -> ErrorCode.UNAUTHORIZED;
      case 403 -> ErrorCode.FORBIDDEN;
      case 404 -> ErrorCode.NOT_FOUND;
      case 409 -> ErrorCode.CONFLICT;
      case 413 -> ErrorCode.TOO_LARGE;
      case 422 -> ErrorCode.LIMIT_EXCEEDED;
      case 429 -> ErrorCode.RATE_LIMITED;
      case 503 -> ErrorCode.UNAVAILABLE;
      case 504 -> ErrorCode.UNKNOWN_OUTCOME;
      default -> ErrorCode.INTERNAL;
    };
  }

  /**
   * The ParleyException inside a failure as {@code join()}/{@code get()} or a future's callback report it
   * (unwrapping {@code CompletionException} and {@code ExecutionException}); any other failure comes back
   * as an {@code unavailable} one with the failure as its cause and its message.
   */
  public static ParleyException unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof java.util.concurrent.CompletionException
        || c instanceof java.util.concurrent.ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    return c instanceof ParleyException p ? p : unreachable(describe(c), c);
  }

  private static String describe(Throwable t) {
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}

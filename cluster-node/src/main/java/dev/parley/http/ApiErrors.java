package dev.parley.http;

import dev.parley.conversation.Rejection;
import dev.parley.protocol.CodedFailure;
import dev.parley.protocol.ErrorBody;
import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.ProtocolCodec;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.http.scaladsl.model.IllegalRequestException;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that turns a failure into an HTTP answer: a status and a body {@code {code, message}}
 * with a stable {@link ErrorCode}. Which code a failure has is decided by {@link Rejection#codeOf}
 * (shared with the WebSocket session); the HTTP status of each code is decided here. Messages of our own rejections are client-safe; anything
 * unexpected is logged here and answered as {@code internal} without details.
 */
public final class ApiErrors {
  private static final Logger log = LoggerFactory.getLogger(ApiErrors.class);

  private ApiErrors() {}

  public static StatusCode statusOf(ErrorCode code) {
    return switch (code) {
      case BAD_REQUEST -> StatusCodes.BAD_REQUEST;
      case TOO_LARGE -> StatusCodes.PAYLOAD_TOO_LARGE;
      case UNAUTHORIZED -> StatusCodes.UNAUTHORIZED;
      case FORBIDDEN -> StatusCodes.FORBIDDEN;
      case NOT_FOUND, NOT_IN_MEMORY -> StatusCodes.NOT_FOUND;
      case CONFLICT, NOT_EDITABLE -> StatusCodes.CONFLICT;
      case LIMIT_EXCEEDED -> StatusCodes.UNPROCESSABLE_ENTITY;
      case RATE_LIMITED -> StatusCodes.TOO_MANY_REQUESTS;
      case UNAVAILABLE, OVERLOADED -> StatusCodes.SERVICE_UNAVAILABLE;
      case UNKNOWN_OUTCOME -> StatusCodes.GATEWAY_TIMEOUT;
      case INTERNAL -> StatusCodes.INTERNAL_SERVER_ERROR;
    };
  }

  public static HttpResponse response(ErrorCode code, String message) {
    return response(statusOf(code), code, message, null);
  }

  /**
   * The answer {@code {code, message, retryAfterMs}} with {@code status}; when {@code retryAfterMs}
   * is set, also the standard {@code Retry-After} header (whole seconds, rounded up).
   */
  public static HttpResponse response(StatusCode status, ErrorCode code, String message, Long retryAfterMs) {
    HttpResponse r = HttpResponse.create()
        .withStatus(status)
        .withEntity(ContentTypes.APPLICATION_JSON, ProtocolCodec.writeBytes(new ErrorBody(code, message, retryAfterMs)));
    return retryAfterMs == null ? r
        : r.addHeader(HttpHeader.parse("Retry-After", String.valueOf(Math.max(1, (retryAfterMs + 999) / 1000))));
  }

  /**
   * Any failure of a request. The code and the client-safe message come from
   * {@link Rejection#codeOf}/{@link Rejection#messageOf}, the same mapping the WebSocket uses; this
   * class only adds the HTTP status and the server-side log.
   */
  public static HttpResponse response(Throwable failure) {
    Throwable t = Rejection.unwrap(failure);
    if (t instanceof EntityStreamSizeException) {
      // pekko-http's own text names its configuration: never shown to a client.
      return response(ErrorCode.TOO_LARGE, "request body too large");
    }
    if (t instanceof IllegalRequestException) {
      return response(ErrorCode.BAD_REQUEST, "malformed request");
    }
    ErrorCode code = Rejection.codeOf(t);
    logServerSide(code, t);
    Long retryAfterMs = t instanceof CodedFailure c ? c.retryAfterMs() : null;
    return response(statusOf(code), code, Rejection.messageOf(t), retryAfterMs);
  }

  /** Failures that are the server's side (a store down, a bug) are logged; client mistakes are not. */
  private static void logServerSide(ErrorCode code, Throwable t) {
    if (code == ErrorCode.INTERNAL) {
      log.error("request failed", t);
    } else if ((code == ErrorCode.UNAVAILABLE || code == ErrorCode.UNKNOWN_OUTCOME) && t instanceof CodedFailure) {
      log.warn("request failed: {}", t.toString(), t.getCause());
    }
  }

  /** The JSON error for a status pekko-http chose itself (a rejection: wrong method, body too large, ...). */
  public static ErrorCode codeOf(StatusCode status) {
    return switch (status.intValue()) {
      case 401 -> ErrorCode.UNAUTHORIZED;
      case 403 -> ErrorCode.FORBIDDEN;
      case 404 -> ErrorCode.NOT_FOUND;
      case 413 -> ErrorCode.TOO_LARGE;
      case 429 -> ErrorCode.RATE_LIMITED;
      case 503 -> ErrorCode.UNAVAILABLE;
      default -> status.intValue() >= 500 ? ErrorCode.INTERNAL : ErrorCode.BAD_REQUEST;
    };
  }
}

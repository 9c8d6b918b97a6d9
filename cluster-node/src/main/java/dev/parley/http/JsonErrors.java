package dev.parley.http;

import dev.parley.protocol.ErrorCode;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The one place where pekko-http's own answers become Parley's JSON {@code {code, message}}: the
 * default rejections (no route, wrong method, body too large, ...), exceptions that escape a route,
 * and the request timeout (pekko-http answers a request no route completed within
 * {@code pekko.http.server.request-timeout}). Requests too malformed to reach a route are answered
 * by {@link JsonParsingErrors}. Messages are ours, chosen per status: pekko-http's texts name its
 * configuration keys and never reach a client. Both HTTP servers of a node (client API, operator
 * port) wrap their routes here. Holds no state.
 */
final class JsonErrors extends AllDirectives {
  /** What a client waits before retrying a request the server did not answer in time. */
  static final long TIMEOUT_RETRY_MS = 1000;

  /** {@code inner} with every error answer as JSON. */
  Route wrap(Supplier<Route> inner) {
    RejectionHandler rejections = RejectionHandler.defaultHandler().mapRejectionResponse(JsonErrors::json);
    ExceptionHandler exceptions = ExceptionHandler.newBuilder().matchAny(e -> complete(ApiErrors.response(e))).build();
    return withRequestTimeoutResponse(request -> ApiErrors.response(StatusCodes.SERVICE_UNAVAILABLE,
            ErrorCode.UNAVAILABLE, "the server did not answer in time; retry", TIMEOUT_RETRY_MS),
        () -> handleExceptions(exceptions, () -> handleRejections(rejections, inner)));
  }

  /** A rejection's answer: its status and headers (Allow, WWW-Authenticate) kept, its body replaced. */
  private static HttpResponse json(HttpResponse response) {
    StatusCode status = response.status();
    String message = messageFor(status.intValue(), status.reason());
    if (status.intValue() == 405) {
      message = response.getHeader("Allow").map(h -> "method not allowed; allowed: " + h.value()).orElse(message);
    }
    HttpResponse answer = ApiErrors.response(status, ApiErrors.codeOf(status), message, null);
    for (var header : response.getHeaders()) {
      answer = answer.addHeader(header);
    }
    return answer;
  }

  /** A client-safe message per status (never pekko-http's text). */
  static String messageFor(int status, String reason) {
    return switch (status) {
      case 400 -> "malformed request";
      case 404 -> "no such resource";
      case 405 -> "method not allowed";
      case 413 -> "request body too large";
      case 414 -> "request URI too long";
      case 415 -> "unsupported content type";
      case 431 -> "request headers too large";
      default -> reason;
    };
  }
}

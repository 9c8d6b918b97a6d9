package dev.parley.http;

import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * Answers requests too malformed to reach a route (a bad request line, a URI or headers over the
 * parser's limits, a declared body over {@code max-content-length}) with the JSON error body instead
 * of pekko-http's text/plain, which names configuration keys. Named in {@code session.conf} as
 * {@code pekko.http.server.parsing.error-handler}; pekko-http makes one per server. Stateless.
 */
public final class JsonParsingErrors extends ParsingErrorHandler {
  @Override
  public HttpResponse handle(StatusCode status, ErrorInfo info, LoggingAdapter log, ServerSettings settings) {
    log.debug("refused a malformed request: {} {}", status, info.summary());
    return ApiErrors.response(status, ApiErrors.codeOf(status), JsonErrors.messageFor(status.intValue(), status.reason()),
        null);
  }
}

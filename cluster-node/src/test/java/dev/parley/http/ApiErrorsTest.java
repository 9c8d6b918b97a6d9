package dev.parley.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.parley.auth.AuthException;
import dev.parley.conversation.Rejection;
import dev.parley.protocol.ErrorCode;
import dev.parley.protocol.ProtocolException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;

/** One error model: every kind of failure gets the same code over REST (ApiErrors) and WebSocket (Rejection). */
class ApiErrorsTest {

  @Test
  void authFailuresKeepTheirCodeAndMessageOnBothEdges() {
    Throwable revoked = new CompletionException(new AuthException(ErrorCode.UNAUTHORIZED, "invalid or expired session token"));
    assertEquals(ErrorCode.UNAUTHORIZED, Rejection.codeOf(revoked), "the socket's mapping (was internal)");
    assertEquals("invalid or expired session token", Rejection.messageOf(revoked));
    assertEquals(401, ApiErrors.response(revoked).status().intValue());
    Throwable down = new AuthException(ErrorCode.UNAVAILABLE, "session store unavailable", new RuntimeException("x"));
    assertEquals(ErrorCode.UNAVAILABLE, Rejection.codeOf(down));
    assertEquals(503, ApiErrors.response(down).status().intValue());
  }

  @Test
  void everyKindOfFailureMapsInOnePlace() {
    assertEquals(ErrorCode.FORBIDDEN, Rejection.codeOf(new StatusReply.ErrorMessage("forbidden: not a member")));
    assertEquals("not a member", Rejection.messageOf(new StatusReply.ErrorMessage("forbidden: not a member")));
    assertEquals(ErrorCode.BAD_REQUEST, Rejection.codeOf(ProtocolException.badRequest("missing field 'conv'")));
    assertEquals(ErrorCode.UNAVAILABLE, Rejection.codeOf(new TimeoutException("ask")));
    assertEquals(ErrorCode.INTERNAL, Rejection.codeOf(new IllegalStateException("bug")));
    assertEquals("internal error", Rejection.messageOf(new IllegalStateException("secret detail")));
    assertEquals(500, ApiErrors.response(new IllegalStateException("secret detail")).status().intValue());
    assertEquals(404, ApiErrors.response(new StatusReply.ErrorMessage("not_found: no such conversation")).status().intValue());
  }
}

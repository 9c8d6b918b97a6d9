package dev.parley.conversation;

import dev.parley.protocol.ErrorCode;
import org.apache.pekko.pattern.StatusReply;

/**
 * How the entity says no. A rejection travels as a plain {@link StatusReply#error(String)} whose text
 * starts with the stable error code ({@code "forbidden: not a member of this conversation"}), because
 * that form crosses cluster nodes with Pekko's built-in serializer; the HTTP and WebSocket edges turn
 * it back into an {@link ErrorCode} with {@link #codeOf(Throwable)} in one place. That place also
 * maps every other {@link dev.parley.protocol.CodedFailure} (codec, account and token stores,
 * queries), so REST ({@code http.ApiErrors}) and WebSocket ({@code session.Session}) answer any
 * failure with the same code and message.
 */
public final class Rejection {
  private static final String SEPARATOR = ": ";

  private Rejection() {}

  public static <T> StatusReply<T> of(ErrorCode code, String message) {
    return StatusReply.error(code.code() + SEPARATOR + message);
  }

  /** The error code of a failed ask or stage; anything that is not a rejection or coded failure (a timeout, a crash) is {@link ErrorCode#UNAVAILABLE} or {@link ErrorCode#INTERNAL}. */
  public static ErrorCode codeOf(Throwable failure) {
    Throwable t = unwrap(failure);
    if (t instanceof StatusReply.ErrorMessage) {
      String text = t.getMessage();
      int i = text.indexOf(SEPARATOR);
      return i > 0 ? ErrorCode.fromCode(text.substring(0, i)) : ErrorCode.INTERNAL;
    }
    if (t instanceof dev.parley.protocol.CodedFailure c) {
      return c.code();
    }
    if (t instanceof java.util.concurrent.TimeoutException) {
      return ErrorCode.UNAVAILABLE;
    }
    return ErrorCode.INTERNAL;
  }

  /** The client-safe message of a failed ask (without the code prefix). */
  public static String messageOf(Throwable failure) {
    Throwable t = unwrap(failure);
    if (t instanceof StatusReply.ErrorMessage) {
      String text = t.getMessage();
      int i = text.indexOf(SEPARATOR);
      return i > 0 ? text.substring(i + SEPARATOR.length()) : text;
    }
    if (t instanceof dev.parley.protocol.CodedFailure c) {
      return c.getMessage();
    }
    if (t instanceof java.util.concurrent.TimeoutException) {
      return "the conversation did not answer in time; retry";
    }
    return "internal error";
  }

  /** The failure inside the CompletionException / ExecutionException wrappers of async stages. */
  public static Throwable unwrap(Throwable t) {
    while ((t instanceof java.util.concurrent.CompletionException
            || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}

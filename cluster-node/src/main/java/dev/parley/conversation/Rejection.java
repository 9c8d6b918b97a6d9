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
  private static final String RETRY_AFTER = "; retry after ";
  private static final String MS = " ms";
  static final String UNKNOWN_OUTCOME_MESSAGE = "the conversation did not answer in time; the change may or may not "
      + "be stored: repeat it (a send with the same clientMsgId is stored at most once)";

  private Rejection() {}

  public static <T> StatusReply<T> of(ErrorCode code, String message) {
    return StatusReply.error(code.code() + SEPARATOR + message);
  }

  /** {@code overloaded}: nothing was stored; the wait travels in the message's fixed ending, read back by {@link #retryAfterMsOf}. */
  public static <T> StatusReply<T> overloaded(String message, long retryAfterMs) {
    return of(ErrorCode.OVERLOADED, message + RETRY_AFTER + retryAfterMs + MS);
  }

  /** The {@code retryAfterMs} of an {@code overloaded} rejection; null for any other failure. */
  public static Long retryAfterMsOf(Throwable failure) {
    Throwable t = unwrap(failure);
    if (!(t instanceof StatusReply.ErrorMessage) || codeOf(t) != ErrorCode.OVERLOADED) {
      return null;
    }
    String text = t.getMessage();
    int i = text.lastIndexOf(RETRY_AFTER);
    if (i < 0 || !text.endsWith(MS)) {
      return null;
    }
    try {
      return Long.parseLong(text.substring(i + RETRY_AFTER.length(), text.length() - MS.length()));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * The failure of a write (send, edit, delete; create, add, remove) as its caller reports it: an
   * ask that timed out leaves the outcome unknown ({@code unknown_outcome}: the entity may have
   * persisted it, or may still, e.g. from sharding's buffer after a hand-off); anything else is as
   * {@link #codeOf} says, and a rejection always means nothing was stored.
   */
  public static Throwable ofWrite(Throwable failure) {
    Throwable t = unwrap(failure);
    return t instanceof java.util.concurrent.TimeoutException
        ? new dev.parley.protocol.ProtocolException(ErrorCode.UNKNOWN_OUTCOME, UNKNOWN_OUTCOME_MESSAGE, t)
        : t;
  }

  /**
   * The error code of a failed ask or stage; anything that is not a rejection or coded failure (a
   * timeout, a crash) is {@link ErrorCode#UNAVAILABLE} or {@link ErrorCode#INTERNAL}. Writes go
   * through {@link #ofWrite} first, so for them a timeout is {@link ErrorCode#UNKNOWN_OUTCOME}.
   */
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

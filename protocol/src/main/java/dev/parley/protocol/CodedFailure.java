package dev.parley.protocol;

/**
 * A failure that already knows its stable wire {@link ErrorCode} and carries a message that is safe
 * to show a client (never a password, a token, a Java class or a database detail: those stay in the
 * cause, for the log). Every server component that refuses with a code (the codec, the account and
 * token stores, the queries) throws one of these, so the one error mapper on the server answers
 * REST and WebSocket alike without knowing the component.
 */
public interface CodedFailure {
  ErrorCode code();

  /** The client-safe message. */
  String getMessage();

  /** How long the client should wait before trying again, when waiting helps; null otherwise. */
  default Long retryAfterMs() {
    return null;
  }
}

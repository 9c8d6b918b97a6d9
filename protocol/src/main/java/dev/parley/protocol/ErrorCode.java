package dev.parley.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Stable error codes shared by WebSocket {@code error} frames, REST error bodies and the
 * conversation entity's rejections. The wire form is the lower-case {@link #code()}; never rename one.
 */
public enum ErrorCode {
  BAD_REQUEST("bad_request"),
  TOO_LARGE("too_large"),
  UNAUTHORIZED("unauthorized"),
  FORBIDDEN("forbidden"),
  NOT_FOUND("not_found"),
  CONFLICT("conflict"),
  LIMIT_EXCEEDED("limit_exceeded"),
  NOT_EDITABLE("not_editable"),
  NOT_IN_MEMORY("not_in_memory"),
  RATE_LIMITED("rate_limited"),
  /** A conversation refused a send, edit or delete before storing it (too much waiting); comes with {@code retryAfterMs}. */
  OVERLOADED("overloaded"),
  /** A send, edit or delete got no answer in time: it may or may not be stored; repeat it (same {@code clientMsgId}). */
  UNKNOWN_OUTCOME("unknown_outcome"),
  UNAVAILABLE("unavailable"),
  INTERNAL("internal");

  private final String code;

  ErrorCode(String code) {
    this.code = code;
  }

  @JsonValue
  public String code() {
    return code;
  }

  /** The code for a wire string; unknown strings map to {@link #INTERNAL} so old clients never fail to parse. */
  @JsonCreator
  public static ErrorCode fromCode(String code) {
    for (ErrorCode c : values()) {
      if (c.code.equals(code)) {
        return c;
      }
    }
    return INTERNAL;
  }
}

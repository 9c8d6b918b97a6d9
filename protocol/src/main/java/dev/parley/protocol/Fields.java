package dev.parley.protocol;

import java.util.List;

/** Checks for required wire fields; the message names the field so the server can answer {@code bad_request} clearly. */
public final class Fields {
  private Fields() {}

  /** Throws {@link MissingFieldException} when {@code value} is null (or a blank string). */
  public static <T> T require(T value, String field, String type) {
    if (value == null || (value instanceof String s && s.isBlank())) {
      throw new MissingFieldException(field, type);
    }
    return value;
  }

  /**
   * An optional list: null becomes {@code List.of()}, anything else an unmodifiable copy. A null
   * element is rejected with {@link InvalidFieldException} (rather than a bare NullPointerException).
   */
  public static <T> List<T> list(List<T> value, String field, String type) {
    if (value == null) {
      return List.of();
    }
    for (T element : value) {
      if (element == null) {
        throw new InvalidFieldException(field, "field '" + field + "' in '" + type + "' must not contain null");
      }
    }
    return List.copyOf(value);
  }

  /** A nullable list: null stays null, anything else is copied as in {@link #list}. */
  public static <T> List<T> nullableList(List<T> value, String field, String type) {
    return value == null ? null : list(value, field, type);
  }

  /** A required list that must hold at least one element; absent or empty throws {@link MissingFieldException}. */
  public static <T> List<T> requireNonEmpty(List<T> value, String field, String type) {
    if (value == null || value.isEmpty()) {
      throw new MissingFieldException(field, type);
    }
    return list(value, field, type);
  }

  /** Throws {@link InvalidFieldException} when a present number is negative; null passes (optional fields). */
  public static <N extends Number> N nonNegative(N value, String field, String type) {
    if (value != null && value.longValue() < 0) {
      throw new InvalidFieldException(field, "field '" + field + "' in '" + type + "' must not be negative");
    }
    return value;
  }

  /** Throws {@link InvalidFieldException} when a present number is zero or negative; null passes. */
  public static <N extends Number> N positive(N value, String field, String type) {
    if (value != null && value.longValue() <= 0) {
      throw new InvalidFieldException(field, "field '" + field + "' in '" + type + "' must be positive");
    }
    return value;
  }

  /**
   * The text rule for a multi-line field (message text): any Unicode character except control
   * characters (category Cc: U+0000..U+001F, U+007F..U+009F) other than tab, line feed and carriage
   * return, and no unpaired surrogate (the string is well-formed UTF-16, so it has a UTF-8 form). Null
   * passes (optional fields); throws {@link InvalidFieldException} naming the field and the first
   * offending position otherwise. These are the strings every store (journal CBOR, PostgreSQL text,
   * Redis, Kafka JSON) keeps byte-exact; see docs/protocol.md "Text".
   */
  public static String text(String value, String field, String type) {
    return checked(value, true, field, type);
  }

  /** The text rule for a one-line field (names, ids, clientMsgId, attachment url and mime): as {@link #text}, without tab, LF or CR. */
  public static String line(String value, String field, String type) {
    return checked(value, false, field, type);
  }

  /** Each element of a list under {@link #line}; a null list passes. */
  public static List<String> lines(List<String> values, String field, String type) {
    if (values != null) {
      for (String v : values) {
        checked(v, false, field, type);
      }
    }
    return values;
  }

  /**
   * Why {@code value} breaks the text rule ({@code multiLine}: message text; else a one-line field),
   * or null when it keeps it (null keeps it). The one place the rule is written.
   */
  public static String textProblem(String value, boolean multiLine) {
    if (value == null) {
      return null;
    }
    for (int i = 0, n = value.length(); i < n; i++) {
      char ch = value.charAt(i);
      if (Character.isHighSurrogate(ch)) {
        if (i + 1 < n && Character.isLowSurrogate(value.charAt(i + 1))) {
          i++;
          continue;
        }
        return "an unpaired surrogate (" + hex(ch) + ") at index " + i;
      }
      if (Character.isLowSurrogate(ch)) {
        return "an unpaired surrogate (" + hex(ch) + ") at index " + i;
      }
      if ((ch < 0x20 || (ch >= 0x7f && ch <= 0x9f))
          && !(multiLine && (ch == '\t' || ch == '\n' || ch == '\r'))) {
        return "a control character (" + hex(ch) + ") at index " + i;
      }
    }
    return null;
  }

  private static String checked(String value, boolean multiLine, String field, String type) {
    String problem = textProblem(value, multiLine);
    if (problem != null) {
      throw new InvalidFieldException(field, "field '" + field + "' in '" + type + "' contains " + problem
          + (multiLine ? "; text may hold tab, LF and CR but no other control character"
              : "; this field may hold no control character"));
    }
    return value;
  }

  private static String hex(char ch) {
    return String.format("U+%04X", (int) ch);
  }

  /** A field was present but its value is not acceptable; the message names the field and is safe to show clients. */
  public static class InvalidFieldException extends IllegalArgumentException {
    private final String field;

    public InvalidFieldException(String field, String message) {
      super(message);
      this.field = field;
    }

    public String field() {
      return field;
    }
  }

  /** A required field was absent or blank. */
  public static final class MissingFieldException extends InvalidFieldException {
    public MissingFieldException(String field, String type) {
      super(field, "missing required field '" + field + "' in '" + type + "'");
    }
  }
}

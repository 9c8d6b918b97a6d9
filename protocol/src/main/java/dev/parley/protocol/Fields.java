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

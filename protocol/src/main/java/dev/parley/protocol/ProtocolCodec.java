package dev.parley.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.stream.Collectors;

/**
 * Reads and writes every wire type of this module with one shared, thread-safe Jackson mapper:
 * ISO-8601 instants, unknown properties ignored (newer clients may send more), nulls left out of
 * the output, nulls for primitives and unknown frame types rejected, and no scalar coercion: a number
 * or boolean where a string belongs ({@code "text":123}), a string where a number or boolean belongs
 * ({@code "upTo":"5"}) or a number for an enum is {@code bad_request}, never silently converted.
 *
 * <p>Every read method throws {@link ProtocolException} with {@link ErrorCode#BAD_REQUEST} and a
 * message that is safe to send back to the client as is, e.g. {@code malformed JSON: ...},
 * {@code unknown frame type 'x'}, {@code missing field 'type'},
 * {@code missing required field 'conv' in 'send'} or {@code field 'upTo' has the wrong type}.
 * A document must be exactly one JSON object.
 */
public final class ProtocolCodec {
  private static final int MAX_ECHO = 64;

  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .addModule(new JavaTimeModule())
      // A repeated key is ambiguous (which "conv" did the client mean?): reject it.
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(DeserializationFeature.FAIL_ON_INVALID_SUBTYPE)
      // 1.5 is not a sequence number: reject rather than silently truncate.
      .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
      // 1 is not an enum constant, nor "ann" a number: no index-for-enum, no scalar coercion either way.
      .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
      .withCoercionConfig(LogicalType.Textual, c -> c
          .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
          .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
          .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
      .withCoercionConfig(LogicalType.Integer, c -> c
          .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
          .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
      .withCoercionConfig(LogicalType.Float, c -> c
          .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
          .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
      .withCoercionConfig(LogicalType.Boolean, c -> c
          .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
          .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail))
      .defaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_NULL, JsonInclude.Include.NON_NULL))
      .build();

  private static final ObjectReader CLIENT_FRAMES = MAPPER.readerFor(ClientFrame.class);
  private static final ObjectReader SERVER_FRAMES = MAPPER.readerFor(ServerFrame.class);
  private static final ConcurrentMap<Class<?>, ObjectReader> READERS = new ConcurrentHashMap<>();

  private ProtocolCodec() {}

  /**
   * The shared, configured mapper (for callers that need Jackson directly, e.g. to stream). Do not
   * reconfigure it: it is shared by every thread; use {@code mapper().copy()} for a variant.
   */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /** Parses one client → server WebSocket frame. */
  public static ClientFrame readClientFrame(String json) {
    return read(json, CLIENT_FRAMES);
  }

  /** Parses one server → client WebSocket frame (for clients, the load generator and tests). */
  public static ServerFrame readServerFrame(String json) {
    return read(json, SERVER_FRAMES);
  }

  /** Parses a REST body (or any type of this module) from JSON. */
  public static <T> T read(String json, Class<T> type) {
    return read(json, READERS.computeIfAbsent(type, MAPPER::readerFor));
  }

  /** JSON text of a frame or body; frames carry their {@code type}. */
  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new ProtocolException(ErrorCode.INTERNAL, "could not encode value", e);
    }
  }

  /** UTF-8 JSON bytes of a frame or body (serialize once, send to many). */
  public static byte[] writeBytes(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new ProtocolException(ErrorCode.INTERNAL, "could not encode value", e);
    }
  }

  private static <T> T read(String json, ObjectReader reader) {
    if (json == null || json.isBlank()) {
      throw bad("malformed JSON: empty input", null);
    }
    try (JsonParser p = MAPPER.createParser(json)) {
      JsonToken first = p.nextToken();
      if (first != JsonToken.START_OBJECT) {
        throw bad("malformed JSON: expected a JSON object", null);
      }
      T value = reader.readValue(p);
      if (p.nextToken() != null) {
        throw bad("malformed JSON: unexpected content after the JSON object", null);
      }
      return value;
    } catch (ProtocolException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw translate(e);
    }
  }

  /** Maps a Jackson (or validation) failure to a client-safe {@link ProtocolException}. */
  static ProtocolException translate(Exception e) {
    // Our own validation, thrown from a compact constructor and wrapped by Jackson.
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof Fields.InvalidFieldException f) {
        return bad(f.getMessage(), e);
      }
      if (t instanceof ProtocolException p) {
        return p;
      }
    }
    // Parser failures that Jackson wrapped with the path of the value being read.
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof InputCoercionException && e instanceof JsonMappingException jme && !jme.getPath().isEmpty()) {
        return bad("field '" + path(jme.getPath()) + "' is out of range", e);
      }
      if (t instanceof StreamReadException sre && t != e) {
        return translate(sre);
      }
    }
    if (e instanceof InvalidTypeIdException ite) {
      String id = ite.getTypeId();
      return id == null || id.isBlank()
          ? bad("missing field 'type'", e)
          : bad("unknown frame type '" + clip(id) + "'", e);
    }
    if (e instanceof StreamConstraintsException) {
      return bad("malformed JSON: document exceeds the parser's size or nesting limits", e);
    }
    if (e instanceof StreamReadException sre && !(e instanceof JsonMappingException)) {
      return bad("malformed JSON: " + syntaxReason(sre), e);
    }
    if (e instanceof JsonMappingException jme) {
      String path = path(jme.getPath());
      if (path.isEmpty()) {
        return bad("invalid request: the JSON does not match the expected shape", e);
      }
      if (e instanceof InvalidFormatException ife && ife.getTargetType() != null && ife.getTargetType().isEnum()) {
        return bad("field '" + path + "' must be one of " + enumValues(ife.getTargetType()), e);
      }
      if (e instanceof MismatchedInputException && currentToken(jme) == JsonToken.VALUE_NULL) {
        return bad("field '" + path + "' must not be null", e);
      }
      if (e instanceof MismatchedInputException && currentToken(jme) == JsonToken.END_OBJECT) {
        // A required primitive (creator property) was absent: Jackson reports it at the object's end.
        return bad("missing required field '" + path + "'", e);
      }
      if (e instanceof MismatchedInputException) {
        return bad("field '" + path + "' has the wrong type", e);
      }
      return bad("field '" + path + "' has an invalid value", e);
    }
    return bad("invalid request", e);
  }

  private static ProtocolException bad(String message, Throwable cause) {
    return new ProtocolException(ErrorCode.BAD_REQUEST, message, cause);
  }

  /** A short, class-name-free reason for a syntax error, with its position. */
  private static String syntaxReason(StreamReadException e) {
    String reason;
    if (e instanceof JsonEOFException) {
      reason = "unexpected end of input";
    } else {
      reason = e.getOriginalMessage();
      if (reason == null) {
        reason = "invalid syntax";
      }
      // Drop Jackson's explanatory tails ("\n at [Source ...]", "(start marker at ...)", hints in parentheses).
      int cut = reason.indexOf('\n');
      if (cut >= 0) {
        reason = reason.substring(0, cut);
      }
      for (String tail : List.of(" (start marker", "[Source", "; line:")) {
        int i = reason.indexOf(tail);
        if (i >= 0) {
          reason = reason.substring(0, i);
        }
      }
      reason = reason.strip();
      if (reason.length() > 160) {
        reason = reason.substring(0, 160) + "...";
      }
      String lower = reason.toLowerCase(Locale.ROOT);
      if (reason.isEmpty() || lower.contains("dev.parley") || lower.contains("com.fasterxml")
          || lower.contains("java.") || reason.contains("`")) {
        reason = "invalid syntax";
      }
    }
    JsonLocation loc = e.getLocation();
    if (loc != null && loc.getLineNr() > 0 && loc.getColumnNr() > 0) {
      reason += " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
    }
    return reason;
  }

  /** {@code attachments[0].size} from Jackson's reference chain. */
  private static String path(List<JsonMappingException.Reference> refs) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference r : refs) {
      if (r.getFieldName() != null) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(clip(r.getFieldName()));
      } else if (r.getIndex() >= 0) {
        sb.append('[').append(r.getIndex()).append(']');
      }
    }
    return sb.toString();
  }

  private static JsonToken currentToken(JsonMappingException e) {
    return e.getProcessor() instanceof JsonParser p ? p.currentToken() : null;
  }

  private static String enumValues(Class<?> enumType) {
    return Arrays.stream(enumType.getEnumConstants())
        .map(c -> MAPPER.convertValue(c, String.class))
        .collect(Collectors.joining(", "));
  }

  /** Client-supplied text echoed in a message: bounded and printable. */
  private static String clip(String s) {
    StringBuilder sb = new StringBuilder();
    s.codePoints().limit(MAX_ECHO).forEach(cp -> sb.appendCodePoint(Character.isISOControl(cp) ? '?' : cp));
    return s.codePointCount(0, s.length()) > MAX_ECHO ? sb + "..." : sb.toString();
  }
}

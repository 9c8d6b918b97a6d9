package dev.parley.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Instant;
import java.util.List;

/**
 * A WebSocket frame from server to client. On the wire it is a JSON object whose {@code type}
 * property names the frame ({@code ack}, {@code message}, {@code edited}, {@code deleted},
 * {@code receipt}, {@code unread}, {@code history}, {@code subscribed}, {@code typing},
 * {@code presence}, {@code error}); those names are stable. Null fields are left out of the JSON.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = ServerFrame.AckFrame.class, name = "ack"),
  @JsonSubTypes.Type(value = ServerFrame.MessageFrame.class, name = "message"),
  @JsonSubTypes.Type(value = ServerFrame.EditedFrame.class, name = "edited"),
  @JsonSubTypes.Type(value = ServerFrame.DeletedFrame.class, name = "deleted"),
  @JsonSubTypes.Type(value = ServerFrame.ReceiptFrame.class, name = "receipt"),
  @JsonSubTypes.Type(value = ServerFrame.UnreadFrame.class, name = "unread"),
  @JsonSubTypes.Type(value = ServerFrame.HistoryPageFrame.class, name = "history"),
  @JsonSubTypes.Type(value = ServerFrame.SubscribedFrame.class, name = "subscribed"),
  @JsonSubTypes.Type(value = ServerFrame.TypingIndicatorFrame.class, name = "typing"),
  @JsonSubTypes.Type(value = ServerFrame.PresenceFrame.class, name = "presence"),
  @JsonSubTypes.Type(value = ServerFrame.ErrorFrame.class, name = "error")
})
@JsonInclude(JsonInclude.Include.NON_NULL)
public sealed interface ServerFrame {

  /**
   * {@code ack}: the server persisted the client's {@code send} as message {@code seq} /
   * {@code messageId} at {@code at}. {@code duplicate} is true when the {@code clientMsgId} had been
   * seen before and this repeats the original ack (no second message was created).
   */
  record AckFrame(
      String ref, String conv, String clientMsgId, long seq, String messageId, Instant at, boolean duplicate)
      implements ServerFrame {
    public AckFrame {
      Fields.require(conv, "conv", "ack");
      Fields.require(clientMsgId, "clientMsgId", "ack");
      Fields.require(messageId, "messageId", "ack");
      Fields.require(at, "at", "ack");
    }
  }

  /** {@code message}: a new message in a subscribed conversation (also used for replay after {@code subscribe}). */
  record MessageFrame(String conv, MessageView message) implements ServerFrame {
    public MessageFrame {
      Fields.require(conv, "conv", "message");
      Fields.require(message, "message", "message");
    }

    /** The frame for one message; the conversation id is taken from it. */
    public MessageFrame(MessageView message) {
      this(Fields.require(message, "message", "message").conv(), message);
    }
  }

  /**
   * {@code edited}: message {@code seq} now has {@code text}, edited by user {@code by} at {@code at}.
   * {@code ref} is set on the copy that answers the editor's own {@code edit} frame (null on the copies
   * other subscribers get).
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record EditedFrame(String ref, String conv, long seq, String text, String by, Instant at) implements ServerFrame {
    public EditedFrame {
      Fields.require(conv, "conv", "edited");
      Fields.require(text, "text", "edited");
      Fields.require(by, "by", "edited");
      Fields.require(at, "at", "edited");
    }

    public EditedFrame(String conv, long seq, String text, String by, Instant at) {
      this(null, conv, seq, text, by, at);
    }
  }

  /**
   * {@code deleted}: message {@code seq} was deleted by user {@code by} at {@code at}; {@code ref} as
   * for {@code edited}.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record DeletedFrame(String ref, String conv, long seq, String by, Instant at) implements ServerFrame {
    public DeletedFrame {
      Fields.require(conv, "conv", "deleted");
      Fields.require(by, "by", "deleted");
      Fields.require(at, "at", "deleted");
    }

    public DeletedFrame(String conv, long seq, String by, Instant at) {
      this(null, conv, seq, by, at);
    }
  }

  /**
   * {@code receipt}: read-receipt update for message {@code seq}, in the tier's form: {@code seenBy}
   * names (PRIVATE, SMALL_GROUP), {@code seenCount} (LARGE_GROUP) or {@code views} (CHANNEL). Exactly
   * the variant that applies is present; the others are null and omitted from the JSON.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record ReceiptFrame(String conv, long seq, List<String> seenBy, Integer seenCount, Long views)
      implements ServerFrame {
    public ReceiptFrame {
      Fields.require(conv, "conv", "receipt");
      seenBy = Fields.nullableList(seenBy, "seenBy", "receipt");
    }

    /** "Seen by Ann, Bo". */
    public static ReceiptFrame named(String conv, long seq, List<String> seenBy) {
      return new ReceiptFrame(conv, seq, seenBy, null, null);
    }

    /** "Seen by 234". */
    public static ReceiptFrame counted(String conv, long seq, int seenCount) {
      return new ReceiptFrame(conv, seq, null, seenCount, null);
    }

    /** "1.2K views". */
    public static ReceiptFrame viewed(String conv, long seq, long views) {
      return new ReceiptFrame(conv, seq, null, null, views);
    }
  }

  /** {@code unread}: the user now has {@code count} unread messages in {@code conv}, whose last is {@code lastSeq}. */
  record UnreadFrame(String conv, long count, long lastSeq) implements ServerFrame {
    public UnreadFrame {
      Fields.require(conv, "conv", "unread");
    }
  }

  /** {@code history}: the page answering a client {@code history} frame (whose {@code ref} it echoes). */
  record HistoryPageFrame(String ref, HistoryPage page) implements ServerFrame {
    public HistoryPageFrame {
      Fields.require(page, "page", "history");
    }
  }

  /**
   * {@code subscribed}: the subscription to {@code conv} is live; its newest message is {@code lastSeq}.
   * {@code replayedFrom} is the first replayed seq (null when nothing was replayed). {@code gap} true
   * means the requested {@code sinceSeq} is older than what the server replays: the client must page
   * history to fill the hole (before {@code replayedFrom}, or before {@code lastSeq + 1} when nothing was
   * replayed). {@code online} lists the members online now in PRIVATE and SMALL_GROUP conversations
   * (null in larger tiers, which get no presence frames).
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record SubscribedFrame(String ref, String conv, long lastSeq, Long replayedFrom, boolean gap, List<String> online)
      implements ServerFrame {
    public SubscribedFrame {
      Fields.require(conv, "conv", "subscribed");
      online = Fields.nullableList(online, "online", "subscribed");
    }

    public SubscribedFrame(String ref, String conv, long lastSeq, Long replayedFrom, boolean gap) {
      this(ref, conv, lastSeq, replayedFrom, gap, null);
    }
  }

  /**
   * {@code typing}: who is typing in {@code conv} now: {@code users} by name in small conversations,
   * or only a {@code count} in large ones. An empty {@code users} list (or count 0) means nobody.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record TypingIndicatorFrame(String conv, List<String> users, Integer count) implements ServerFrame {
    public TypingIndicatorFrame {
      Fields.require(conv, "conv", "typing");
      users = Fields.nullableList(users, "users", "typing");
    }
  }

  /**
   * {@code presence}: member {@code user} of conversation {@code conv} went online or offline at
   * {@code at}. Sent in PRIVATE and SMALL_GROUP conversations only, once per conversation the
   * receiver is subscribed to.
   */
  record PresenceFrame(String conv, String user, boolean online, Instant at) implements ServerFrame {
    public PresenceFrame {
      Fields.require(conv, "conv", "presence");
      Fields.require(user, "user", "presence");
      Fields.require(at, "at", "presence");
    }
  }

  /**
   * {@code error}: a request failed with stable {@code code} and a human-readable, client-safe
   * {@code message}; {@code ref} echoes the failing frame's ref (null when it had none). A missing
   * message defaults to the code's wire string. {@code retryAfterMs} is set on {@code rate_limited}:
   * how long to wait before the next attempt can succeed.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record ErrorFrame(ErrorCode code, String message, String ref, Long retryAfterMs) implements ServerFrame {
    public ErrorFrame {
      Fields.require(code, "code", "error");
      if (message == null || message.isBlank()) {
        message = code.code();
      }
      Fields.nonNegative(retryAfterMs, "retryAfterMs", "error");
    }

    public ErrorFrame(ErrorCode code, String message, String ref) {
      this(code, message, ref, null);
    }

    /** The error frame for a rejected client frame. */
    public static ErrorFrame of(ProtocolException e, String ref) {
      return new ErrorFrame(e.code(), e.getMessage(), ref);
    }
  }
}

package dev.parley.protocol;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;

/**
 * A WebSocket frame from client to server. On the wire it is a JSON object whose {@code type}
 * property names the frame ({@code send}, {@code read}, {@code delivered}, {@code subscribe},
 * {@code unsubscribe}, {@code history}, {@code typing}, {@code edit}, {@code delete}); those names
 * are stable. Every frame may carry an optional {@code ref} the client picks; the server echoes it
 * on the {@code ack}, {@code subscribed}, {@code history} or {@code error} frame it answers with.
 *
 * <p>Required fields are checked when a frame is built, so a frame that parsed is complete, and
 * every string keeps the text rule ({@link Fields#text}: {@code text}; {@link Fields#line}: the rest).
 * Required numbers are boxed so that a missing number is reported, never read as 0.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = ClientFrame.SendFrame.class, name = "send"),
  @JsonSubTypes.Type(value = ClientFrame.ReadFrame.class, name = "read"),
  @JsonSubTypes.Type(value = ClientFrame.DeliveredFrame.class, name = "delivered"),
  @JsonSubTypes.Type(value = ClientFrame.SubscribeFrame.class, name = "subscribe"),
  @JsonSubTypes.Type(value = ClientFrame.UnsubscribeFrame.class, name = "unsubscribe"),
  @JsonSubTypes.Type(value = ClientFrame.HistoryFrame.class, name = "history"),
  @JsonSubTypes.Type(value = ClientFrame.TypingFrame.class, name = "typing"),
  @JsonSubTypes.Type(value = ClientFrame.EditFrame.class, name = "edit"),
  @JsonSubTypes.Type(value = ClientFrame.DeleteFrame.class, name = "delete")
})
public sealed interface ClientFrame {

  /** The conversation id this frame is about; every client frame names one. */
  String conv();

  /** The client's correlation id for this frame, or null when it sent none. */
  String ref();

  /** Every frame: {@code conv} present, {@code conv} and {@code ref} one-line text ({@link Fields#line}). */
  private static void header(String conv, String ref, String type) {
    Fields.line(Fields.require(conv, "conv", type), "conv", type);
    Fields.line(ref, "ref", type);
  }

  /**
   * {@code send}: post a message. Carries the conversation, the client's idempotency key
   * {@code clientMsgId} (a resend with the same key returns the original ack), the text and
   * optional attachments. Text may be omitted only when there is at least one attachment.
   */
  record SendFrame(String conv, String clientMsgId, String text, List<Attachment> attachments, String ref)
      implements ClientFrame {
    public SendFrame {
      header(conv, ref, "send");
      Fields.line(Fields.require(clientMsgId, "clientMsgId", "send"), "clientMsgId", "send");
      attachments = Fields.list(attachments, "attachments", "send");
      if (attachments.isEmpty()) {
        Fields.require(text, "text", "send");
      }
      Fields.text(text, "text", "send");
      for (Attachment a : attachments) {
        Fields.line(a.url(), "attachments.url", "send");
        Fields.line(a.mime(), "attachments.mime", "send");
      }
    }

    /** A text message without attachments or ref. */
    public SendFrame(String conv, String clientMsgId, String text) {
      this(conv, clientMsgId, text, List.of(), null);
    }
  }

  /** {@code read}: the user has read the conversation up to and including sequence number {@code upTo}. */
  record ReadFrame(String conv, Long upTo, String ref) implements ClientFrame {
    public ReadFrame {
      header(conv, ref, "read");
      Fields.nonNegative(Fields.require(upTo, "upTo", "read"), "upTo", "read");
    }

    public ReadFrame(String conv, long upTo) {
      this(conv, upTo, null);
    }
  }

  /** {@code delivered}: the user's device has received the conversation up to and including {@code upTo}. */
  record DeliveredFrame(String conv, Long upTo, String ref) implements ClientFrame {
    public DeliveredFrame {
      header(conv, ref, "delivered");
      Fields.nonNegative(Fields.require(upTo, "upTo", "delivered"), "upTo", "delivered");
    }

    public DeliveredFrame(String conv, long upTo) {
      this(conv, upTo, null);
    }
  }

  /**
   * {@code subscribe}: start receiving the conversation's live frames. With {@code sinceSeq} the
   * server first replays messages after that sequence number (once, in order); without it, live only.
   */
  record SubscribeFrame(String conv, Long sinceSeq, String ref) implements ClientFrame {
    public SubscribeFrame {
      header(conv, ref, "subscribe");
      Fields.nonNegative(sinceSeq, "sinceSeq", "subscribe");
    }

    /** Live frames only, no replay. */
    public SubscribeFrame(String conv) {
      this(conv, null, null);
    }
  }

  /** {@code unsubscribe}: stop receiving the conversation's live frames. */
  record UnsubscribeFrame(String conv, String ref) implements ClientFrame {
    public UnsubscribeFrame {
      header(conv, ref, "unsubscribe");
    }

    public UnsubscribeFrame(String conv) {
      this(conv, null);
    }
  }

  /**
   * {@code history}: ask for one page of messages, older than {@code beforeSeq} or newer than
   * {@code afterSeq} (neither: the latest page), at most {@code limit} of them (absent: the server's default).
   */
  record HistoryFrame(String conv, Long beforeSeq, Long afterSeq, Integer limit, String ref) implements ClientFrame {
    public HistoryFrame {
      header(conv, ref, "history");
      Fields.nonNegative(beforeSeq, "beforeSeq", "history");
      Fields.nonNegative(afterSeq, "afterSeq", "history");
      Fields.positive(limit, "limit", "history");
    }

    /** The latest page at the server's default size. */
    public HistoryFrame(String conv) {
      this(conv, null, null, null, null);
    }
  }

  /** {@code typing}: the user is typing in the conversation (the server expires it after a few seconds). */
  record TypingFrame(String conv, String ref) implements ClientFrame {
    public TypingFrame {
      header(conv, ref, "typing");
    }

    public TypingFrame(String conv) {
      this(conv, null);
    }
  }

  /** {@code edit}: replace the text of the user's own message {@code seq}. */
  record EditFrame(String conv, Long seq, String text, String ref) implements ClientFrame {
    public EditFrame {
      header(conv, ref, "edit");
      Fields.positive(Fields.require(seq, "seq", "edit"), "seq", "edit");
      Fields.text(Fields.require(text, "text", "edit"), "text", "edit");
    }

    public EditFrame(String conv, long seq, String text) {
      this(conv, seq, text, null);
    }
  }

  /** {@code delete}: delete message {@code seq} (own message, or any message for owners and admins). */
  record DeleteFrame(String conv, Long seq, String ref) implements ClientFrame {
    public DeleteFrame {
      header(conv, ref, "delete");
      Fields.positive(Fields.require(seq, "seq", "delete"), "seq", "delete");
    }

    public DeleteFrame(String conv, long seq) {
      this(conv, seq, null);
    }
  }
}

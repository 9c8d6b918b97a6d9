package dev.parley.client.cli;

import dev.parley.protocol.MessageView;
import dev.parley.protocol.ServerFrame;
import java.io.PrintStream;
import java.util.List;

/**
 * How the terminal client shows what arrives: one line per frame (a history page: one per message and a
 * summary), control characters from the server replaced by '?' so no text can drive the terminal.
 * Stateless apart from the stream; the current conversation is passed in, since frames about it leave
 * out the "(in ...)" suffix.
 */
final class Screen {
  private final PrintStream out;

  Screen(PrintStream out) {
    this.out = out;
  }

  /** One line; control characters (escape sequences, newlines) from the server are shown as '?'. */
  void print(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    s.codePoints().forEach(cp -> sb.appendCodePoint(Character.isISOControl(cp) ? '?' : cp));
    synchronized (out) {
      out.println(sb);
    }
  }

  void raw(String text) {
    synchronized (out) {
      out.print(text);
      out.flush();
    }
  }

  void show(ServerFrame f, String current) {
    for (String line : lines(f, current)) {
      print(line);
    }
  }

  static List<String> lines(ServerFrame f, String current) {
    if (f instanceof ServerFrame.MessageFrame m) {
      return List.of(line(m.message()));
    } else if (f instanceof ServerFrame.AckFrame a) {
      return List.of("ack #" + a.seq() + (a.duplicate() ? " (duplicate)" : "") + where(a.conv(), current));
    } else if (f instanceof ServerFrame.EditedFrame e) {
      return List.of("[" + e.conv() + "#" + e.seq() + "] edited by " + e.by() + ": " + e.text());
    } else if (f instanceof ServerFrame.DeletedFrame d) {
      return List.of("[" + d.conv() + "#" + d.seq() + "] deleted by " + d.by());
    } else if (f instanceof ServerFrame.ReceiptFrame r) {
      String seen = r.seenBy() != null ? "seen by " + (r.seenBy().isEmpty() ? "nobody" : String.join(", ", r.seenBy()))
          : r.seenCount() != null ? "seen by " + r.seenCount() : r.views() + " views";
      return List.of("receipt #" + r.seq() + " " + seen + where(r.conv(), current));
    } else if (f instanceof ServerFrame.UnreadFrame u) {
      return List.of("unread " + u.count() + " (newest #" + u.lastSeq() + ")" + where(u.conv(), current));
    } else if (f instanceof ServerFrame.HistoryPageFrame h) {
      List<MessageView> messages = h.page().messages();
      List<String> out = new java.util.ArrayList<>(messages.stream().map(Screen::line).toList());
      out.add("history: " + messages.size() + " messages" + (h.page().hasMoreBefore() && !messages.isEmpty()
          ? "; older: /history " + messages.get(0).seq() : "") + where(h.page().conv(), current));
      return out;
    } else if (f instanceof ServerFrame.SubscribedFrame s) {
      long holeEnd = s.replayedFrom() != null ? s.replayedFrom() : s.lastSeq() + 1;
      return List.of("joined " + s.conv() + " at #" + s.lastSeq()
          + (s.replayedFrom() == null ? "" : ", replaying from #" + s.replayedFrom())
          + (s.gap() ? ", GAP: missed messages, page them with /history " + holeEnd : "")
          + (s.online() == null ? "" : ", online: " + String.join(", ", s.online())));
    } else if (f instanceof ServerFrame.TypingIndicatorFrame t) {
      String who = t.users() == null ? t.count() + " people" : t.users().isEmpty() ? "nobody" : String.join(", ", t.users());
      return List.of("typing: " + who + where(t.conv(), current));
    } else if (f instanceof ServerFrame.PresenceFrame p) {
      return List.of("presence: " + p.user() + (p.online() ? " online" : " offline") + where(p.conv(), current));
    } else if (f instanceof ServerFrame.ErrorFrame e) {
      return List.of("error " + e.code().code() + ": " + e.message()
          + (e.retryAfterMs() == null ? "" : " (retry after " + e.retryAfterMs() + " ms)"));
    }
    return List.of("? " + f);
  }

  static String line(MessageView m) {
    return "[" + m.conv() + "#" + m.seq() + "] " + m.sender() + ": " + text(m);
  }

  static String text(MessageView m) {
    if (m.deleted()) {
      return "(deleted)";
    }
    return (m.text() == null ? "" : m.text()) + (m.attachments().isEmpty() ? "" : " [+" + m.attachments().size()
        + " attachment(s)]") + (m.editedAt() == null ? "" : " (edited)");
  }

  private static String where(String conv, String current) {
    return conv.equals(current) ? "" : " (in " + conv + ")";
  }
}

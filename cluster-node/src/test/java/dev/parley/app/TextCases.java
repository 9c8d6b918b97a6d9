package dev.parley.app;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Generated strings for the text rule (docs/protocol.md "Text"), from a seeded {@link Random} so a
 * failure repeats: pieces that every store must keep byte-exact (astral characters, combining marks,
 * right-to-left text, zero-width joiners, noncharacters, tab/LF/CR in message text) and pieces the
 * rule refuses (NUL, other controls, DEL, C1 controls, unpaired surrogates). Each case knows, from
 * how it was built and not from the server's code, whether the rule accepts it. A refused case holds
 * exactly one refused piece, so two pieces can never pair up into a valid surrogate pair.
 */
final class TextCases {
  /** A generated string and whether the text rule accepts it. */
  record Case(String value, boolean wellFormed, String why) {}

  static final List<String> GOOD = List.of(
      "hello", "a", " ", "Grüße", "naïve", "漢字かな", "😀", "👩‍👩‍👧", "🇩🇪", "e\u0301", "\u0301",
      "שלום", "مرحبا", "\u200F", "\u202E", "\u200D", "\uFEFF", "\uFFFE", "\uFFFF", "\u2028", "\uE000",
      "𝒳", "\uDBFF\uDFFF", "\uD800\uDC00", "\"quoted\"", "back\\slash", "</script>", "{\"type\":\"send\"}",
      "ﷺ", "\u00A0", "\u3000");
  /** Good in message text only: refused in one-line fields. */
  static final List<String> MULTILINE_ONLY = List.of("\t", "\n", "\r", "\r\n", "line\nbreak");
  static final List<String> BAD = List.of("\u0000", "\u0001", "\u0008", "\u000B", "\u000C", "\u001B", "\u001F",
      "\u007F", "\u0080", "\u0085", "\u009B", "\u009F", "\uD800", "\uDBFF", "\uDC00", "\uDFFF", "\uDC00\uD800",
      "a\u0000b");

  private final Random random;

  TextCases(long seed) {
    this.random = new Random(seed);
  }

  /** A random code point that keeps the rule: printable ASCII, other BMP outside surrogates and controls, or astral. */
  int goodCodePoint() {
    return switch (random.nextInt(3)) {
      case 0 -> 0x20 + random.nextInt(0x7F - 0x20);
      case 1 -> {
        int cp;
        do {
          cp = 0xA0 + random.nextInt(0x10000 - 0xA0);
        } while (Character.isSurrogate((char) cp));
        yield cp;
      }
      default -> 0x10000 + random.nextInt(0x110000 - 0x10000);
    };
  }

  /** A string of {@code pieces} good pieces (multi-line pieces only when {@code multiLine}). */
  String good(int pieces, boolean multiLine) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < pieces; i++) {
      int pick = random.nextInt(10);
      if (pick < 4) {
        sb.append(GOOD.get(random.nextInt(GOOD.size())));
      } else if (pick < 5 && multiLine) {
        sb.append(MULTILINE_ONLY.get(random.nextInt(MULTILINE_ONLY.size())));
      } else {
        sb.appendCodePoint(goodCodePoint());
      }
    }
    return sb.toString();
  }

  /** A good string with one refused piece at a random place. */
  String bad(int pieces, boolean multiLine) {
    String around = good(pieces, multiLine);
    int at = cutPoint(around);
    String piece = !multiLine && random.nextInt(4) == 0
        ? MULTILINE_ONLY.get(random.nextInt(MULTILINE_ONLY.size()))
        : BAD.get(random.nextInt(BAD.size()));
    return around.substring(0, at) + piece + around.substring(at);
  }

  /** An index of {@code s} that does not split a surrogate pair. */
  private int cutPoint(String s) {
    int cps = s.codePointCount(0, s.length());
    return s.offsetByCodePoints(0, random.nextInt(cps + 1));
  }

  /** A string of exactly {@code codePoints} good code points (astral ones included). */
  String ofCodePoints(int codePoints) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < codePoints; i++) {
      sb.appendCodePoint(goodCodePoint());
    }
    return sb.toString();
  }

  /** Message texts: good and refused ones mixed, plus the length boundaries around {@code maxCodePoints}. */
  List<Case> messageTexts(int n, int maxCodePoints) {
    List<Case> out = new ArrayList<>();
    for (String g : GOOD) {
      out.add(new Case("x" + g, true, "listed piece"));
    }
    for (String m : MULTILINE_ONLY) {
      out.add(new Case("x" + m + "y", true, "tab/LF/CR in text"));
    }
    for (String b : BAD) {
      out.add(new Case("x" + b, false, "listed refused piece"));
      out.add(new Case(b + "x", false, "listed refused piece first"));
    }
    out.add(new Case(ofCodePoints(maxCodePoints), true, "exactly the limit"));
    out.add(new Case(ofCodePoints(maxCodePoints - 1) + "😀", true, "the limit, ending astral"));
    String almost = ofCodePoints(maxCodePoints - 1);
    int at = cutPoint(almost);
    out.add(new Case(almost.substring(0, at) + "\u0000" + almost.substring(at), false, "NUL inside a long text"));
    out.add(new Case(ofCodePoints(maxCodePoints + 1), true, "one over the limit (too_large)"));
    out.add(new Case(almost + "\uD83D", false, "a long text ending with half a pair"));
    for (int i = 0; i < n; i++) {
      boolean good = random.nextInt(3) > 0;
      int pieces = 1 + random.nextInt(random.nextInt(8) == 0 ? 400 : 12);
      out.add(good ? new Case(good(pieces, true), true, "generated") : new Case(bad(pieces, true), false, "generated"));
    }
    return out;
  }

  /** One-line values (names, clientMsgIds) of at most about {@code maxPieces} pieces. */
  List<Case> lines(int n, int maxPieces) {
    List<Case> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      boolean good = random.nextInt(2) > 0;
      int pieces = 1 + random.nextInt(maxPieces);
      out.add(good ? new Case(good(pieces, false), true, "generated") : new Case(bad(pieces, false), false, "generated"));
    }
    return out;
  }

  /**
   * {@code s} as a JSON string literal that carries every UTF-16 unit as it is, unpaired surrogates
   * included (as {@code \\uXXXX} escapes, which JSON allows; a JSON library would refuse or replace
   * them). Some other characters are escaped at random too, which must not change what arrives.
   */
  String jsonString(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      boolean pair = Character.isHighSurrogate(ch) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
      if (pair) {
        if (random.nextInt(4) == 0) {
          sb.append(String.format("\\u%04x\\u%04X", (int) ch, (int) s.charAt(i + 1)));
        } else {
          sb.append(ch).append(s.charAt(i + 1));
        }
        i++;
      } else if (ch == '"' || ch == '\\') {
        sb.append('\\').append(ch);
      } else if (ch < 0x20 || Character.isSurrogate(ch) || (ch >= 0x7F && ch <= 0x9F) || random.nextInt(16) == 0) {
        sb.append(String.format("\\u%04x", (int) ch));
      } else {
        sb.append(ch);
      }
    }
    return sb.append('"').toString();
  }
}

package dev.parley.monitor.format;

import java.time.Duration;
import java.util.Locale;

/**
 * Numbers as operators read them: "1.2K", "3.4 ms", "512 MiB", "93.1 %", "—" for a figure that is
 * not known (null or NaN). Pure and thread-safe; every page formats through it so one figure looks
 * the same everywhere.
 */
public final class Figures {
  /** Shown for a figure that is not known. */
  public static final String UNKNOWN = "—";

  private Figures() {
  }

  /** A count or rate with a K/M/G suffix past 1000: 950, "1.2K", "3.4M". */
  public static String count(Number n) {
    if (unknown(n)) {
      return UNKNOWN;
    }
    double v = n.doubleValue();
    double a = Math.abs(v);
    if (a < 1000) {
      return v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }
    String[] units = {"K", "M", "G", "T"};
    int i = -1;
    while (a >= 1000 && i < units.length - 1) {
      a /= 1000;
      v /= 1000;
      i++;
    }
    return String.format(Locale.ROOT, a >= 100 ? "%.0f%s" : "%.1f%s", v, units[i]);
  }

  /** A rate per second: "1.2K/s". */
  public static String perSecond(Number n) {
    return unknown(n) ? UNKNOWN : count(n) + "/s";
  }

  /** Milliseconds: "0.42 ms", "3.4 ms", "120 ms", "2.5 s". */
  public static String millis(Number ms) {
    if (unknown(ms)) {
      return UNKNOWN;
    }
    double v = ms.doubleValue();
    if (v >= 1000) {
      return String.format(Locale.ROOT, "%.1f s", v / 1000);
    }
    if (v >= 100) {
      return String.format(Locale.ROOT, "%.0f ms", v);
    }
    return String.format(Locale.ROOT, v >= 1 ? "%.1f ms" : "%.2f ms", v);
  }

  /** A fraction 0..1 as a percentage: "93.1 %". */
  public static String percent(Number fraction) {
    return unknown(fraction) ? UNKNOWN : String.format(Locale.ROOT, "%.1f %%", fraction.doubleValue() * 100);
  }

  /** Bytes in binary units: "812 B", "3.4 MiB", "1.2 GiB". */
  public static String bytes(Number bytes) {
    if (unknown(bytes)) {
      return UNKNOWN;
    }
    double v = bytes.doubleValue();
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;
    while (Math.abs(v) >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return i == 0 ? String.format(Locale.ROOT, "%.0f B", v) : String.format(Locale.ROOT, "%.1f %s", v, units[i]);
  }

  /** A duration as people say it: "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
  public static String duration(Duration d) {
    if (d == null) {
      return UNKNOWN;
    }
    long s = d.toSeconds();
    if (s < 60) {
      return s + " s";
    }
    if (s < 3600) {
      return (s / 60) + " min";
    }
    if (s < 86_400) {
      return (s / 3600) + " h " + (s % 3600 / 60) + " min";
    }
    return (s / 86_400) + " d " + (s % 86_400 / 3600) + " h";
  }

  private static boolean unknown(Number n) {
    return n == null || Double.isNaN(n.doubleValue()) || Double.isInfinite(n.doubleValue());
  }
}

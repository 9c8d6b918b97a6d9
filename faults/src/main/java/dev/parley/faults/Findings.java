package dev.parley.faults;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one scenario did and found: a line saying what was done, the figures it measured (by name, for
 * the JSON report and for the tests' assertions) and rows of what was expected against what was
 * measured. A row with {@code held} null is a figure reported without a verdict (a time, a count of
 * errors); the tests assert only the behavioural rows, never a time.
 */
final class Findings {
  /** One line of the table: the expectation, the measured value, and whether it held (null: figure only). */
  record Row(String expected, String measured, Boolean held) {}

  final String scenario;
  final String done;
  private final Map<String, Double> figures = new LinkedHashMap<>();
  private final List<Row> rows = new ArrayList<>();

  Findings(String scenario, String done) {
    this.scenario = scenario;
    this.done = done;
  }

  Findings figure(String name, double value) {
    figures.put(name, value);
    return this;
  }

  /** A measured figure; NaN when the scenario did not measure it. */
  double get(String name) {
    return figures.getOrDefault(name, Double.NaN);
  }

  Map<String, Double> figures() {
    return figures;
  }

  List<Row> rows() {
    return rows;
  }

  /** A behavioural expectation and whether it held. */
  Findings expect(String expected, String measured, boolean held) {
    rows.add(new Row(expected, measured, held));
    return this;
  }

  /** A figure reported without a verdict. */
  Findings report(String what, String measured) {
    rows.add(new Row(what, measured, null));
    return this;
  }

  /** Whether every behavioural expectation held. */
  boolean held() {
    return rows.stream().allMatch(r -> r.held() == null || r.held());
  }

  /** Milliseconds as the tables print them. */
  static String ms(double ms) {
    return Double.isNaN(ms) ? "not reached" : ms >= 10_000 ? String.format(Locale.ROOT, "%.1f s", ms / 1000)
        : String.format(Locale.ROOT, "%.0f ms", ms);
  }

  /** A map of counts ({@code unavailable=3, timeout=1}) or "none". */
  static String counts(Map<String, ? extends Number> counts) {
    return counts.isEmpty() ? "none" : counts.toString().replaceAll("[{}]", "");
  }
}

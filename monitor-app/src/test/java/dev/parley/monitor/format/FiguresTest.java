package dev.parley.monitor.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class FiguresTest {
  @Test
  void countsGetASuffixPastAThousand() {
    assertEquals("950", Figures.count(950));
    assertEquals("12.5", Figures.count(12.5));
    assertEquals("1.2K", Figures.count(1234));
    assertEquals("340K", Figures.count(340_000));
    assertEquals("3.4M", Figures.count(3_400_000));
    assertEquals("1.2K/s", Figures.perSecond(1200.0));
  }

  @Test
  void latenciesPercentagesAndSizesReadLikeOperatorsSayThem() {
    assertEquals("0.42 ms", Figures.millis(0.42));
    assertEquals("3.4 ms", Figures.millis(3.4));
    assertEquals("120 ms", Figures.millis(120.2));
    assertEquals("2.5 s", Figures.millis(2500));
    assertEquals("93.1 %", Figures.percent(0.931));
    assertEquals("812 B", Figures.bytes(812));
    assertEquals("3.4 MiB", Figures.bytes(3.4 * 1024 * 1024));
    assertEquals("3 h 5 min", Figures.duration(Duration.ofMinutes(185)));
  }

  @Test
  void anUnknownFigureIsADashNotAZero() {
    assertEquals(Figures.UNKNOWN, Figures.count(null));
    assertEquals(Figures.UNKNOWN, Figures.millis(Double.NaN));
    assertEquals(Figures.UNKNOWN, Figures.percent(null));
  }
}

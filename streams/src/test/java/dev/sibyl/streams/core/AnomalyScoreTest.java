package dev.sibyl.streams.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AnomalyScoreTest {

  @Test
  void theReasonNamesTheSideCoverageAndDistance() {
    AnomalyScore above = AnomalyScore.of(13, 10, 8, 12, 0.95); // one half-width (2) above
    assertThat(above.reason()).isEqualTo("above the 95% interval by 0.50 half-widths");
    AnomalyScore below = AnomalyScore.of(2, 10, 8, 12, 0.9);
    assertThat(below.reason()).isEqualTo("below the 90% interval by 3.00 half-widths");
    assertThat(AnomalyScore.of(10, 10, 8, 12, 0.9)).isNull();
  }

  @Test
  void fixedPointFormattingMatchesTheFormatter() {
    double[] halfway = {0.125, 0.375, 1.005, 2.675, 0.005, 0.015, 94.5, 95.5, 2.5, 99.995, 1e-300, 1e300, Double.MAX_VALUE, Double.MIN_VALUE};
    for (double v : halfway) {
      assertFormatted(v);
    }
    Random random = new Random(5);
    for (int i = 0; i < 5_000; i++) {
      assertFormatted(random.nextDouble() * 10);
      assertFormatted(Math.round(random.nextDouble() * 1e5) / 1e3 + 0.005); // near ties
      assertFormatted(Double.longBitsToDouble(random.nextLong())); // any double, NaN and negatives included
    }
  }

  private static void assertFormatted(double v) {
    for (int digits : new int[] {0, 2}) {
      assertThat(AnomalyScore.fixed(v, digits)).as("%s to %d digits", v, digits).isEqualTo(String.format(Locale.ROOT, "%." + digits + "f", v));
    }
  }
}

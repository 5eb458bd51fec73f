package dev.sibyl.models.interval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.sibyl.models.api.ForecastResult;
import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.PointModel;
import dev.sibyl.models.api.SeriesWindow;
import dev.sibyl.models.controls.HoltWinters;
import dev.sibyl.models.controls.SeasonalNaive;
import dev.sibyl.models.testing.Synthetic;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SplitConformalTest {

  private static final int LOOKBACK = 256;
  private static final int HORIZON = 24;

  private static PointModel model(String family) {
    return family.equals("holt-winters") ? HoltWinters.builder().build() : new SeasonalNaive(24);
  }

  /**
   * Rolls the pipeline's window (256 values, horizon 24) over a long noisy trend + season series
   * and counts the future values inside their intervals, over all windows and steps.
   *
   * <p>Under exchangeability, split conformal with n = 48 residuals covers with probability ceil(49
   * * c) / 49: 45/49 = 0.918 for c = 0.9 and 47/49 = 0.959 for c = 0.95, and the average over about
   * 1,300 overlapping windows has a standard error near 0.01. Errors of a time series are not
   * exchangeable (the multi-step errors of one window are correlated), so the bands allow about
   * three points either side of those figures.
   */
  @ParameterizedTest(name = "{0} at {1}")
  @CsvSource({
    "seasonal-naive, 0.90, 0.88, 0.95",
    "seasonal-naive, 0.95, 0.93, 0.98",
    "holt-winters, 0.90, 0.88, 0.95",
    "holt-winters, 0.95, 0.93, 0.98"
  })
  void empiricalCoverageIsNearTheNominalLevel(
      String family, double coverage, double low, double high) {
    double[] y = Synthetic.trendSeason(LOOKBACK + HORIZON + 4 * 1300, 100, 0.02, 10, 24, 2, 2024);
    Forecaster forecaster = new SplitConformal(model(family), coverage, 48);

    long inside = 0;
    long total = 0;
    for (int from = 0; from + LOOKBACK + HORIZON <= y.length; from += 4) {
      ForecastResult r = forecaster.forecast(Synthetic.window(y, from, LOOKBACK), HORIZON);
      for (int k = 0; k < HORIZON; k++) {
        double truth = y[from + LOOKBACK + k];
        inside += r.lower()[k] <= truth && truth <= r.upper()[k] ? 1 : 0;
        total++;
      }
    }

    double empirical = (double) inside / total;
    System.out.printf(
        "split conformal, %s, nominal %.2f: empirical coverage %.4f over %d forecasts%n",
        family, coverage, empirical, total);
    assertThat(empirical).isBetween(low, high);
  }

  @Test
  void boundsEncloseTheMean() {
    double[] y = Synthetic.trendSeason(400, 5, -0.01, 3, 24, 1, 8);
    Forecaster forecaster = new SplitConformal(HoltWinters.builder().build(), 0.9, 48);

    for (int from = 0; from + LOOKBACK <= y.length; from += 16) {
      ForecastResult r = forecaster.forecast(Synthetic.window(y, from, LOOKBACK), HORIZON);
      assertThat(r.coverage()).isEqualTo(0.9);
      for (int k = 0; k < HORIZON; k++) {
        assertThat(r.lower()[k]).isLessThan(r.mean()[k]);
        assertThat(r.mean()[k]).isLessThan(r.upper()[k]);
      }
    }
  }

  @Test
  void intervalsWidenWithTheStepForARandomWalk() {
    double[] y = Synthetic.randomWalk(LOOKBACK + 50 * 20, 77);
    Forecaster naive = new SplitConformal(new SeasonalNaive(1), 0.9, 48);

    double[] meanWidth = new double[HORIZON]; // (horizon), averaged over 50 windows
    for (int w = 0; w < 50; w++) {
      ForecastResult r = naive.forecast(Synthetic.window(y, 20 * w, LOOKBACK), HORIZON);
      for (int k = 0; k < HORIZON; k++) {
        meanWidth[k] += (r.upper()[k] - r.lower()[k]) / 50;
      }
    }

    for (int k = 1; k < HORIZON; k++) {
      assertThat(meanWidth[k]).as("step %d", k + 1).isGreaterThan(meanWidth[k - 1]);
    }
    // a random walk's k-step error grows like sqrt(k): sqrt(24) is about 4.9
    assertThat(meanWidth[HORIZON - 1] / meanWidth[0]).isBetween(3.0, 7.0);
  }

  @Test
  void quantileIsTheFiniteSampleConformalRank() {
    double[] residuals = IntStream.rangeClosed(1, 48).mapToDouble(i -> 49 - i).toArray();

    // ceil(49 * 0.9) = 45, ceil(49 * 0.95) = 47
    assertThat(SplitConformal.conformalQuantile(residuals.clone(), 48, 0.9)).isEqualTo(45);
    assertThat(SplitConformal.conformalQuantile(residuals.clone(), 48, 0.95)).isEqualTo(47);
    // ceil(20 * 0.95) = 19 exactly, despite 0.95 not being representable
    assertThat(SplitConformal.conformalQuantile(residuals.clone(), 19, 0.95)).isEqualTo(19 + 29);
    // ceil(49 * 0.99) = 49 > 48: the largest residual
    assertThat(SplitConformal.conformalQuantile(residuals.clone(), 48, 0.99)).isEqualTo(48);
    assertThatThrownBy(() -> SplitConformal.conformalQuantile(residuals, 0, 0.9))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("count must be in [1, 48], got 0");
  }

  @Test
  void quickselectMatchesASort() {
    Random random = new Random(12);
    for (int trial = 0; trial < 2000; trial++) {
      int n = 1 + random.nextInt(60);
      double[] a = new double[n];
      for (int i = 0; i < n; i++) {
        a[i] = random.nextInt(4) == 0 ? random.nextInt(5) : random.nextDouble(); // with ties
      }
      double[] sorted = a.clone();
      Arrays.sort(sorted);
      int k = random.nextInt(n);

      assertThat(SplitConformal.select(a.clone(), n, k)).as("trial %d", trial).isEqualTo(sorted[k]);
    }
  }

  @Test
  void tooFewResidualsForTheCoverageGiveTheLargestResidual() {
    // naive forecast: step-1 residuals are |y[t] - y[t - 1]|; C = 5 gives ceil(6 * 0.95) = 6 > 5
    double[] y = {0, 1, 3, 6, 10, 11, 13, 14, 20, 21};
    Forecaster naive = new SplitConformal(new SeasonalNaive(1), 0.95, 5);

    ForecastResult r = naive.forecast(Synthetic.window(y), 1);

    // the last five differences: 1, 2, 1, 6, 1
    assertThat(r.mean()[0]).isEqualTo(21);
    assertThat(r.upper()[0] - r.mean()[0]).isEqualTo(6);
  }

  @Test
  void perfectFitsGetATinyButNonZeroWidth() {
    double[] constant = new double[100];
    Arrays.fill(constant, 5.0);

    ForecastResult r =
        new SplitConformal(new SeasonalNaive(24), 0.95, 48)
            .forecast(Synthetic.window(constant), HORIZON);

    for (int k = 0; k < HORIZON; k++) {
      assertThat(r.upper()[k] - r.mean()[k]).isCloseTo(6e-9, within(1e-15)); // 1e-9 * (1 + 5)
      assertThat(r.mean()[k] - r.lower()[k]).isGreaterThan(0);
    }
  }

  @Test
  void shortWindowsAreServedFromMinHistoryOn() {
    Forecaster forecaster = new SplitConformal(new SeasonalNaive(1), 0.9, 48);
    double[] y = Synthetic.randomWalk(10, 3);

    assertThat(forecaster.minHistory()).isEqualTo(2);
    ForecastResult r = forecaster.forecast(Synthetic.window(y, 0, 2), 4);
    // one residual at step 1, |y1 - y0|; later steps grow like sqrt(k)
    double w1 = Math.abs(y[1] - y[0]);
    for (int k = 1; k <= 4; k++) {
      assertThat(r.upper()[k - 1] - r.mean()[k - 1]).isCloseTo(w1 * Math.sqrt(k), within(1e-12));
    }
    assertThatThrownBy(() -> forecaster.forecast(Synthetic.window(y, 0, 1), 4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs at least 2 values (minHistory), got 1");

    Forecaster hw = new SplitConformal(HoltWinters.builder().build(), 0.9, 48);
    double[] z = Synthetic.trendSeason(60, 10, 0.1, 3, 24, 1, 4);
    for (int n = hw.minHistory(); n <= z.length; n++) {
      ForecastResult s = hw.forecast(Synthetic.window(z, 0, n), HORIZON);
      assertThat(s.upper()[HORIZON - 1]).as("n = %d", n).isFinite();
    }
  }

  @Test
  void rejectsBadInputs() {
    Forecaster forecaster = new SplitConformal(new SeasonalNaive(2), 0.9, 48);
    SeriesWindow nan = Synthetic.window(new double[] {1, 2, Double.NaN, 4});

    assertThatThrownBy(() -> forecaster.forecast(nan, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("window value 2 must be finite, got NaN");
    assertThatThrownBy(() -> forecaster.forecast(Synthetic.window(new double[4]), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("horizon must be >= 1, got 0");
    assertThatThrownBy(() -> forecaster.forecast(null, 1))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("window must not be null");
    assertThatThrownBy(() -> new SplitConformal(new SeasonalNaive(2), 1.0, 48))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("coverage must be in (0, 1), got 1.0");
    assertThatThrownBy(() -> new SplitConformal(new SeasonalNaive(2), 0.9, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("calibrationSize must be >= 1, got 0");
    assertThatThrownBy(() -> new SplitConformal(null, 0.9, 48))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("model must not be null");
  }
}

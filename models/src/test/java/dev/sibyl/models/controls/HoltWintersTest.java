package dev.sibyl.models.controls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.sibyl.models.api.Backtest;
import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.ForecasterRegistry;
import dev.sibyl.models.api.SeriesWindow;
import dev.sibyl.models.testing.RefitOnly;
import dev.sibyl.models.testing.Synthetic;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HoltWintersTest {

  private static final int M = 24;

  /** {@code 50 + 0.3 t + pattern[t mod m]}; shape (n). */
  private static double[] trendPlusSeason(int n) {
    double[] pattern = new Random(3).doubles(M, -8, 8).toArray(); // (m)
    double[] y = new double[n];
    for (int t = 0; t < n; t++) {
      y[t] = 50 + 0.3 * t + pattern[t % M];
    }
    return y;
  }

  @Test
  void forecastsANoiselessTrendPlusSeasonExactly() {
    double[] all = trendPlusSeason(256 + 2 * M); // (window + horizon)
    double[] window = Arrays.copyOf(all, 256);
    HoltWinters model =
        HoltWinters.builder().optSeasonLength(M).optAlpha(0.3).optBeta(0.1).optGamma(0.2).build();

    double[] forecast = model.forecast(window, 2 * M);

    for (int k = 1; k <= 2 * M; k++) {
      assertThat(forecast[k - 1]).as("step %d", k).isCloseTo(all[255 + k], within(1e-6));
    }
  }

  @Test
  void gridSearchAlsoRecoversANoiselessSeries() {
    double[] all = trendPlusSeason(256 + M);
    double[] forecast = HoltWinters.builder().build().forecast(Arrays.copyOf(all, 256), M);

    for (int k = 1; k <= M; k++) {
      assertThat(forecast[k - 1]).as("step %d", k).isCloseTo(all[255 + k], within(1e-6));
    }
  }

  @Test
  void fallsBackToHoltsLinearTrendBelowTwoSeasons() {
    double[] line = new double[2 * M]; // n = 2m: not yet seasonal
    for (int t = 0; t < line.length; t++) {
      line[t] = 3 - 0.5 * t;
    }
    HoltWinters model = HoltWinters.builder().build();

    double[] forecast = model.forecast(line, 5);

    for (int k = 1; k <= 5; k++) {
      assertThat(forecast[k - 1]).isCloseTo(3 - 0.5 * (line.length - 1 + k), within(1e-9));
    }
    assertThat(model.chooseParameters(line).gamma()).isZero();
    assertThat(model.backtest(line, 5, 0).firstOrigin()).isEqualTo(2);
    assertThat(model.backtest(trendPlusSeason(2 * M + 1), 5, 0).firstOrigin()).isEqualTo(2 * M);
    assertThat(HoltWinters.builder().optSeasonLength(1).build().forecast(new double[] {1, 2}, 2))
        .containsExactly(3, 4);
  }

  @Test
  void dampedTrendFlattensTowardsTheSumOfPowers() {
    double[] line = new double[10];
    for (int t = 0; t < line.length; t++) {
      line[t] = t;
    }
    HoltWinters model =
        HoltWinters.builder().optSeasonLength(1).optAlpha(0.5).optBeta(0.5).optDamping(0.5).build();

    double[] forecast = model.forecast(line, 40);

    // yhat[T+k] - yhat[T+k-1] = phi^k b[T]: the increments shrink by phi, the sum converges
    for (int k = 2; k < 20; k++) {
      double ratio = (forecast[k] - forecast[k - 1]) / (forecast[k - 1] - forecast[k - 2]);
      assertThat(ratio).as("step %d", k + 1).isCloseTo(0.5, within(1e-9));
    }
    assertThat(forecast[39] - forecast[38]).isLessThan(1e-9);
  }

  @Test
  void onePassBacktestEqualsRefittingEveryPrefixWithFixedParameters() {
    double[] y = Synthetic.trendSeason(180, 20, 0.1, 5, M, 1, 5);
    HoltWinters model =
        HoltWinters.builder().optAlpha(0.2).optBeta(0.05).optGamma(0.1).optDamping(0.95).build();

    Backtest fast = model.backtest(y, 24, 2 * M + 1);
    Backtest slow = new RefitOnly(model).backtest(y, 24, 2 * M + 1);

    assertThat(fast.firstOrigin()).isEqualTo(slow.firstOrigin());
    for (int origin = fast.firstOrigin(); origin <= y.length; origin++) {
      double[] a = fast.at(origin);
      double[] b = slow.at(origin);
      for (int k = 0; k < a.length; k++) {
        assertThat(a[k]).as("origin %d step %d", origin, k + 1).isCloseTo(b[k], within(1e-9));
      }
    }
  }

  @Test
  void candidateMajorGridKernelMatchesTheScalarReferenceExactly() {
    HoltWinters damped = HoltWinters.builder().optDamping(0.9).build();
    HoltWinters fixedAlpha = HoltWinters.builder().optAlpha(0.95).build(); // 17 candidates
    double[][] series = {
      Synthetic.trendSeason(256, 100, 0.02, 10, M, 2, 31), // seasonal mode
      Synthetic.trendSeason(40, 100, 0.5, 10, M, 2, 32) // Holt mode
    };

    for (HoltWinters model : new HoltWinters[] {damped, fixedAlpha}) {
      for (double[] y : series) {
        double[] fast = model.gridSse(y, false);
        double[] slow = model.gridSse(y, true);
        assertThat(fast).hasSameSizeAs(slow);
        // the same operations in the same order per candidate: equal to the last bit
        for (int c = 0; c < fast.length; c++) {
          assertThat(fast[c]).as("candidate %d", c).isEqualTo(slow[c]);
        }
      }
    }
  }

  @Test
  void gridSearchBeatsABadFixedSettingOnNoisyData() {
    double[] y = Synthetic.trendSeason(256 + M + 5 * 100, 100, 0.02, 10, M, 2, 42);
    HoltWinters grid = HoltWinters.builder().build();
    HoltWinters bad = HoltWinters.builder().optAlpha(0.9).optBeta(0.5).optGamma(0.0).build();

    double gridSse = 0;
    double badSse = 0;
    for (int from = 0; from + 256 + M <= y.length; from += 5) {
      double[] window = Arrays.copyOfRange(y, from, from + 256);
      double[] g = grid.forecast(window, M);
      double[] b = bad.forecast(window, M);
      for (int k = 0; k < M; k++) {
        double truth = y[from + 256 + k];
        gridSse += (g[k] - truth) * (g[k] - truth);
        badSse += (b[k] - truth) * (b[k] - truth);
      }
    }

    System.out.printf(
        "holt-winters out-of-sample SSE: grid %.1f, fixed bad %.1f%n", gridSse, badSse);
    assertThat(gridSse).isLessThan(0.5 * badSse);
  }

  @Test
  void printsTheCostOfOneForecastWithIntervals() {
    double[] y = Synthetic.trendSeason(256 + 4000, 100, 0.02, 10, M, 2, 9);
    SeriesWindow[] windows = new SeriesWindow[64];
    for (int i = 0; i < windows.length; i++) {
      windows[i] = Synthetic.window(y, 50 * i, 256);
    }
    Forecaster forecaster = ForecasterRegistry.create("holt-winters", Map.of());
    Forecaster fixed =
        ForecasterRegistry.create(
            "holt-winters", Map.of("alpha", "0.2", "beta", "0.05", "gamma", "0.1"));

    double micros = microsPerForecast(forecaster, windows);
    double fixedMicros = microsPerForecast(fixed, windows);

    // Timing is printed, never asserted: it depends on the machine.
    System.out.printf(
        "holt-winters + split conformal, n=256, horizon=24: %.1f us per forecast with grid search,"
            + " %.1f us with fixed parameters%n",
        micros, fixedMicros);
  }

  private static double microsPerForecast(Forecaster forecaster, SeriesWindow[] windows) {
    double sink = 0;
    for (int i = 0; i < 3000; i++) { // warm-up for the JIT
      sink += forecaster.forecast(windows[i % windows.length], 24).upper()[23];
    }
    int calls = 5000;
    long start = System.nanoTime();
    for (int i = 0; i < calls; i++) {
      sink += forecaster.forecast(windows[i % windows.length], 24).upper()[23];
    }
    long elapsed = System.nanoTime() - start;
    assertThat(sink).isFinite();
    return elapsed / 1e3 / calls;
  }

  @Test
  void builderRejectsOutOfRangeSettings() {
    assertThatThrownBy(() -> HoltWinters.builder().optSeasonLength(0).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("seasonLength must be >= 1, got 0");
    assertThatThrownBy(() -> HoltWinters.builder().optAlpha(0).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("alpha must be in (0, 1], got 0.0");
    assertThatThrownBy(() -> HoltWinters.builder().optBeta(1.5).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("beta must be in [0, 1], got 1.5");
    assertThatThrownBy(() -> HoltWinters.builder().optGamma(-0.1).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("gamma must be in [0, 1], got -0.1");
    assertThatThrownBy(() -> HoltWinters.builder().optDamping(Double.NaN).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("damping must be in (0, 1], got NaN");
  }

  @Test
  void chooseParametersKeepsFixedOnesAndSearchesTheRest() {
    double[] y = Synthetic.trendSeason(256, 100, 0.02, 10, M, 2, 1);

    HoltWinters.Parameters p = HoltWinters.builder().optAlpha(0.7).build().chooseParameters(y);

    assertThat(p.alpha()).isEqualTo(0.7);
    assertThat(HoltWinters.BETA_GRID).contains(p.beta());
    assertThat(p.gamma()).isLessThanOrEqualTo(1 - 0.7 + 1e-12);
  }
}

package dev.sibyl.models.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sibyl.models.api.ForecastResult;
import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.SeriesWindow;
import dev.sibyl.models.controls.SeasonalNaive;
import dev.sibyl.models.interval.SplitConformal;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IntervalCoverageTest {

  /** Two channels: a daily sine plus Gaussian noise of different scales. */
  private static double[][] seasonalNoise(int rows, long seed) {
    Random random = new Random(seed);
    double[][] data = new double[rows][2];
    for (int t = 0; t < rows; t++) {
      double season = Math.sin(2 * Math.PI * t / 24);
      data[t][0] = 10 + 3 * season + random.nextGaussian();
      data[t][1] = -5 + season + 0.1 * random.nextGaussian();
    }
    return data;
  }

  @Test
  void conformalIntervalsOfASeasonalModelCoverNearTheNominalLevel() {
    double[][] data = seasonalNoise(1500, 7);
    for (double nominal : new double[] {0.8, 0.9}) {
      Forecaster forecaster = new SplitConformal(new SeasonalNaive(24), nominal, 48);
      IntervalCoverage.Result r =
          IntervalCoverage.measure(forecaster, nominal, data, 0, data.length, 3_600_000L, 120, 12, 3, done -> {});
      assertThat(r.coverage()).as("nominal %s", nominal).isBetween(nominal - 0.04, nominal + 0.04);
      assertThat(r.perStep()).hasSize(12);
      assertThat(r.origins()).isEqualTo((1500 - 120 - 12) / 3 + 1);
      assertThat(r.trials()).isEqualTo(r.origins() * 2L * 12);
    }
  }

  @Test
  void countsEachStepInsideOrOutsideItsOwnInterval() {
    // a stand-in forecaster, not a model: its interval is [0, 1] at even steps and empty at odd ones
    Forecaster halves =
        new Forecaster() {
          @Override
          public String family() {
            return "halves-test";
          }

          @Override
          public String version() {
            return "0";
          }

          @Override
          public int minHistory() {
            return 1;
          }

          @Override
          public ForecastResult forecast(SeriesWindow window, int horizon) {
            double[] mean = new double[horizon];
            double[] lower = new double[horizon];
            double[] upper = new double[horizon];
            for (int k = 0; k < horizon; k++) {
              mean[k] = 0.5;
              lower[k] = k % 2 == 0 ? 0 : 2;
              upper[k] = k % 2 == 0 ? 1 : 3;
            }
            return new ForecastResult(mean, lower, upper, 0.5);
          }
        };
    double[][] data = new double[50][1];
    for (double[] row : data) {
      row[0] = 0.25;
    }
    IntervalCoverage.Result r = IntervalCoverage.measure(halves, 0.5, data, 0, 50, 1000, 10, 4, 1, done -> {});
    assertThat(r.perStep()).containsExactly(1.0, 0.0, 1.0, 0.0);
    assertThat(r.coverage()).isEqualTo(0.5);
    assertThat(r.meanWidth()).isEqualTo(1.0);
    List<Integer> progress = new ArrayList<>();
    IntervalCoverage.measure(halves, 0.5, data, 0, 50, 1000, 10, 4, 20, progress::add);
    assertThat(progress).containsExactly(1, 2);
    assertThatThrownBy(() -> IntervalCoverage.measure(halves, 0.5, data, 0, 12, 1000, 10, 4, 1, done -> {}))
        .hasMessageContaining("hold no window of 10 with a horizon of 4");
  }
}

package dev.sibyl.models.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.sibyl.models.controls.DlinearFamily;
import dev.sibyl.models.eval.Table;
import dev.sibyl.models.interval.SplitConformal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One model call for many series, against the per-series adapter (its naive twin). */
class BatchedForecasterTest {

  @Test
  void aBatchEqualsEachSeriesForecastAloneInOneModelCall() throws Exception {
    Table ett = Table.read(Path.of(System.getProperty("sibyl.datasets", "../shared/datasets"), "ett", "ETTh1.csv"));
    WindowModel dlinear = new DlinearFamily().create(Map.of(), 48, 12, 3);
    int[] calls = {0};
    WindowModel counted = counting(dlinear, calls);
    // three channels of ETTh1, windows of different lengths (one still starting up)
    List<SeriesWindow> windows = new ArrayList<>();
    for (int[] spec : new int[][] {{0, 120}, {3, 90}, {6, 50}}) {
      double[] v = new double[spec[1]];
      for (int i = 0; i < v.length; i++) {
        v[i] = ett.rows()[500 + i][spec[0]];
      }
      windows.add(new SeriesWindow(new long[v.length], v, 1));
    }
    BatchedForecaster batched = BatchedForecaster.of(counted, 0.9, 16);

    List<ForecastResult> together = batched.forecastBatch(windows, 12);

    assertThat(calls[0]).isEqualTo(1);
    SplitConformal alone = new SplitConformal(TrainedForecasters.pointModel(dlinear), 0.9, 16);
    for (int s = 0; s < windows.size(); s++) {
      ForecastResult expected = alone.forecast(windows.get(s), 12);
      double scale = 1 + Arrays.stream(windows.get(s).values()).map(Math::abs).max().orElseThrow();
      for (int k = 0; k < 12; k++) {
        assertThat(together.get(s).mean()[k]).isCloseTo(expected.mean()[k], within(1e-5 * scale));
        assertThat(together.get(s).lower()[k]).isCloseTo(expected.lower()[k], within(1e-5 * scale));
        assertThat(together.get(s).upper()[k]).isCloseTo(expected.upper()[k], within(1e-5 * scale));
      }
    }
    assertThat(batched.forecast(windows.get(1), 12).mean()).containsExactly(together.get(1).mean());
    assertThat(batched.minHistory()).isEqualTo(49);
  }

  @Test
  void refusesShortWindowsBadValuesAndMultivariateModels() {
    WindowModel dlinear = new DlinearFamily().create(Map.of(), 48, 12, 3);
    BatchedForecaster f = BatchedForecaster.of(dlinear, 0.9, 16);
    double[] v = new double[60];
    v[7] = Double.NaN;
    assertThatThrownBy(() -> f.forecastBatch(List.of(new SeriesWindow(new long[60], new double[60], 1), new SeriesWindow(new long[48], new double[48], 1)), 12))
        .hasMessageContaining("needs at least 49 values (minHistory), got 48 in window 1");
    assertThatThrownBy(() -> f.forecast(new SeriesWindow(new long[60], v, 1), 12))
        .hasMessageContaining("window 0 value 7 must be finite, got NaN");
    assertThatThrownBy(() -> f.forecast(new SeriesWindow(new long[60], new double[60], 1), 13))
        .hasMessageContaining("trained for horizon 12 and does not roll forward");
  }

  /** The model, counting its calls. */
  private static WindowModel counting(WindowModel model, int[] calls) {
    return new ForwardingWindowModel(model) {

      @Override
      public double[][][] predict(double[][][] windows, int horizon) {
        calls[0]++;
        return model.predict(windows, horizon);
      }
    };
  }
}

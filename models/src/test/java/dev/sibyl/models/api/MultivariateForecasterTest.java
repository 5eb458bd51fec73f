package dev.sibyl.models.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.sibyl.models.eval.Table;
import dev.sibyl.models.interval.SplitConformal;
import dev.sibyl.models.smamba.SMambaFamily;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The joint forecaster on ETTh1's seven channels with a small (untrained) S-Mamba. */
class MultivariateForecasterTest {

  private static final int L = 24;
  private static final int H = 6;
  private static final int CALIBRATION = 8;
  private static final long HOUR = 3_600_000;

  private static Table ett;
  private static WindowModel model;

  @BeforeAll
  static void load() throws Exception {
    ett = Table.read(Path.of(System.getProperty("sibyl.datasets", "../shared/datasets"), "ett", "ETTh1.csv"));
    model =
        new SMambaFamily()
            .create(
                Map.of("d.model", "16", "d.state", "4", "d.ff", "16", "layers", "2", "dropout", "0",
                    WindowModel.CHANNEL_NAMES, String.join(",", ett.columns())),
                L, H, 5);
  }

  /** Rows [from, from + n) of every channel as windows at hourly timestamps; (C) windows of n. */
  private static List<SeriesWindow> windows(int from, int n) {
    List<SeriesWindow> windows = new ArrayList<>();
    long[] timestamps = new long[n];
    for (int i = 0; i < n; i++) {
      timestamps[i] = (from + i) * HOUR;
    }
    for (int ch = 0; ch < ett.channels(); ch++) {
      double[] values = new double[n];
      for (int i = 0; i < n; i++) {
        values[i] = ett.rows()[from + i][ch];
      }
      windows.add(new SeriesWindow(timestamps, values, HOUR));
    }
    return windows;
  }

  @Test
  void everyChannelsMeanIsTheModelsPredictionOnTheSourcesWindow() {
    MultivariateForecaster f = MultivariateForecaster.of(model, 0.9, CALIBRATION);
    List<SeriesWindow> w = windows(100, L + CALIBRATION + H);
    int n = w.get(0).size();

    List<ForecastResult> results = f.forecastJoint(w, H);

    // the model itself on the (1, C, L) window of the last L raw values
    double[][][] x = new double[1][ett.channels()][];
    for (int ch = 0; ch < ett.channels(); ch++) {
      x[0][ch] = Arrays.copyOfRange(w.get(ch).values(), n - L, n);
    }
    double[][] expected = model.predict(x, H)[0]; // (C, H)
    assertThat(f.channels()).containsExactly("HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT");
    assertThat(results).hasSize(7);
    for (int ch = 0; ch < ett.channels(); ch++) {
      double scale = 1 + Arrays.stream(w.get(ch).values()).map(Math::abs).max().orElseThrow();
      for (int k = 0; k < H; k++) {
        assertThat(results.get(ch).mean()[k]).as("channel %d step %d", ch, k).isCloseTo(expected[ch][k], within(1e-4 * scale));
        assertThat(results.get(ch).lower()[k]).isLessThan(results.get(ch).mean()[k]);
        assertThat(results.get(ch).upper()[k]).isGreaterThan(results.get(ch).mean()[k]);
      }
    }
  }

  @Test
  void intervalsAreSplitConformalOnEachChannelsOwnResiduals() {
    MultivariateForecaster f = MultivariateForecaster.of(model, 0.9, CALIBRATION);
    List<SeriesWindow> w = windows(300, L + CALIBRATION + H + 3);

    List<ForecastResult> joint = f.forecastJoint(w, H);

    // the naive twin: one model call per prefix, and the per-series interval method on top
    Map<Integer, double[][]> prefixes = new java.util.HashMap<>();
    for (int ch = 0; ch < ett.channels(); ch++) {
      ForecastResult alone = new SplitConformal(channelOf(w, ch, prefixes), 0.9, CALIBRATION).forecast(w.get(ch), H);
      double scale = 1 + Arrays.stream(w.get(ch).values()).map(Math::abs).max().orElseThrow();
      for (int k = 0; k < H; k++) {
        assertThat(joint.get(ch).mean()[k]).isCloseTo(alone.mean()[k], within(1e-5 * scale));
        assertThat(joint.get(ch).lower()[k]).isCloseTo(alone.lower()[k], within(1e-5 * scale));
        assertThat(joint.get(ch).upper()[k]).isCloseTo(alone.upper()[k], within(1e-5 * scale));
      }
      assertThat(joint.get(ch).coverage()).isEqualTo(0.9);
    }
  }

  /**
   * Channel ch of the model on all channels' prefixes of the same length, one call per prefix
   * (kept in {@code prefixes} for the other channels, by prefix length).
   */
  private static PointModel channelOf(List<SeriesWindow> w, int ch, Map<Integer, double[][]> prefixes) {
    return new PointModel() {
      @Override
      public String family() {
        return model.family();
      }

      @Override
      public String version() {
        return model.version();
      }

      @Override
      public int minHistory() {
        return L;
      }

      @Override
      public double[] forecast(double[] values, int horizon) {
        int o = values.length;
        assertThat(values).isEqualTo(Arrays.copyOf(w.get(ch).values(), o));
        return prefixes.computeIfAbsent(o, n -> all(n, horizon))[ch].clone();
      }

      /** Every channel's forecast from the first o values; (C, horizon). */
      private double[][] all(int o, int horizon) {
        double[][][] x = new double[1][w.size()][];
        double[] mean = new double[w.size()];
        double[] std = new double[w.size()];
        for (int c = 0; c < w.size(); c++) {
          double[] v = Arrays.copyOfRange(w.get(c).values(), o - L, o);
          double m = Arrays.stream(v).average().orElseThrow();
          mean[c] = m;
          std[c] = Math.sqrt(Arrays.stream(v).map(a -> (a - m) * (a - m)).sum() / L) + 1e-5;
          for (int t = 0; t < L; t++) {
            v[t] = (v[t] - mean[c]) / std[c];
          }
          x[0][c] = v;
        }
        double[][] y = model.predict(x, horizon)[0]; // (C, horizon)
        for (int c = 0; c < w.size(); c++) {
          for (int k = 0; k < horizon; k++) {
            y[c][k] = y[c][k] * std[c] + mean[c];
          }
        }
        return y;
      }
    };
  }

  @Test
  void refusesWindowsThatAreNotOneAlignedSetOfChannels() {
    MultivariateForecaster f = MultivariateForecaster.of(model, 0.9, CALIBRATION);
    List<SeriesWindow> w = windows(0, L + 4);
    List<SeriesWindow> shifted = new ArrayList<>(w);
    long[] later = w.get(1).timestamps().clone();
    later[0] -= HOUR;
    shifted.set(1, new SeriesWindow(later, w.get(1).values(), HOUR));

    assertThatThrownBy(() -> f.forecastJoint(shifted, H))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("channel 'HULL' has other timestamps than channel 'HUFL'");
    assertThatThrownBy(() -> f.forecastJoint(w.subList(0, 6), H))
        .hasMessageContaining("s-mamba needs 7 windows ([HUFL, HULL, MUFL, MULL, LUFL, LULL, OT]), got 6");
    assertThatThrownBy(() -> f.forecastJoint(windows(0, L), H))
        .hasMessageContaining("needs at least 25 values per channel (minHistory), got 24");
    assertThatThrownBy(() -> f.forecastJoint(w, H + 1))
        .hasMessageContaining("trained for horizon 6 and does not roll forward");
    assertThatThrownBy(() -> f.forecast(w.get(0), H))
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("forecasts the channels [HUFL, HULL, MUFL, MULL, LUFL, LULL, OT] of a source jointly");
  }
}

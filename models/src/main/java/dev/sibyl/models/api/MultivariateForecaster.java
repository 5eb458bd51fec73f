package dev.sibyl.models.api;

import dev.sibyl.models.interval.SplitConformal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Serves a multivariate {@link WindowModel} ({@code channels() == C > 0}) to the pipeline: the C
 * channels of a source, named as the model was trained ({@link WindowModel#CHANNEL_NAMES}), forecast
 * in one call, each with split-conformal intervals.
 *
 * <p>As {@link TrainedForecasters} does for one series, each channel's lookback window is
 * standardised by its own mean and standard deviation (+1e-5) and the output scaled back, because
 * the model was trained on columns standardised with their training statistics and a stream has
 * unknown scales. The intervals are the same split-conformal method ({@link SplitConformal}) on a
 * backtest inside the windows; the backtest is joint too: the (C, L) windows at every calibration
 * origin go to the model as one batch, and each channel's intervals come from its own residuals.
 * Immutable and thread-safe when the model is.
 */
public final class MultivariateForecaster implements JointForecaster {

  /** Added to each window's standard deviation, as in the per-series adapter. */
  private static final double STD_EPSILON = 1e-5;

  private final WindowModel model;
  private final List<String> channels;
  private final double coverage;
  private final int calibrationSize;

  private MultivariateForecaster(
      WindowModel model, List<String> channels, double coverage, int calibrationSize) {
    this.model = model;
    this.channels = channels;
    this.coverage = coverage;
    this.calibrationSize = calibrationSize;
  }

  /**
   * Wraps a multivariate model.
   *
   * @param model a model with {@code channels() > 0} whose hyperparameters name them; not null
   * @param coverage nominal coverage of the intervals, in (0, 1)
   * @param calibrationSize calibration origins per step, at least 1
   * @return the forecaster
   * @throws IllegalArgumentException for a channel-independent model, a model that does not name
   *     its channels (saying how to fix the artifact), names that do not match the channel count,
   *     or a coverage or calibration size out of range
   */
  public static MultivariateForecaster of(WindowModel model, double coverage, int calibrationSize) {
    Objects.requireNonNull(model, "model must not be null");
    int c = model.channels();
    if (c < 1) {
      throw new IllegalArgumentException(
          model.family() + " is channel-independent; serve it one series at a time");
    }
    if (!(coverage > 0 && coverage < 1)) {
      throw new IllegalArgumentException("coverage must be in (0, 1), got " + coverage);
    }
    if (calibrationSize < 1) {
      throw new IllegalArgumentException("calibrationSize must be >= 1, got " + calibrationSize);
    }
    String raw = model.hyperparameters().getOrDefault(WindowModel.CHANNEL_NAMES, "");
    if (raw.isBlank()) {
      throw new IllegalArgumentException(
          model.family()
              + " model mixes "
              + c
              + " channels but does not name them (hyperparameter '"
              + WindowModel.CHANNEL_NAMES
              + "'), so the pipeline cannot map a point's channels to its inputs: retrain it with"
              + " `sibyl train`, which records the CSV header's names, or add \""
              + WindowModel.CHANNEL_NAMES
              + "\": \"<name>,...\" with the "
              + c
              + " training columns in order to the manifest's hyperparameters");
    }
    List<String> names = WindowModel.parseChannelNames(raw);
    if (names.size() != c) {
      throw new IllegalArgumentException(
          model.family() + " model has " + c + " channels but '" + WindowModel.CHANNEL_NAMES
              + "' names " + names.size() + ": " + names);
    }
    return new MultivariateForecaster(model, List.copyOf(names), coverage, calibrationSize);
  }

  /** The wrapped model. */
  public WindowModel model() {
    return model;
  }

  /** The nominal coverage in (0, 1). */
  public double coverage() {
    return coverage;
  }

  /** C, the calibration origins per step. */
  public int calibrationSize() {
    return calibrationSize;
  }

  @Override
  public List<String> channels() {
    return channels;
  }

  @Override
  public String family() {
    return model.family();
  }

  @Override
  public String version() {
    return model.version();
  }

  /** The lookback plus one: one calibration residual at step 1, as for one series. */
  @Override
  public int minHistory() {
    return model.lookback() + 1;
  }

  @Override
  public List<ForecastResult> forecastJoint(List<SeriesWindow> windows, int horizon) {
    // 1. Check: one window per channel, one length, one set of timestamps, finite values
    Objects.requireNonNull(windows, "windows must not be null");
    int c = channels.size();
    if (windows.size() != c) {
      throw new IllegalArgumentException(
          family() + " needs " + c + " windows (" + channels + "), got " + windows.size());
    }
    long[] timestamps = windows.get(0).timestamps(); // (n)
    int n = timestamps.length;
    if (n < minHistory()) {
      throw new IllegalArgumentException(
          family() + " with split-conformal intervals needs at least " + minHistory()
              + " values per channel (minHistory), got " + n);
    }
    if (horizon < 1) {
      throw new IllegalArgumentException("horizon must be >= 1, got " + horizon);
    }
    double[][] values = new double[c][]; // (C, n)
    for (int ch = 0; ch < c; ch++) {
      SeriesWindow w = windows.get(ch);
      if (!Arrays.equals(w.timestamps(), timestamps)) {
        throw new IllegalArgumentException(
            "channel '" + channels.get(ch) + "' has other timestamps than channel '"
                + channels.get(0) + "' (" + w.size() + " and " + n + " values): " + family()
                + " needs aligned windows");
      }
      values[ch] = w.values();
      for (int i = 0; i < n; i++) {
        if (!Double.isFinite(values[ch][i])) {
          throw new IllegalArgumentException(
              "channel '" + channels.get(ch) + "' value " + i + " must be finite, got "
                  + values[ch][i]);
        }
      }
    }
    // 2. The (C, L) window before every origin the intervals use, standardised per channel
    int l = model.lookback();
    int first = Math.max(SplitConformal.firstWantedOrigin(n, horizon, calibrationSize), l);
    int origins = n - first + 1;
    double[][][] x = new double[origins][c][]; // (origins, C, L)
    double[][] mean = new double[origins][c]; // (origins, C)
    double[][] std = new double[origins][c]; // (origins, C)
    for (int i = 0; i < origins; i++) {
      int origin = first + i;
      for (int ch = 0; ch < c; ch++) {
        double[] w = Arrays.copyOfRange(values[ch], origin - l, origin); // (L)
        double m = Arrays.stream(w).average().orElse(0);
        double var = 0;
        for (double v : w) {
          var += (v - m) * (v - m);
        }
        double s = Math.sqrt(var / l) + STD_EPSILON;
        for (int t = 0; t < l; t++) {
          w[t] = (w[t] - m) / s;
        }
        x[i][ch] = w;
        mean[i][ch] = m;
        std[i][ch] = s;
      }
    }
    // 3. One call for every origin and channel; (origins, C, horizon)
    double[][][] y = model.predict(x, horizon);
    // 4. Per channel: undo the scaling, and the split-conformal intervals on its backtest
    List<ForecastResult> results = new ArrayList<>(c);
    for (int ch = 0; ch < c; ch++) {
      double[][] forecasts = new double[origins][horizon]; // (origins, horizon)
      for (int i = 0; i < origins; i++) {
        for (int k = 0; k < horizon; k++) {
          forecasts[i][k] = y[i][ch][k] * std[i][ch] + mean[i][ch];
        }
      }
      results.add(
          SplitConformal.intervals(
              values[ch], new Backtest(first, forecasts), horizon, coverage, calibrationSize));
    }
    return results;
  }

  @Override
  public String toString() {
    return "MultivariateForecaster[model=" + model.family() + ", channels=" + channels
        + ", L=" + model.lookback() + ", H=" + model.horizon() + ", coverage=" + coverage
        + ", C=" + calibrationSize + "]";
  }
}

package dev.sibyl.models.api;

import dev.sibyl.models.interval.SplitConformal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Serves a channel-independent {@link WindowModel} whose calls are costly (an LLM-backed family:
 * Time-LLM runs a frozen language model on every call) so that many series cost one call: {@link
 * #forecastBatch} runs the model once for every window given and for every origin of their
 * calibration backtests. The streaming pipeline gives it the due channels of a source together.
 *
 * <p>Each series is its own: its windows are standardised by their own mean and standard deviation
 * (+1e-5) and scaled back, and its intervals are split-conformal ({@link SplitConformal}) on its own
 * backtest, exactly as {@link TrainedForecasters#pointModel} wrapped in {@link SplitConformal}
 * gives them one model call per origin. Immutable and thread-safe when the model is.
 */
public final class BatchedForecaster implements Forecaster {

  /** Added to each window's standard deviation, as in the per-series adapter. */
  private static final double STD_EPSILON = 1e-5;

  private final WindowModel model;
  private final double coverage;
  private final int calibrationSize;

  private BatchedForecaster(WindowModel model, double coverage, int calibrationSize) {
    this.model = model;
    this.coverage = coverage;
    this.calibrationSize = calibrationSize;
  }

  /**
   * Wraps a channel-independent model.
   *
   * @param model a model with {@code channels() == 0}; not null
   * @param coverage nominal coverage of the intervals, in (0, 1)
   * @param calibrationSize calibration origins per step, at least 1
   * @return the forecaster
   * @throws IllegalArgumentException for a multivariate model, or a coverage or calibration size out
   *     of range
   */
  public static BatchedForecaster of(WindowModel model, double coverage, int calibrationSize) {
    Objects.requireNonNull(model, "model must not be null");
    if (model.channels() != 0) {
      throw new IllegalArgumentException(
          model.family() + " is multivariate (" + model.channels()
              + " channels); serve it with MultivariateForecaster");
    }
    if (!(coverage > 0 && coverage < 1)) {
      throw new IllegalArgumentException("coverage must be in (0, 1), got " + coverage);
    }
    if (calibrationSize < 1) {
      throw new IllegalArgumentException("calibrationSize must be >= 1, got " + calibrationSize);
    }
    return new BatchedForecaster(model, coverage, calibrationSize);
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
  public String family() {
    return model.family();
  }

  @Override
  public String version() {
    return model.version();
  }

  /** The lookback plus one: one calibration residual at step 1. */
  @Override
  public int minHistory() {
    return model.lookback() + 1;
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException also for a non-finite value or a horizon the model does not
   *     serve
   */
  @Override
  public ForecastResult forecast(SeriesWindow window, int horizon) {
    return forecastBatch(List.of(Objects.requireNonNull(window, "window must not be null")), horizon).get(0);
  }

  /**
   * {@inheritDoc}
   *
   * <p>One model call for all the windows and all their calibration origins.
   *
   * @throws IllegalArgumentException for a window shorter than {@link #minHistory()}, a non-finite
   *     value (naming the window), or a horizon not positive or not served by the model
   */
  @Override
  public List<ForecastResult> forecastBatch(List<SeriesWindow> windows, int horizon) {
    // 1. Check every window; each contributes its origins [first, n] to the batch
    Objects.requireNonNull(windows, "windows must not be null");
    if (horizon < 1) {
      throw new IllegalArgumentException("horizon must be >= 1, got " + horizon);
    }
    int l = model.lookback();
    int[] firsts = new int[windows.size()];
    int rows = 0;
    for (int s = 0; s < windows.size(); s++) {
      double[] y = windows.get(s).values();
      if (y.length < minHistory()) {
        throw new IllegalArgumentException(
            family() + " with split-conformal intervals needs at least " + minHistory()
                + " values (minHistory), got " + y.length + " in window " + s);
      }
      for (int i = 0; i < y.length; i++) {
        if (!Double.isFinite(y[i])) {
          throw new IllegalArgumentException(
              "window " + s + " value " + i + " must be finite, got " + y[i]);
        }
      }
      firsts[s] = Math.max(SplitConformal.firstWantedOrigin(y.length, horizon, calibrationSize), l);
      rows += y.length - firsts[s] + 1;
    }
    if (rows == 0) {
      return List.of();
    }
    // 2. The standardised lookback before every origin of every window; (rows, 1, L)
    double[][][] x = new double[rows][1][];
    long[][] times = new long[rows][]; // (rows, L): for a model that writes calendar times
    double[] mean = new double[rows]; // (rows)
    double[] std = new double[rows]; // (rows)
    int row = 0;
    for (int s = 0; s < windows.size(); s++) {
      double[] y = windows.get(s).values();
      for (int origin = firsts[s]; origin <= y.length; origin++, row++) {
        double[] w = Arrays.copyOfRange(y, origin - l, origin); // (L)
        double m = Arrays.stream(w).average().orElse(0);
        double var = 0;
        for (double v : w) {
          var += (v - m) * (v - m);
        }
        double sd = Math.sqrt(var / l) + STD_EPSILON;
        for (int t = 0; t < l; t++) {
          w[t] = (w[t] - m) / sd;
        }
        x[row][0] = w;
        times[row] = Arrays.copyOfRange(windows.get(s).timestamps(), origin - l, origin);
        mean[row] = m;
        std[row] = sd;
      }
    }
    // 3. One call; (rows, 1, horizon)
    double[][][] out = model.predict(x, times, horizon);
    // 4. Per window: undo the scaling, and the split-conformal intervals on its backtest
    List<ForecastResult> results = new ArrayList<>(windows.size());
    row = 0;
    for (int s = 0; s < windows.size(); s++) {
      double[] y = windows.get(s).values();
      double[][] forecasts = new double[y.length - firsts[s] + 1][horizon]; // (origins, horizon)
      for (int i = 0; i < forecasts.length; i++, row++) {
        for (int k = 0; k < horizon; k++) {
          forecasts[i][k] = out[row][0][k] * std[row] + mean[row];
        }
      }
      results.add(
          SplitConformal.intervals(y, new Backtest(firsts[s], forecasts), horizon, coverage, calibrationSize));
    }
    return results;
  }

  @Override
  public String toString() {
    return "BatchedForecaster[model=" + model.family() + ", L=" + model.lookback() + ", H="
        + model.horizon() + ", coverage=" + coverage + ", C=" + calibrationSize + "]";
  }
}

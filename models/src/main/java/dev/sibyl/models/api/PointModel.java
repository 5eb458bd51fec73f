package dev.sibyl.models.api;

import java.util.Arrays;
import java.util.Objects;

/**
 * A point forecaster seen as a function of a prefix of a series: the service provider interface of
 * the interval methods (see {@code dev.sibyl.models.interval.SplitConformal}). Implementations are
 * immutable and thread-safe; every per-series quantity comes from the values passed in.
 *
 * <p>Models whose single pass over a window yields the forecasts at every origin (exponential
 * smoothing, seasonal naive) override {@link #backtest} to do it in O(n * horizon). Other models
 * keep the default, which re-runs {@link #forecast} on each prefix.
 */
public interface PointModel {

  /** The model family, e.g. {@code holt-winters}. */
  String family();

  /** The model version (artifact version, or the code version for parameter-free models). */
  String version();

  /**
   * The fewest values {@link #forecast} and {@link #backtest} accept. For a window longer than
   * this, {@link #backtest} returns at least one origin inside the window (origin {@code <= n -
   * 1}).
   */
  int minHistory();

  /**
   * Forecasts {@code horizon} steps after the last value.
   *
   * @param values the series, oldest first, finite; shape (n), {@code n >= minHistory()}; not null
   * @param horizon number of steps, positive
   * @return point forecasts; shape (horizon)
   * @throws NullPointerException when {@code values} is null
   * @throws IllegalArgumentException when the series is too short or the horizon not positive
   */
  double[] forecast(double[] values, int horizon);

  /**
   * Forecasts from every origin {@code o} in {@code [max(firstOrigin, e), n]}, each from {@code
   * values[0..o)} only, where {@code e} is the earliest origin the model can serve without looking
   * ahead (at most {@code n - 1} when {@code n > minHistory()}). Models may fit hyperparameters on
   * the training split {@code values[0..firstOrigin)} and use them at every origin; they say so.
   *
   * <p>The default re-runs {@link #forecast} on each prefix: O((n - firstOrigin) * cost of a
   * forecast). It is also the reference ("naive twin") for the one-pass overrides.
   *
   * @param values the series, oldest first, finite; shape (n), {@code n >= minHistory()}; not null
   * @param horizon number of steps, positive
   * @param firstOrigin the earliest origin wanted, in {@code [0, n]}
   * @return the forecasts; the last row is at origin n, the forecast past the window
   * @throws NullPointerException when {@code values} is null
   * @throws IllegalArgumentException when the series is too short, the horizon not positive or the
   *     origin outside {@code [0, n]}
   */
  default Backtest backtest(double[] values, int horizon, int firstOrigin) {
    // 1. Check the arguments and clip the first origin to the model's minimum history
    int n = checkArguments(this, values, horizon, firstOrigin);
    int first = Math.max(firstOrigin, minHistory());
    // 2. One full forecast per prefix; forecasts shape (origins, horizon)
    double[][] forecasts = new double[n + 1 - first][];
    for (int origin = first; origin <= n; origin++) {
      forecasts[origin - first] = forecast(Arrays.copyOf(values, origin), horizon);
    }
    return new Backtest(first, forecasts);
  }

  /**
   * Checks the arguments of {@link #backtest}; implementations call it first.
   *
   * @param model the model whose {@link #minHistory()} applies; not null
   * @param values the series; shape (n); not null
   * @param horizon number of steps
   * @param firstOrigin the earliest origin wanted
   * @return n, the number of values
   * @throws NullPointerException when {@code values} is null
   * @throws IllegalArgumentException naming the argument, its value and the allowed range
   */
  static int checkArguments(PointModel model, double[] values, int horizon, int firstOrigin) {
    Objects.requireNonNull(values, "values must not be null");
    int n = values.length;
    if (n < model.minHistory()) {
      throw new IllegalArgumentException(
          model.family()
              + " needs at least "
              + model.minHistory()
              + " values (minHistory), got "
              + n);
    }
    if (horizon < 1) {
      throw new IllegalArgumentException("horizon must be >= 1, got " + horizon);
    }
    if (firstOrigin < 0 || firstOrigin > n) {
      throw new IllegalArgumentException(
          "firstOrigin must be in [0, " + n + "], got " + firstOrigin);
    }
    return n;
  }
}

package dev.sibyl.models.interval;

import dev.sibyl.models.api.Backtest;
import dev.sibyl.models.api.ForecastResult;
import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.PointModel;
import dev.sibyl.models.api.SeriesWindow;
import java.util.Arrays;
import java.util.Objects;

/**
 * A {@link Forecaster} that puts split-conformal prediction intervals around any {@link
 * PointModel}, calibrated on the most recent part of each window.
 *
 * <p>Method: split conformal prediction, Vovk, Gammerman &amp; Shafer, Algorithmic Learning in a
 * Random World (2005), and Lei, G'Sell, Rinaldo, Tibshirani &amp; Wasserman, "Distribution-free
 * predictive inference for regression", JASA 2018, section 2.2: fit on one split, take absolute
 * residuals on the other, and use the {@code ceil((n + 1)(1 - alpha))}-th smallest of the n
 * residuals as the half-width of a symmetric interval. Here the splits are in time: the model is
 * fitted (and its state run) on the older part of the window, and the calibration set of step k is
 * the k-step-ahead absolute errors at the last C origins whose target lies in the window. Each step
 * k of the horizon gets its own quantile, as in multi-step conformal forecasting (Stankeviciute et
 * al., NeurIPS 2021, without their Bonferroni correction: the coverage is per step, not joint).
 *
 * <p>Departures and choices:
 *
 * <ul>
 *   <li>Exchangeability does not hold for a time series; the guarantee is approximate and rests on
 *       the errors being roughly stationary over the window (tests measure the coverage).
 *   <li>When {@code ceil((n + 1) * coverage) > n} the exact quantile is infinite; this class uses
 *       the largest residual instead, so the interval is finite but under-covers. With the default
 *       C = 48 this happens above coverage 48/49 (about 0.98), and during start-up.
 *   <li>During start-up a step k may have no calibration residual (no origin the model serves has
 *       its k-step target inside the window). Such a step takes the half-width of the last
 *       calibrated step K scaled by {@code sqrt(k / K)}, the random-walk growth: a heuristic, not a
 *       conformal interval.
 *   <li>Half-widths are floored at {@code 1e-9 * (1 + max |y|)} over the window, so that a series
 *       the model fits exactly (a constant, a pure seasonal pattern) does not get zero-width
 *       intervals that flag rounding noise as anomalies.
 * </ul>
 *
 * <p>Cost: one {@link PointModel#backtest} (one pass for models that override it) plus a selection
 * among C residuals per step: O(model pass + horizon * C). Immutable and thread-safe when the model
 * is.
 */
public final class SplitConformal implements Forecaster {

  /** Default nominal coverage of the intervals. */
  public static final double DEFAULT_COVERAGE = 0.95;

  /** Default number of calibration origins per step. */
  public static final int DEFAULT_CALIBRATION_SIZE = 48;

  /** Relative floor of the half-width, times {@code 1 + max |y|}. */
  static final double RELATIVE_FLOOR = 1e-9;

  /** Slack for the rank {@code ceil((n + 1) * coverage)}, so 20 * 0.95 gives 19 and not 20. */
  private static final double RANK_EPSILON = 1e-9;

  private final PointModel model;
  private final double coverage;
  private final int calibrationSize;

  /**
   * Wraps a point model.
   *
   * @param model the point forecaster; not null
   * @param coverage nominal coverage {@code 1 - alpha}, in (0, 1)
   * @param calibrationSize C, the number of calibration origins per step, at least 1
   * @throws NullPointerException when {@code model} is null
   * @throws IllegalArgumentException naming the argument out of range, its value and the range
   */
  public SplitConformal(PointModel model, double coverage, int calibrationSize) {
    this.model = Objects.requireNonNull(model, "model must not be null");
    if (!(coverage > 0 && coverage < 1)) {
      throw new IllegalArgumentException("coverage must be in (0, 1), got " + coverage);
    }
    if (calibrationSize < 1) {
      throw new IllegalArgumentException("calibrationSize must be >= 1, got " + calibrationSize);
    }
    this.coverage = coverage;
    this.calibrationSize = calibrationSize;
  }

  /** The wrapped point model. */
  public PointModel model() {
    return model;
  }

  /** The nominal coverage in (0, 1). */
  public double coverage() {
    return coverage;
  }

  /** C, the number of calibration origins per step. */
  public int calibrationSize() {
    return calibrationSize;
  }

  /** The point model's family. */
  @Override
  public String family() {
    return model.family();
  }

  /** The point model's version. */
  @Override
  public String version() {
    return model.version();
  }

  /**
   * The point model's minimum plus one: one calibration residual at step 1. Intervals from so few
   * residuals are the largest residual (see the class comment); they reach their nominal coverage
   * once the window holds about {@code C + horizon} values more than the model needs.
   */
  @Override
  public int minHistory() {
    return model.minHistory() + 1;
  }

  /**
   * {@inheritDoc}
   *
   * @throws NullPointerException when {@code window} is null
   * @throws IllegalArgumentException when the window is shorter than {@link #minHistory()}, holds a
   *     non-finite value, or the horizon is not positive
   */
  @Override
  public ForecastResult forecast(SeriesWindow window, int horizon) {
    // 1. Check the inputs
    Objects.requireNonNull(window, "window must not be null");
    double[] y = window.values(); // (n)
    int n = y.length;
    if (n < minHistory()) {
      throw new IllegalArgumentException(
          family()
              + " with split-conformal intervals needs at least "
              + minHistory()
              + " values (minHistory), got "
              + n);
    }
    if (horizon < 1) {
      throw new IllegalArgumentException("horizon must be >= 1, got " + horizon);
    }
    for (int i = 0; i < n; i++) {
      if (!Double.isFinite(y[i])) {
        throw new IllegalArgumentException("window value " + i + " must be finite, got " + y[i]);
      }
    }

    // 2. One backtest: forecasts at origins [first, n]; step k is calibrated on the C latest
    //    origins o with target o + k - 1 <= n - 1, so the earliest wanted is n - horizon - C + 1
    Backtest backtest = model.backtest(y, horizon, firstWantedOrigin(n, horizon, calibrationSize));
    if (backtest.firstOrigin() > n - 1) {
      throw new IllegalStateException(
          family()
              + " backtest of "
              + n
              + " values gave no origin inside the window (first "
              + backtest.firstOrigin()
              + "), breaking the PointModel.minHistory contract");
    }
    return intervals(y, backtest, horizon, coverage, calibrationSize);
  }

  /**
   * The earliest backtest origin the intervals use: {@code max(0, n - horizon - C + 1)}.
   *
   * @param n the window length
   * @param horizon the forecast horizon
   * @param calibrationSize C
   */
  public static int firstWantedOrigin(int n, int horizon, int calibrationSize) {
    return Math.max(0, n - horizon - calibrationSize + 1);
  }

  /**
   * The split-conformal forecast from a backtest made elsewhere: what {@link #forecast} does after
   * its backtest. A model that forecasts several series in one call (a multivariate model over the
   * channels of a source) backtests them together and calls this once per series.
   *
   * @param y the series, finite; shape (n); not null
   * @param backtest forecasts of {@code y} at origins from at most {@code n - 1} (ideally {@link
   *     #firstWantedOrigin}) to n, each of at least {@code horizon} steps; not null
   * @param horizon steps, positive
   * @param coverage nominal coverage, in (0, 1)
   * @param calibrationSize C, at least 1
   * @return the mean at origin n with its intervals
   * @throws IllegalArgumentException when the backtest does not end at origin n or has no origin
   *     inside the window
   */
  public static ForecastResult intervals(
      double[] y, Backtest backtest, int horizon, double coverage, int calibrationSize) {
    int n = y.length;
    int first = backtest.firstOrigin();
    if (backtest.lastOrigin() != n || first > n - 1) {
      throw new IllegalArgumentException(
          "a backtest of a window of "
              + n
              + " values must span origins [<= "
              + (n - 1)
              + ", "
              + n
              + "], got ["
              + first
              + ", "
              + backtest.lastOrigin()
              + "]");
    }
    // 1. The scale of the series sets the floor of the half-width; the mean is the last row
    double scale = 0;
    for (int i = 0; i < n; i++) {
      scale = Math.max(scale, Math.abs(y[i]));
    }
    double floor = RELATIVE_FLOOR * (1 + scale);
    double[] mean = Arrays.copyOf(backtest.at(n), horizon);

    // 2. Per step k: absolute residuals |y[o + k - 1] - yhat[o + k - 1 | o]| and their quantile
    double[] halfWidth = new double[horizon]; // (horizon)
    double[] residuals = new double[Math.min(calibrationSize, n)]; // (C) work space
    int lastCalibrated = 0; // K, the last step with residuals (1-based); 0 when none
    for (int k = 1; k <= horizon; k++) {
      int lo = Math.max(first, n - k - calibrationSize + 1);
      int hi = n - k;
      int count = hi - lo + 1;
      if (count < 1) {
        break; // the steps from here on have no target inside the window
      }
      for (int origin = lo; origin <= hi; origin++) {
        residuals[origin - lo] = Math.abs(y[origin + k - 1] - backtest.at(origin)[k - 1]);
      }
      halfWidth[k - 1] = conformalQuantile(residuals, count, coverage);
      lastCalibrated = k;
    }

    // 3. Steps without residuals (start-up only): random-walk growth from the last calibrated step
    for (int k = lastCalibrated + 1; k <= horizon; k++) {
      halfWidth[k - 1] = halfWidth[lastCalibrated - 1] * Math.sqrt((double) k / lastCalibrated);
    }

    // 4. Floor the half-widths and form mean -/+ half-width
    double[] lower = new double[horizon]; // (horizon)
    double[] upper = new double[horizon]; // (horizon)
    for (int k = 0; k < horizon; k++) {
      double w = Math.max(halfWidth[k], floor);
      lower[k] = mean[k] - w;
      upper[k] = mean[k] + w;
    }
    return new ForecastResult(mean, lower, upper, coverage);
  }

  /**
   * The split-conformal quantile: the {@code ceil((count + 1) * coverage)}-th smallest of the first
   * {@code count} residuals, or the largest when that rank exceeds {@code count} (where the exact
   * quantile would be infinite; see the class comment). Reorders that prefix of the array.
   *
   * @param residuals absolute residuals; shape (at least count); not null
   * @param count n, how many leading residuals to use, at least 1
   * @param coverage {@code 1 - alpha}, in (0, 1)
   * @return the half-width
   * @throws IllegalArgumentException when {@code count} is not in {@code [1, residuals.length]}
   */
  public static double conformalQuantile(double[] residuals, int count, double coverage) {
    if (count < 1 || count > residuals.length) {
      throw new IllegalArgumentException(
          "count must be in [1, " + residuals.length + "], got " + count);
    }
    int rank = (int) Math.ceil((count + 1) * coverage - RANK_EPSILON);
    // (count + 1)(1 - alpha) > count: the finite-sample quantile is +infinity; use the maximum
    rank = Math.min(Math.max(rank, 1), count);
    return select(residuals, count, rank - 1);
  }

  /**
   * The {@code k}-th smallest (0-based) of {@code a[0..n)}, by Hoare's FIND as written by Wirth
   * (Algorithms + Data Structures = Programs, 1976, 2.3.4): expected O(n), against a sort's O(n log
   * n) (the reference it is tested against). Reorders {@code a[0..n)}; the values must not be NaN.
   *
   * @param a values; shape (at least n)
   */
  static double select(double[] a, int n, int k) {
    int lo = 0;
    int hi = n - 1;
    while (lo < hi) {
      // partition [lo, hi] around a[k]: left part <= pivot <= right part
      double pivot = a[k];
      int i = lo;
      int j = hi;
      do {
        while (a[i] < pivot) {
          i++;
        }
        while (pivot < a[j]) {
          j--;
        }
        if (i <= j) {
          double swap = a[i];
          a[i] = a[j];
          a[j] = swap;
          i++;
          j--;
        }
      } while (i <= j);
      // keep the part that holds position k
      if (j < k) {
        lo = i;
      }
      if (k < i) {
        hi = j;
      }
    }
    return a[k];
  }

  @Override
  public String toString() {
    return "SplitConformal[model="
        + model
        + ", coverage="
        + coverage
        + ", C="
        + calibrationSize
        + "]";
  }
}

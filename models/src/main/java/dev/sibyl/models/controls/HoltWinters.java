package dev.sibyl.models.controls;

import dev.sibyl.models.api.Backtest;
import dev.sibyl.models.api.PointModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Additive Holt-Winters exponential smoothing, with an optionally damped trend, re-run over each
 * window it is given.
 *
 * <p>Method: Holt (1957), Winters (1960); the recursions and the forecast function are those of
 * Hyndman &amp; Athanasopoulos, Forecasting: Principles and Practice (3rd ed.), sections 8.2
 * (damped trend) and 8.3 (additive seasonality), with their {@code beta*} written {@code beta}:
 *
 * <pre>
 *   yhat[t]  = l[t-1] + phi b[t-1] + s[t-m]                       (one-step forecast)
 *   l[t]     = alpha (y[t] - s[t-m]) + (1 - alpha)(l[t-1] + phi b[t-1])
 *   b[t]     = beta (l[t] - l[t-1]) + (1 - beta) phi b[t-1]
 *   s[t]     = gamma (y[t] - l[t-1] - phi b[t-1]) + (1 - gamma) s[t-m]
 *   yhat[T+k|T] = l[T] + (phi + phi^2 + ... + phi^k) b[T] + s[T + k - m ceil(k/m)]
 * </pre>
 *
 * <p>The code runs the same recursions in their error-correction form (FPP3 8.5, ETS(A,Ad,A)),
 * which is algebraically identical and has a shorter dependency chain per step:
 *
 * <pre>
 *   e[t] = y[t] - yhat[t];  l[t] = l[t-1] + phi b[t-1] + alpha e[t]
 *   b[t] = phi b[t-1] + alpha beta e[t];  s[t] = s[t-m] + gamma e[t]
 * </pre>
 *
 * <p>Where this departs from the references, and the choices they leave open:
 *
 * <ul>
 *   <li>Initial states come from the first two seasons, the classical textbook start (a simpler
 *       cousin of the heuristic of Hyndman et al. 2008, section 2.6.1), not from likelihood
 *       optimisation as in {@code ets}: level and trend from the two season means, seasonal indices
 *       from the detrended values averaged over the two seasons and centred to sum to zero. The
 *       states are those at time -1 and the filter runs from the first value, so forecasts at
 *       origins before {@code 2m} would look ahead; the backtest starts at origin {@code 2m}.
 *   <li>The smoothing parameters are not optimised continuously: each one is either fixed or picked
 *       from a small grid (7 alphas x 4 betas x 5 gammas less those with {@code gamma > 1 - alpha},
 *       which FPP3 8.3 excludes: 128 points; 28 for Holt) minimising the one-step-ahead squared
 *       error. The search runs the filters of all candidates side by side in one pass over the
 *       data: at each time step, an inner loop over the candidates (independent filters whose
 *       states sit in arrays, so the CPU overlaps them rather than waiting on one filter's
 *       dependency chain). Each candidate's sum is computed by the same operations in the same
 *       order as by a filter run alone, so the choice is that of an exhaustive search. In {@link #backtest} the grid is scored on the training split
 *       {@code values[0..firstOrigin)} so that the errors after it stay out of sample (split
 *       conformal needs that); when that split holds fewer than {@value #MIN_SELECTION_ERRORS}
 *       scored values (start-up), the whole window is scored instead. Ties keep the earlier grid
 *       point (smaller alpha, then beta, then gamma).
 *   <li>Windows of at most two seasons ({@code n <= 2m}), and {@code m = 1}, use Holt's linear
 *       trend (FPP3 8.2): no seasonal component, {@code l[1] = y[1], b[1] = y[1] - y[0]}, filter
 *       from t = 2. Two seasons initialise the seasonal states; one more value is needed so that a
 *       backtest has an origin inside the window.
 *   <li>The damping {@code phi} is fixed (default 1: no damping), never searched.
 * </ul>
 *
 * <p>Hyperparameters ({@link Builder}) are immutable; the per-window state (level, trend, seasonal
 * indices) lives in locals of each call, so the class is thread-safe.
 */
public final class HoltWinters implements PointModel {

  /** The family name under which the registry creates this model. */
  public static final String FAMILY = "holt-winters";

  /** Code version; parameters are re-estimated on every call, nothing is persisted. */
  public static final String VERSION = "1";

  /** Default season length m in steps. */
  public static final int DEFAULT_SEASON_LENGTH = 24;

  /** Default damping phi: 1, an undamped trend. */
  public static final double DEFAULT_DAMPING = 1.0;

  /** Grid of level smoothing parameters searched when alpha is not fixed. */
  static final double[] ALPHA_GRID = {0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9};

  /** Grid of trend smoothing parameters searched when beta is not fixed. */
  static final double[] BETA_GRID = {0.0, 0.02, 0.1, 0.3};

  /** Grid of seasonal smoothing parameters searched when gamma is not fixed. */
  static final double[] GAMMA_GRID = {0.0, 0.05, 0.1, 0.2, 0.4};

  /** Fewest scored one-step errors in the training split before the grid is scored on it. */
  static final int MIN_SELECTION_ERRORS = 10;

  /**
   * Smoothing parameters of one run.
   *
   * @param alpha level smoothing in (0, 1]
   * @param beta trend smoothing (FPP3's beta*) in [0, 1]
   * @param gamma seasonal smoothing in [0, 1]; 0 for Holt's linear trend
   */
  public record Parameters(double alpha, double beta, double gamma) {}

  /**
   * The grid of one mode, with its parameters laid out by candidate for {@link #gridSseKernel}.
   * Never mutated after construction.
   *
   * @param candidates the grid points in search order; shape (candidates)
   * @param alpha their alphas; shape (candidates)
   * @param alphaBeta their {@code alpha * beta} (FPP3's beta); shape (candidates)
   * @param gamma their gammas; shape (candidates)
   */
  private record Grid(Parameters[] candidates, double[] alpha, double[] alphaBeta, double[] gamma) {

    static Grid of(Parameters[] candidates) {
      int count = candidates.length;
      double[] alpha = new double[count];
      double[] alphaBeta = new double[count];
      double[] gamma = new double[count];
      for (int c = 0; c < count; c++) {
        alpha[c] = candidates[c].alpha();
        alphaBeta[c] = candidates[c].alpha() * candidates[c].beta();
        gamma[c] = candidates[c].gamma();
      }
      return new Grid(candidates, alpha, alphaBeta, gamma);
    }
  }

  private final int seasonLength;
  private final double damping;
  private final Parameters[] seasonalCandidates; // (candidates); one when all three are fixed
  private final Grid seasonalGrid;
  private final Grid holtGrid; // gamma = 0

  private HoltWinters(Builder b) {
    this.seasonLength = b.seasonLength;
    this.damping = b.damping;
    double[] alphas = b.alpha == null ? ALPHA_GRID : new double[] {b.alpha};
    double[] betas = b.beta == null ? BETA_GRID : new double[] {b.beta};
    double[] gammas = b.gamma == null ? GAMMA_GRID : new double[] {b.gamma};
    this.seasonalCandidates = grid(alphas, betas, gammas, b.gamma == null);
    this.seasonalGrid = Grid.of(seasonalCandidates);
    this.holtGrid = Grid.of(grid(alphas, betas, new double[] {0.0}, false));
  }

  /**
   * The grid in search order (alpha, then beta, then gamma ascending).
   *
   * @param limitGamma whether to keep {@code gamma <= 1 - alpha} (FPP3 8.3), for a searched gamma
   */
  private static Parameters[] grid(
      double[] alphas, double[] betas, double[] gammas, boolean limitGamma) {
    List<Parameters> grid = new ArrayList<>();
    for (double alpha : alphas) {
      for (double beta : betas) {
        for (double gamma : gammas) {
          if (!limitGamma || gamma <= 1 - alpha) {
            grid.add(new Parameters(alpha, beta, gamma));
          }
        }
      }
    }
    return grid.toArray(new Parameters[0]);
  }

  /** A builder with the defaults: m = 24, phi = 1, alpha, beta and gamma chosen per call. */
  public static Builder builder() {
    return new Builder();
  }

  /** The season length m in steps. */
  public int seasonLength() {
    return seasonLength;
  }

  /** The trend damping phi in (0, 1]. */
  public double damping() {
    return damping;
  }

  @Override
  public String family() {
    return FAMILY;
  }

  @Override
  public String version() {
    return VERSION;
  }

  /**
   * Two values, for Holt's linear trend. The seasonal model takes over once the window holds more
   * than {@code 2m} values.
   */
  @Override
  public int minHistory() {
    return 2;
  }

  /**
   * {@inheritDoc} Parameters are chosen on the whole window.
   *
   * @throws NullPointerException when {@code values} is null
   * @throws IllegalArgumentException when fewer than 2 values are given or the horizon is not
   *     positive
   */
  @Override
  public double[] forecast(double[] values, int horizon) {
    Objects.requireNonNull(values, "values must not be null");
    Backtest backtest = backtest(values, horizon, values.length);
    return backtest.at(values.length);
  }

  /**
   * The smoothing parameters {@link #forecast} would use for these values: the fixed ones, and the
   * best grid point for the others.
   *
   * @param values the series, oldest first; shape (n), {@code n >= 2}; not null
   * @return the parameters; gamma is 0 when the window is too short for the seasonal model
   * @throws NullPointerException when {@code values} is null
   * @throws IllegalArgumentException when fewer than 2 values are given
   */
  public Parameters chooseParameters(double[] values) {
    Objects.requireNonNull(values, "values must not be null");
    int n = PointModel.checkArguments(this, values, 1, values.length);
    Init init = initialise(values);
    return select(values, init, n);
  }

  /**
   * {@inheritDoc} One pass after the grid search: O(grid * firstOrigin + (n - firstOrigin) *
   * horizon). The earliest origin is {@code 2m} for the seasonal model and 2 for Holt's.
   *
   * @throws NullPointerException when {@code values} is null
   * @throws IllegalArgumentException when fewer than 2 values are given, the horizon is not
   *     positive or {@code firstOrigin} is outside {@code [0, n]}
   */
  @Override
  public Backtest backtest(double[] values, int horizon, int firstOrigin) {
    // 1. Check the arguments; initial states from the first two seasons (or Holt's from two values)
    int n = PointModel.checkArguments(this, values, horizon, firstOrigin);
    Init init = initialise(values);
    int p = init.season.length; // period of the seasonal states: m, or 1 for Holt
    double[] s = new double[p]; // (p) seasonal index of each phase, slot t mod p

    // 2. Origins: none before the earliest look-ahead-free one
    int first = Math.max(firstOrigin, init.earliestOrigin);

    // 3. Smoothing parameters: fixed, or the grid point with least one-step SSE on values[0..first)
    int selectionEnd = first - init.start >= MIN_SELECTION_ERRORS ? first : n;
    Parameters params = select(values, init, selectionEnd);
    double alpha = params.alpha();
    double beta = params.beta();
    double gamma = params.gamma();
    double phi = damping;
    double alphaBeta = alpha * beta; // FPP3's beta = alpha beta*

    // 4. Damped trend multipliers: dampSum[k - 1] = phi + phi^2 + ... + phi^k; shape (horizon)
    double[] dampSum = new double[horizon];
    double power = 1;
    double sum = 0;
    for (int k = 1; k <= horizon; k++) {
      power *= phi;
      sum += power;
      dampSum[k - 1] = sum;
    }

    // 5. Filter from t = start; after y[o - 1] the state gives the forecast at origin o
    double[][] forecasts = new double[n + 1 - first][horizon]; // (origins, horizon)
    System.arraycopy(init.season, 0, s, 0, p);
    double level = init.level;
    double trend = init.trend;
    int slot = init.start % p; // seasonal slot of time t (= origin o)
    for (int origin = init.start; ; origin++) {
      // 5a. Record yhat[o - 1 + k | o - 1] = l + dampSum[k] b + s[slot of o - 1 + k]
      if (origin >= first) {
        double[] row = forecasts[origin - first];
        int j = slot;
        for (int k = 0; k < horizon; k++) {
          row[k] = level + dampSum[k] * trend + s[j];
          if (++j == p) {
            j = 0;
          }
        }
      }
      if (origin == n) {
        break;
      }
      // 5b. Update level, trend and seasonal index with y[t], t = origin (error-correction form)
      double damped = phi * trend;
      double predicted = level + damped; // yhat[t] without its seasonal index
      double err = (values[origin] - s[slot]) - predicted; // e[t]
      level = predicted + alpha * err;
      trend = damped + alphaBeta * err;
      s[slot] += gamma * err;
      if (++slot == p) {
        slot = 0;
      }
    }
    return new Backtest(first, forecasts);
  }

  /**
   * Initial states of the filter.
   *
   * @param level level at time {@code start - 1}
   * @param trend trend at time {@code start - 1}
   * @param season seasonal indices by phase {@code t mod p}; shape (p), p = m or 1 (Holt, zero)
   * @param start first time the filter processes
   * @param earliestOrigin first origin whose forecast uses no value at or after it
   */
  private record Init(double level, double trend, double[] season, int start, int earliestOrigin) {}

  /** Initial states: classical two-season start when n > 2m, else Holt's linear trend. */
  private Init initialise(double[] y) {
    int m = seasonLength;
    int n = y.length;
    if (m < 2 || n <= 2 * m) {
      // Holt: l[1] = y[1], b[1] = y[1] - y[0], no seasonality (FPP3 8.2)
      return new Init(y[1], y[1] - y[0], new double[1], 2, 2);
    }
    // a1, a2: means of the first two seasons; the trend joins them, m steps apart
    double a1 = 0;
    double a2 = 0;
    for (int i = 0; i < m; i++) {
      a1 += y[i];
      a2 += y[m + i];
    }
    a1 /= m;
    a2 /= m;
    double trend = (a2 - a1) / m;
    // a1 is the level at the middle of season one, time (m - 1) / 2; step back to time -1
    double centre = (m - 1) / 2.0;
    double level = a1 - trend * (centre + 1);
    // seasonal index of phase i: the two detrended values averaged, then centred to sum 0
    double[] season = new double[m]; // (m)
    double mean = 0;
    for (int i = 0; i < m; i++) {
      double line = a1 + trend * (i - centre);
      season[i] = 0.5 * ((y[i] - line) + (y[m + i] - (line + trend * m)));
      mean += season[i];
    }
    mean /= m;
    for (int i = 0; i < m; i++) {
      season[i] -= mean;
    }
    return new Init(level, trend, season, 0, 2 * m);
  }

  /**
   * Grid search: the candidate with least one-step-ahead SSE over {@code [init.start, end)}; ties
   * keep the earlier grid point.
   */
  private Parameters select(double[] y, Init init, int end) {
    Grid grid = init.season.length > 1 ? seasonalGrid : holtGrid;
    Parameters[] candidates = grid.candidates();
    if (candidates.length == 1) {
      return candidates[0];
    }
    double[] sse = gridSseKernel(y, init, end, grid, damping);
    int best = 0;
    for (int c = 1; c < candidates.length; c++) {
      if (sse[c] < sse[best]) {
        best = c;
      }
    }
    return candidates[best];
  }

  /**
   * The one-step SSE of every grid candidate for the window's seasonal (or Holt) mode, in grid
   * order: by the optimised kernel, or by the scalar reference. For tests, which check that the
   * two agree.
   *
   * @return shape (candidates)
   */
  double[] gridSse(double[] values, boolean reference) {
    Init init = initialise(values);
    Grid grid = init.season.length > 1 ? seasonalGrid : holtGrid;
    if (!reference) {
      return gridSseKernel(values, init, values.length, grid, damping);
    }
    double[] out = new double[grid.candidates().length];
    for (int c = 0; c < out.length; c++) {
      out[c] = oneStepSse(values, init, values.length, grid.candidates()[c], damping, new double[init.season.length]);
    }
    return out;
  }

  /**
   * Reference kernel: the sum of squared one-step-ahead errors of one candidate over {@code
   * [init.start, end)}, the recursions of {@link #backtest} step 5b.
   *
   * @param s seasonal work space, overwritten; shape (p)
   */
  private static double oneStepSse(
      double[] y, Init init, int end, Parameters params, double phi, double[] s) {
    int p = s.length;
    System.arraycopy(init.season, 0, s, 0, p);
    double alpha = params.alpha();
    double alphaBeta = params.alpha() * params.beta();
    double gamma = params.gamma();
    double level = init.level;
    double trend = init.trend;
    double sse = 0;
    int slot = init.start % p;
    for (int t = init.start; t < end; t++) {
      double damped = phi * trend;
      double predicted = level + damped;
      double err = (y[t] - s[slot]) - predicted;
      sse += err * err;
      level = predicted + alpha * err;
      trend = damped + alphaBeta * err;
      s[slot] += gamma * err;
      if (++slot == p) {
        slot = 0;
      }
    }
    return sse;
  }

  /**
   * Optimised kernel (reference: {@link #oneStepSse}): the one-step SSE of every candidate of a
   * grid over {@code [init.start, end)}, all filters advanced together one time step at a time.
   * The inner loop runs over candidates, whose filters are independent, so consecutive iterations
   * overlap in the CPU instead of waiting on one filter's chain of dependent operations; each
   * candidate still sees exactly the operations of the reference, in the same order.
   *
   * @return the sums; shape (candidates)
   */
  private static double[] gridSseKernel(double[] y, Init init, int end, Grid grid, double phi) {
    // 1. Every candidate starts from the initial states
    double[] alpha = grid.alpha();
    double[] alphaBeta = grid.alphaBeta();
    double[] gamma = grid.gamma();
    int count = alpha.length;
    int p = init.season.length;
    double[][] s = new double[p][count]; // (p, candidates) seasonal index of each phase
    for (int j = 0; j < p; j++) {
      Arrays.fill(s[j], init.season[j]);
    }
    double[] level = new double[count]; // (candidates)
    double[] trend = new double[count]; // (candidates)
    double[] sse = new double[count]; // (candidates)
    Arrays.fill(level, init.level);
    Arrays.fill(trend, init.trend);

    // 2. The filter of backtest step 5b, every candidate per time step
    int slot = init.start % p;
    for (int t = init.start; t < end; t++) {
      double yt = y[t];
      double[] season = s[slot]; // (candidates) s[t - m] of each candidate
      for (int c = 0; c < count; c++) {
        double damped = phi * trend[c];
        double predicted = level[c] + damped;
        double err = (yt - season[c]) - predicted;
        sse[c] += err * err;
        level[c] = predicted + alpha[c] * err;
        trend[c] = damped + alphaBeta[c] * err;
        season[c] += gamma[c] * err;
      }
      if (++slot == p) {
        slot = 0;
      }
    }
    return sse;
  }

  @Override
  public String toString() {
    return "HoltWinters[m="
        + seasonLength
        + ", phi="
        + damping
        + ", candidates="
        + seasonalCandidates.length
        + (seasonalCandidates.length == 1 ? ", " + seasonalCandidates[0] : "")
        + "]";
  }

  /**
   * Builds a {@link HoltWinters}. Every setting is optional; an unset smoothing parameter is chosen
   * per call by grid search. Not thread-safe; {@link #build()} validates.
   */
  public static final class Builder {
    private int seasonLength = DEFAULT_SEASON_LENGTH;
    private double damping = DEFAULT_DAMPING;
    private Double alpha; // null: grid search
    private Double beta; // null: grid search
    private Double gamma; // null: grid search

    private Builder() {}

    /**
     * Sets the season length m (default 24); 1 means no seasonality (Holt's linear trend).
     *
     * @param seasonLength steps per season, at least 1
     * @return this builder
     */
    public Builder optSeasonLength(int seasonLength) {
      this.seasonLength = seasonLength;
      return this;
    }

    /**
     * Fixes the level smoothing parameter alpha instead of searching it.
     *
     * @param alpha in (0, 1]
     * @return this builder
     */
    public Builder optAlpha(double alpha) {
      this.alpha = alpha;
      return this;
    }

    /**
     * Fixes the trend smoothing parameter beta (FPP3's beta*) instead of searching it.
     *
     * @param beta in [0, 1]
     * @return this builder
     */
    public Builder optBeta(double beta) {
      this.beta = beta;
      return this;
    }

    /**
     * Fixes the seasonal smoothing parameter gamma instead of searching it. A fixed gamma is used
     * as given; only the grid keeps {@code gamma <= 1 - alpha}.
     *
     * @param gamma in [0, 1]
     * @return this builder
     */
    public Builder optGamma(double gamma) {
      this.gamma = gamma;
      return this;
    }

    /**
     * Sets the trend damping phi (default 1, undamped).
     *
     * @param damping in (0, 1]
     * @return this builder
     */
    public Builder optDamping(double damping) {
      this.damping = damping;
      return this;
    }

    /**
     * Validates the settings and builds the model.
     *
     * @return the model
     * @throws IllegalArgumentException naming the first setting out of range, its value and range
     */
    public HoltWinters build() {
      sanityCheck();
      return new HoltWinters(this);
    }

    private void sanityCheck() {
      if (seasonLength < 1) {
        throw new IllegalArgumentException("seasonLength must be >= 1, got " + seasonLength);
      }
      if (alpha != null && !(alpha > 0 && alpha <= 1)) {
        throw new IllegalArgumentException("alpha must be in (0, 1], got " + alpha);
      }
      if (beta != null && !(beta >= 0 && beta <= 1)) {
        throw new IllegalArgumentException("beta must be in [0, 1], got " + beta);
      }
      if (gamma != null && !(gamma >= 0 && gamma <= 1)) {
        throw new IllegalArgumentException("gamma must be in [0, 1], got " + gamma);
      }
      if (!(damping > 0 && damping <= 1)) {
        throw new IllegalArgumentException("damping must be in (0, 1], got " + damping);
      }
    }
  }
}

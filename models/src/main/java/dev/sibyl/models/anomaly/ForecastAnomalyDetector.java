package dev.sibyl.models.anomaly;

import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.SeriesWindow;
import java.util.Objects;

/**
 * Flags observations that a forecaster did not expect, with per-series calibrated intervals and a
 * likelihood post-processing so that a noisy series does not page all night.
 *
 * <p>Per observation y at time t (of one series, in streaming order):
 *
 * <ol>
 *   <li>Forecast lookup: every {@code cadence} points the forecaster is run on the last {@code
 *       window} observations for the next {@code cadence} steps; y is compared with the forecast
 *       made before it, k steps ahead (k in [0, cadence)).
 *   <li>Calibration (split conformal, Vovk et al. 2005; Lei et al. 2018): the half-width h of step
 *       k is the {@code ceil((n + 1) coverage)}-th smallest of the last n absolute k-step residuals
 *       of this series (a ring of {@code calibrationSize}). The forecaster's own interval is not
 *       used: it is calibrated on its window only, while the ring follows the series over a longer
 *       and fixed horizon. The residual of y joins the ring only after y is scored, so y never
 *       calibrates its own interval.
 *   <li>Raw score, a noisy-OR of four components in [0, 1], so that any one can raise it:
 *       <ul>
 *         <li>spike: {@code 1 - exp(-d)}, d the distance beyond the bound in half-widths (the
 *             streaming pipeline's score);
 *         <li>persistence: {@code (1 - lambda) p} with {@code p = lambda p + 1[outside]}, an
 *             exponentially weighted count of excursions, counted only while outside; a run of
 *             near-misses then scores like one large excursion;
 *         <li>level shift: 1 when a two-sided CUSUM ({@link Cusum}) on the residual standardised
 *             by the ring's RMS raises its alarm: the forecaster adapts to a new level within a few
 *             points, so a shift shows as a short run of same-signed residuals that no single
 *             point reveals;
 *         <li>variance change: {@code max(0, 1 - c / F)} with F the ratio of the short to the long
 *             rolling variance of the standardised residuals and c {@code varianceThreshold}.
 *       </ul>
 *   <li>Score: {@link AnomalyLikelihood} of the raw score (Numenta's method), flagged when the
 *       likelihood is at or above {@code flagThreshold}, and reported through the monotone {@link
 *       #scoreOf} so that thresholds keep their resolution near 1.
 * </ol>
 *
 * <p>Warm-up: until the window reaches the forecaster's minimum history, the step's ring holds
 * {@code minCalibration} residuals and the likelihood has passed its learning period, the output is
 * {@link DetectorOutput#WARM_UP} (score 0, no flag, {@code warmUp} true).
 *
 * <p>Memory per series: O(window + cadence * calibrationSize + varianceLong + likelihoodHistory).
 * Cost per point: one forecast every {@code cadence} points plus a sort of one calibration ring.
 */
public final class ForecastAnomalyDetector
    implements StreamingDetector<ForecastAnomalyDetector.State> {

  /** Name in reports and NAB's results layout. */
  public static final String NAME = "forecast";

  /** Relative floor of the half-width (times 1 + |forecast|), as in {@code SplitConformal}. */
  static final double RELATIVE_FLOOR = 1e-9;

  /** The temper of {@link #scoreOf}: Q = 1e-100 maps to 0.9. */
  static final double SCORE_TEMPER = 100;

  private final Forecaster forecaster;
  private final DetectorConfig config;

  /**
   * A detector.
   *
   * @param forecaster the point forecaster (its intervals are ignored); not null
   * @param config the settings; not null
   * @throws NullPointerException when an argument is null
   * @throws IllegalArgumentException when the window is shorter than the forecaster's minimum
   *     history
   */
  public ForecastAnomalyDetector(Forecaster forecaster, DetectorConfig config) {
    this.forecaster = Objects.requireNonNull(forecaster, "forecaster must not be null");
    this.config = Objects.requireNonNull(config, "config must not be null");
    if (config.window() < forecaster.minHistory()) {
      throw new IllegalArgumentException(
          "window must be >= the forecaster's minHistory=" + forecaster.minHistory() + ", got "
              + config.window());
    }
  }

  /** The settings. */
  public DetectorConfig config() {
    return config;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public State newState() {
    return new State(config);
  }

  @Override
  public DetectorOutput update(State s, long timestamp, double value) {
    Objects.requireNonNull(s, "state must not be null");
    if (!Double.isFinite(value)) {
      return DetectorOutput.WARM_UP;
    }
    DetectorOutput out = DetectorOutput.WARM_UP;
    // 1. Score y against the forecast made before it, k steps ahead
    if (s.pending != null && s.offset < s.pending.length) {
      int k = s.offset++;
      double mean = s.pending[k];
      double residual = value - mean;
      RollingWindow ring = s.calibration[k];
      if (ring.size() >= config.minCalibration()) {
        out = score(s, ring, mean, residual);
      }
      // 2. Only now does the residual join the calibration ring
      ring.add(Math.abs(residual));
    }
    // 3. Append y to the window, and forecast the next cadence steps when due
    s.append(timestamp, value);
    if (s.size >= forecaster.minHistory() && (s.pending == null || s.offset >= s.pending.length)) {
      s.pending = forecaster.forecast(s.window(), config.cadence()).mean();
      s.offset = 0;
    }
    return out;
  }

  private DetectorOutput score(State s, RollingWindow ring, double mean, double residual) {
    // half-width: the conformal quantile, floored so an exactly fitted series keeps a width
    double floor = RELATIVE_FLOOR * (1 + Math.abs(mean));
    double h = Math.max(ring.conformalQuantile(config.coverage()), floor);
    double excess = Math.abs(residual) - h;
    boolean outside = excess > 0;
    // spike: distance beyond the bound in half-widths
    double spike = outside ? 1 - Math.exp(-excess / h) : 0;
    // persistence: exponentially weighted count of excursions, normalised to [0, 1]
    double lambda = config.persistenceDecay();
    s.persistence = lambda * s.persistence + (outside ? 1 : 0);
    double persistence = outside ? (1 - lambda) * s.persistence : 0;
    // level shift: CUSUM on the residual over the ring's RMS
    double sigma = Math.max(Math.sqrt(ring.meanSquare()), floor);
    double z = residual / sigma;
    boolean shift = s.cusum.update(z);
    // variance change: short over long variance of the standardised residuals
    s.shortVariance.add(z);
    s.longVariance.add(z);
    double ratio = 0;
    if (s.longVariance.size() >= 2 * config.varianceShort()) {
      ratio = s.shortVariance.variance() / Math.max(s.longVariance.variance(), 1e-12);
    }
    double variance = ratio > config.varianceThreshold() ? 1 - config.varianceThreshold() / ratio : 0;
    // noisy-OR of the components
    double raw = 1 - (1 - spike) * (1 - persistence) * (1 - (shift ? 1 : 0)) * (1 - variance);
    // likelihood post-processing; warm-up while it learns
    double likelihood = s.likelihood.update(raw);
    if (s.likelihood.learning()) {
      return DetectorOutput.WARM_UP;
    }
    double logTail = s.likelihood.lastLogTail();
    boolean flag = logTail <= Math.log1p(-config.flagThreshold());
    return new DetectorOutput(scoreOf(logTail), raw, likelihood, flag, false, shift, ratio);
  }

  /**
   * The reported score for a likelihood {@code 1 - Q}: {@code 1 - Q^(1/SCORE_TEMPER)}. It is
   * monotone in the likelihood, so any threshold on one is a threshold on the other, but it keeps
   * distinct values where {@code 1 - Q} rounds to 1 (Q below 1e-16, common during real anomalies),
   * which a threshold sweep such as NAB's needs. Numenta's NAB detector uses a log transform for
   * the same reason ({@code log(1.0000000001 - L) / log(1e-10)}), which saturates at Q = 1e-10.
   *
   * @param logTail the natural log of Q, at most 0
   * @return the score in [0, 1]
   */
  public static double scoreOf(double logTail) {
    return -Math.expm1(logTail / SCORE_TEMPER);
  }

  /**
   * One series' mutable history; created by {@link #newState()}, owned by the caller, not
   * thread-safe.
   */
  public static final class State {
    /** Observation times, a ring oldest-first from {@code head}; shape (window). */
    private final long[] times;
    /** Observed values, aligned with {@code times}; shape (window). */
    private final double[] values;

    private int head;
    private int size;
    private long step;
    /** Forecast means of the next cadence steps; shape (cadence); null before the first. */
    private double[] pending;
    /** Next step of {@code pending} to consume. */
    private int offset;
    /** Absolute k-step residuals, one ring per step k; shape (cadence)(calibrationSize). */
    private final RollingWindow[] calibration;

    private double persistence;
    private final Cusum cusum;
    private final RollingWindow shortVariance;
    private final RollingWindow longVariance;
    private final AnomalyLikelihood likelihood;

    State(DetectorConfig c) {
      times = new long[c.window()];
      values = new double[c.window()];
      calibration = new RollingWindow[c.cadence()];
      for (int k = 0; k < c.cadence(); k++) {
        calibration[k] = new RollingWindow(c.calibrationSize());
      }
      cusum = new Cusum(c.cusumDrift(), c.cusumThreshold());
      shortVariance = new RollingWindow(c.varianceShort());
      longVariance = new RollingWindow(c.varianceLong());
      likelihood =
          new AnomalyLikelihood(
              c.likelihoodShort(),
              c.likelihoodHistory(),
              c.likelihoodLearning(),
              c.likelihoodReestimation());
    }

    private void append(long t, double v) {
      if (size > 0) {
        long last = times[(head + size - 1) % times.length];
        // the nominal step is the first positive gap; forecasters here do not use it
        if (step == 0 && t > last) {
          step = t - last;
        }
      }
      if (size == times.length) {
        times[head] = t;
        values[head] = v;
        head = (head + 1) % times.length;
      } else {
        times[(head + size) % times.length] = t;
        values[(head + size) % times.length] = v;
        size++;
      }
    }

    /** The held observations, oldest first. */
    private SeriesWindow window() {
      long[] t = new long[size];
      double[] v = new double[size];
      for (int i = 0; i < size; i++) {
        t[i] = times[(head + i) % times.length];
        v[i] = values[(head + i) % times.length];
      }
      return new SeriesWindow(t, v, step > 0 ? step : 1);
    }

    /**
     * The forecast the next observation will be scored against, or NaN when none is pending (for
     * coverage diagnostics).
     */
    public double nextForecast() {
      return pending != null && offset < pending.length ? pending[offset] : Double.NaN;
    }

    /** Step (0-based) of the forecast the next observation will be scored against. */
    public int nextStep() {
      return offset;
    }

    /** Absolute residuals held for step k's calibration (for coverage diagnostics). */
    public int calibrationCount(int k) {
      return calibration[k].size();
    }

    /**
     * The current half-width for step k at the given coverage, or NaN before any residual.
     *
     * @param k the step, in [0, cadence)
     * @param coverage nominal coverage in (0, 1)
     */
    public double halfWidth(int k, double coverage) {
      return calibration[k].size() == 0 ? Double.NaN : calibration[k].conformalQuantile(coverage);
    }
  }
}

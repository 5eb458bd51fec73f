package dev.sibyl.streams.core;

import dev.sibyl.models.api.ForecastResult;
import java.util.Arrays;

/**
 * Online conformal half-widths of one series' forecasts, one per horizon step, kept in the series
 * state so that an interval costs no backtest: the keyed (KV-cache) path's intervals.
 *
 * <p>Method: quantile tracking, the "P" part of conformal PID control (Angelopoulos, Candès and
 * Tibshirani, "Conformal PID Control for Time Series Prediction", NeurIPS 2023), itself the
 * quantile form of adaptive conformal inference (Gibbs and Candès, "Adaptive Conformal Inference
 * Under Distribution Shift", NeurIPS 2021): after each observation that a forecast covered at step
 * k, {@code q_k <- q_k + eta (err - alpha)}, err = 1 when the observation fell outside the published
 * interval. Whatever the series does, the long-run miss rate of the published intervals tends to
 * alpha (their Proposition 1: it is within {@code (B + eta) / (eta T)} of alpha after T
 * observations, B a bound on the scores).
 *
 * <p>Where this departs from the papers:
 *
 * <ul>
 *   <li><b>Log scale.</b> The update runs on {@code log q_k} ({@code q_k <- q_k exp(gamma (err -
 *       alpha))}): the score log|e| is a monotone transform of |e|, so err and the guarantee are
 *       unchanged, and gamma needs no unit, whatever the series' scale. The factor is kept within
 *       {@code [1e-4, 1e4]} of the seed, which bounds the scores as the guarantee needs.
 *   <li><b>Seed.</b> The half-widths start from the split-conformal backtest of the series' window,
 *       not from zero, so that the first intervals are calibrated rather than learnt over the first
 *       hundreds of points. The first forecast of a series comes as soon as its window holds the
 *       model's minimum, when the backtest has a single residual per step; the seed is therefore
 *       taken again at each forecast until the window holds every calibration residual (see
 *       {@code KeyedSeriesOperator}), and once more after a gap reset.
 *   <li><b>Steps never observed.</b> Each observation is checked against the series' latest
 *       forecast only (as the anomaly flags are), so with a cadence c the steps from c on are never
 *       realised. Those steps keep the seed's growth with the horizon, scaled by the factor that the
 *       furthest step realised so far has learnt: an update of that step multiplies every later one
 *       too. Why not keep the older forecasts to realise every step: that is horizon / cadence
 *       forecasts per series (quadratic in the horizon at cadence 1), where this is O(horizon).
 * </ul>
 *
 * <p>Mutable; part of {@link SeriesState}, persisted by {@link SeriesStateCodec}.
 */
public final class OnlineIntervals {

  /** The factor a half-width may reach from its seed, either way. */
  static final double MAX_FACTOR = 1e4;

  private final double coverage;
  private final double[] halfWidths; // (horizon), current q_k on the data's scale
  private final double[] seeds; // (horizon), q_k when seeded: the bounds of the factor
  private final int seedWindow; // the length of the window the seed's backtest ran on
  private int furthest; // the furthest step realised so far (0-based), -1 before the first

  private OnlineIntervals(double coverage, double[] halfWidths, double[] seeds, int seedWindow, int furthest) {
    this.coverage = coverage;
    this.halfWidths = halfWidths;
    this.seeds = seeds;
    this.seedWindow = seedWindow;
    this.furthest = furthest;
  }

  /**
   * Half-widths seeded from a forecast with calibrated intervals (split-conformal).
   *
   * @param seed the forecast; its half-width at step k is {@code (upper - lower) / 2}, raised to
   *     {@code 1e-9 (1 + |mean|)} so that the multiplicative updates can move it
   * @param seedWindow the length of the window it was made from, positive
   * @return the state; nothing realised yet
   */
  public static OnlineIntervals seed(ForecastResult seed, int seedWindow) {
    int horizon = seed.horizon();
    double[] q = new double[horizon];
    for (int k = 0; k < horizon; k++) {
      q[k] = Math.max((seed.upper()[k] - seed.lower()[k]) / 2, 1e-9 * (1 + Math.abs(seed.mean()[k])));
    }
    if (seedWindow < 1) {
      throw new IllegalArgumentException("seedWindow must be positive, got " + seedWindow);
    }
    return new OnlineIntervals(seed.coverage(), q, q.clone(), seedWindow, -1);
  }

  /**
   * Restores a state (the codec's view).
   *
   * @param coverage nominal coverage, in (0, 1)
   * @param halfWidths current half-widths, positive; shape (horizon)
   * @param seeds seeded half-widths, positive; shape (horizon)
   * @param seedWindow the length of the window the seed came from, positive
   * @param furthest the furthest step realised, in [-1, horizon)
   * @throws IllegalStateException when the values are out of range (a corrupt record)
   */
  public static OnlineIntervals restore(double coverage, double[] halfWidths, double[] seeds, int seedWindow, int furthest) {
    if (!(coverage > 0 && coverage < 1) || halfWidths.length != seeds.length || seedWindow < 1 || furthest < -1
        || furthest >= halfWidths.length) {
      throw new IllegalStateException(
          "online intervals with coverage " + coverage + ", " + halfWidths.length + " half-widths, " + seeds.length
              + " seeds, seed window " + seedWindow + " and furthest step " + furthest + " (corrupt)");
    }
    for (int k = 0; k < halfWidths.length; k++) {
      if (!(halfWidths[k] > 0 && seeds[k] > 0)) {
        throw new IllegalStateException("online interval step " + k + " has half-width " + halfWidths[k] + " and seed " + seeds[k] + " (corrupt)");
      }
    }
    return new OnlineIntervals(coverage, halfWidths.clone(), seeds.clone(), seedWindow, furthest);
  }

  /** The nominal coverage 1 - alpha. */
  public double coverage() {
    return coverage;
  }

  /** The number of steps. */
  public int horizon() {
    return halfWidths.length;
  }

  /** The length of the window whose backtest seeded these half-widths. */
  public int seedWindow() {
    return seedWindow;
  }

  /** The furthest step realised so far (0-based), or -1. */
  public int furthest() {
    return furthest;
  }

  /** The current half-widths; a copy, shape (horizon). */
  public double[] halfWidths() {
    return halfWidths.clone();
  }

  /** The seeded half-widths; a copy, shape (horizon). */
  public double[] seeds() {
    return seeds.clone();
  }

  /**
   * Learns from one observation that the latest forecast covered at step k.
   *
   * @param k the step, in [0, horizon)
   * @param outside whether the observation fell outside the published interval
   * @param gamma the step of the update on the log scale, at least 0
   */
  public void observe(int k, boolean outside, double gamma) {
    if (k < 0 || k >= halfWidths.length) {
      throw new IllegalArgumentException("step must be in [0, " + halfWidths.length + "), got " + k);
    }
    double factor = Math.exp(gamma * ((outside ? 1 : 0) - (1 - coverage)));
    // The steps after the furthest one realised hold seed_j * (q_f / seed_f): updating the
    // furthest step (or a new, further one) moves them with it.
    int last = k >= furthest ? halfWidths.length - 1 : k;
    furthest = Math.max(furthest, k);
    for (int j = k; j <= last; j++) {
      halfWidths[j] = bounded(j, halfWidths[j] * factor);
    }
  }

  private double bounded(int k, double q) {
    return Math.min(Math.max(q, seeds[k] / MAX_FACTOR), seeds[k] * MAX_FACTOR);
  }

  /**
   * A forecast with these intervals: {@code mean -/+ q_k}.
   *
   * @param mean the point forecast; shape (horizon)
   * @return the forecast at this state's coverage
   * @throws IllegalArgumentException when the horizons differ
   */
  public ForecastResult around(double[] mean) {
    if (mean.length != halfWidths.length) {
      throw new IllegalArgumentException("the intervals have " + halfWidths.length + " steps, the forecast " + mean.length);
    }
    double[] lower = new double[mean.length];
    double[] upper = new double[mean.length];
    for (int k = 0; k < mean.length; k++) {
      lower[k] = mean[k] - halfWidths[k];
      upper[k] = mean[k] + halfWidths[k];
    }
    return new ForecastResult(mean.clone(), lower, upper, coverage);
  }

  @Override
  public String toString() {
    return "OnlineIntervals[coverage=" + coverage + ", seedWindow=" + seedWindow + ", furthest=" + furthest + ", q=" + Arrays.toString(halfWidths) + "]";
  }
}

package dev.sibyl.streams.core;

import dev.sibyl.models.anomaly.AnomalyLikelihood;

/**
 * The anomaly score of one series in the pipeline: how far outside its forecast interval an
 * observation falls, how persistent the excursion is, and how surprising that combination is
 * given the series' recent scores. One per series, held in its {@link SeriesState} and persisted
 * with its meta record; O(1) state (four doubles and two counts, 48 bytes).
 *
 * <p>Every observation checked against a forecast (inside the interval or not) goes through {@link
 * #update}, in order:
 *
 * <ol>
 *   <li><b>Excursion.</b> {@code r = 1 - exp(-d)}, d the distance outside the interval in
 *       half-widths, 0 inside (as {@link AnomalyScore#of}).
 *   <li><b>Persistence.</b> {@code p = (1 - a_p) p + a_p r}, an exponentially weighted average of
 *       recent excursions ({@code anomaly.persistence.alpha}). The combined score is the
 *       probabilistic or {@code s = 1 - (1 - r)(1 - p) = r + p - r p}: bounded in [0, 1], never
 *       below the current excursion (so one far-out point scores as before) and higher than it
 *       when the excursion has lasted (a moderate excursion that persists scores above a one-off
 *       of the same size). A plain average (Numenta's short window) would divide a single large
 *       spike by the window length.
 *   <li><b>Likelihood.</b> The tail probability of s among the series' recent scores, {@code P(S
 *       >= s) = q Q((s - m) / sqrt(v))}: q is the exponentially weighted rate at which
 *       observations fell outside the interval (floored at {@value #RATE_FLOOR}), m and v the
 *       exponentially weighted mean and variance of the combined scores of those that did
 *       (floored at {@value AnomalyLikelihood#MEAN_FLOOR} and {@value
 *       AnomalyLikelihood#VARIANCE_FLOOR}, as nupic's anomaly likelihood floors its estimates so
 *       that a series of near-zero scores does not page on the slightest blip), and Q the
 *       one-sided Gaussian tail. The reported score is {@code min(1, log P / log 1e-10)}, nupic's
 *       log-likelihood scale: 0.5 is a tail probability of 1e-5 (nupic's usual 0.99999
 *       likelihood threshold), 1 one of 1e-10 or less. Only then do q, m and v take in the
 *       observation ({@code anomaly.likelihood.alpha}), each with weight {@code max(a_l, 1/n)}
 *       for its n-th sample, so the first samples give plain sample estimates instead of a bias
 *       towards the zero start; m and v by West's update {@code m += a (s - m), v = (1 - a)(v + a
 *       (s - m_old)^2)}.
 * </ol>
 *
 * Why the split into a rate and a conditional distribution: the scores of a calibrated interval
 * are 0 most of the time (95% of points for a 95% interval) and small excursions otherwise. One
 * Gaussian fitted to that mixture has a tiny variance and makes every routine excursion a 4-sigma
 * event, so a noisy series would page all night (a third of the excursions of white noise against
 * its 95% interval crossed 0.5 that way in a simulation); scoring an excursion among the
 * excursions, times how often excursions happen, flags about one in a hundred. A noisy series thus
 * learns its routine excursions and stops flagging them, a quiet one flags its first real
 * excursion, and a level shift that lasts becomes the new normal once q and m have caught up with
 * it (a few multiples of {@code 1 / a_l} points).
 *
 * <p>Paper: Ahmad, Lavin, Purdy &amp; Agha, "Unsupervised real-time anomaly detection for
 * streaming data", Neurocomputing 262, 2017 (section 4.2), as implemented offline by {@link
 * AnomalyLikelihood}. Departures: the distribution of recent scores is held as exponentially
 * weighted moments instead of a Gaussian re-estimated over a rolling window of 8640 scores,
 * because this state is written to a Kafka Streams store on every point and must stay tens of
 * bytes; that distribution is the rate-times-conditional mixture above rather than one Gaussian;
 * the averaged raw score is replaced by the probabilistic or above; the tail is one-sided (an
 * unusually low score is not an anomaly); and there is no learning period of its own, the
 * pipeline's {@code anomaly.warmup-points} plays that part (the scorer is fed from the first
 * forecast on, flags are only raised after the warm-up).
 *
 * <p>Mutable, not thread-safe: owned by the task that owns the series.
 */
public final class ExcursionLikelihood {

  /** Default weight of the newest excursion in the persistence average (a memory of about 10 points). */
  public static final double DEFAULT_PERSISTENCE_ALPHA = 0.1;

  /** Default weight of the newest score in the mean and variance of recent scores (about 100 points). */
  public static final double DEFAULT_LIKELIHOOD_ALPHA = 0.01;

  /**
   * Floor on the rate of excursions: a series that has not left its interval for a long time can
   * still do so, and its first excursion should weigh as a rare event, not an impossible one.
   */
  public static final double RATE_FLOOR = 1e-3;

  /** log(1e-10): the tail probability that the score maps to 1. */
  private static final double LOG_TAIL_OF_SCORE_ONE = Math.log(1e-10);

  private static final double STD_FLOOR = Math.sqrt(AnomalyLikelihood.VARIANCE_FLOOR);

  private double persistence;
  private double outsideRate; // q
  private double mean; // of the combined scores of observations outside the interval
  private double variance;
  private long count; // observations scored
  private long outsideCount; // of which outside the interval
  private double lastLogTail; // of the last update; not persisted (read right after update)

  /** A scorer that has seen nothing. */
  public ExcursionLikelihood() {}

  /**
   * Scores one checked observation and takes it into the state.
   *
   * @param excursion the raw excursion score {@code 1 - exp(-d)}, 0 inside the interval
   * @param persistenceAlpha weight of this excursion in the persistence, in (0, 1]
   * @param likelihoodAlpha weight of this observation in the recent rate, mean and variance, in (0, 1]
   * @return the likelihood-based score in [0, 1]; 0 inside the interval
   */
  public double update(double excursion, double persistenceAlpha, double likelihoodAlpha) {
    persistence += persistenceAlpha * (excursion - persistence);
    boolean outside = excursion > 0;
    double rateBefore = outsideRate; // this observation must not explain itself
    count++;
    outsideRate += Math.max(likelihoodAlpha, 1.0 / count) * ((outside ? 1 : 0) - outsideRate);
    if (!outside) {
      lastLogTail = 0;
      return 0;
    }
    double combined = excursion + persistence - excursion * persistence;
    double std = Math.max(Math.sqrt(variance), STD_FLOOR);
    double logTail =
        Math.log(Math.max(rateBefore, RATE_FLOOR))
            + AnomalyLikelihood.logTail((combined - Math.max(mean, AnomalyLikelihood.MEAN_FLOOR)) / std);
    outsideCount++;
    double a = Math.max(likelihoodAlpha, 1.0 / outsideCount);
    double delta = combined - mean;
    mean += a * delta;
    variance = (1 - a) * (variance + a * delta * delta);
    lastLogTail = logTail;
    return Math.min(1, logTail / LOG_TAIL_OF_SCORE_ONE);
  }

  /** Ends the current run of excursions (after a gap reset the window): persistence back to 0. */
  public void breakRun() {
    persistence = 0;
  }

  /** The persistence: the weighted average of recent excursion scores. */
  public double persistence() {
    return persistence;
  }

  /** The weighted rate of observations outside the interval. */
  public double outsideRate() {
    return outsideRate;
  }

  /** The weighted mean of the combined scores of observations outside the interval. */
  public double mean() {
    return mean;
  }

  /** The weighted variance of the combined scores of observations outside the interval. */
  public double variance() {
    return variance;
  }

  /** Number of observations scored. */
  public long count() {
    return count;
  }

  /** Number of observations scored that were outside the interval. */
  public long outsideCount() {
    return outsideCount;
  }

  /** The base-10 log of the tail probability behind the last update's score (at most 0). */
  public double lastLog10Tail() {
    return lastLogTail / Math.log(10);
  }

  /**
   * Restores a persisted state.
   *
   * @param persistence as {@link #persistence()}
   * @param outsideRate as {@link #outsideRate()}
   * @param mean as {@link #mean()}
   * @param variance as {@link #variance()}
   * @param count as {@link #count()}
   * @param outsideCount as {@link #outsideCount()}
   */
  public void restore(double persistence, double outsideRate, double mean, double variance, long count, long outsideCount) {
    this.persistence = persistence;
    this.outsideRate = outsideRate;
    this.mean = mean;
    this.variance = variance;
    this.count = count;
    this.outsideCount = outsideCount;
  }

  /** Forgets everything, as a new scorer. */
  public void clear() {
    restore(0, 0, 0, 0, 0, 0);
  }
}

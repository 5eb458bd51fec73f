package dev.sibyl.streams.core;

import dev.sibyl.models.anomaly.AnomalyLikelihood;

/**
 * The anomaly score of one series in the pipeline: how far outside its forecast interval an
 * observation falls, how persistent the excursion is, and how surprising both are given the
 * series' recent behaviour. One per series, held in its {@link SeriesState} and persisted with its
 * meta record; O(1) state (four doubles and four counts, 64 bytes).
 *
 * <p>Every observation checked against a forecast (inside the interval or not) goes through {@link
 * #update}. For one outside the interval:
 *
 * <ol>
 *   <li><b>Excursion.</b> {@code r = 1 - exp(-d)}, d the distance outside the interval in
 *       half-widths (as {@link AnomalyScore#of}); its surprise is the one-sided Gaussian tail
 *       {@code Q((r - m) / sqrt(v))}, m and v the exponentially weighted mean and variance of the
 *       excursion scores of the series' earlier observations outside the interval, floored at
 *       {@value AnomalyLikelihood#MEAN_FLOOR} and {@value AnomalyLikelihood#VARIANCE_FLOOR} as
 *       nupic's anomaly likelihood floors its estimates (a series of tiny excursions must not
 *       page on the first ordinary one).
 *   <li><b>Persistence.</b> The run length L: this is the L-th consecutive observation outside
 *       the interval. Excursions are modelled as a two-state Markov chain: q, the weighted rate
 *       of observations outside the interval, and c, the weighted rate at which an observation
 *       outside is followed by another (q until one has been seen), both floored at {@value
 *       #RATE_FLOOR}. A run of L then has probability {@code q c^(L-1)}.
 *   <li><b>Likelihood.</b> The tail probability of a run this long ending in an excursion this
 *       large, {@code P = q c^(L-1) Q((r - m) / sqrt(v))}, reported on nupic's log-likelihood
 *       scale as {@code min(1, log P / log 1e-10)}: 0.5 is a probability of 1e-5 (nupic's usual
 *       0.99999 likelihood threshold), 1 one of 1e-10 or less. An observation inside the interval
 *       scores 0.
 * </ol>
 *
 * Then q, c, m and v take in the observation ({@code anomaly.likelihood.alpha} = a): each with
 * weight {@code max(a, 1/n)} for its n-th sample, so that the first samples give plain sample
 * estimates rather than a bias towards the zero start; m and v by West's update {@code m += w (r -
 * m), v = (1 - w)(v + w (r - m_old)^2)}.
 *
 * <p>Why persistence is a run length in the probability rather than an average of scores: the
 * two then share one unit (probability) and multiply, and the chain learns how often excursions
 * come in runs. A routine excursion of white noise against its 95% interval has q near 0.05 and
 * sizes like its past ones, so it scores low; a level shift makes run after run, each point
 * multiplying P by c, and is flagged within a few points even when no single point is far out;
 * residuals that are autocorrelated raise c, so their runs stop being surprising. Why the sizes
 * are modelled only among the observations outside: the scores of a calibrated interval are 0
 * most of the time, and one Gaussian fitted to all of them has a tiny variance that makes every
 * routine excursion a 4-sigma event (in a simulation, a third of white noise's excursions crossed
 * 0.5 that way). A lasting shift becomes the new normal once q, c and m have caught up with it, a
 * few multiples of {@code 1 / a} points.
 *
 * <p>Paper: Ahmad, Lavin, Purdy &amp; Agha, "Unsupervised real-time anomaly detection for
 * streaming data", Neurocomputing 262, 2017 (section 4.2), as implemented offline by {@link
 * AnomalyLikelihood}. Departures: the distribution of recent behaviour is held as exponentially
 * weighted estimates instead of a Gaussian re-estimated over a rolling window of 8640 scores,
 * because this state is written to a Kafka Streams store on every point and must stay tens of
 * bytes; the short-window average of raw scores (Numenta's persistence) is replaced by the run
 * probability above, which does not divide a single far-out point by the window length; the tail
 * is one-sided (an unusually low score is not an anomaly); and there is no learning period of its
 * own, the pipeline's {@code anomaly.warmup-points} plays that part (the scorer is fed from the
 * first forecast on, flags are only raised after the warm-up).
 *
 * <p>Mutable, not thread-safe: owned by the task that owns the series.
 */
public final class ExcursionLikelihood {

  /** Default weight of the newest observation in the rates and moments (about 100 points of memory). */
  public static final double DEFAULT_LIKELIHOOD_ALPHA = 0.01;

  /**
   * Floor on the rates q and c: a series that has not left its interval for a long time can still
   * do so, and its first excursion should weigh as a rare event, not an impossible one.
   */
  public static final double RATE_FLOOR = 1e-3;

  /** log(1e-10): the probability that the score maps to 1. */
  private static final double LOG_TAIL_OF_SCORE_ONE = Math.log(1e-10);

  private static final double LOG_RATE_FLOOR = Math.log(RATE_FLOOR);

  private static final double STD_FLOOR = Math.sqrt(AnomalyLikelihood.VARIANCE_FLOOR);

  private double outsideRate; // q
  private double continuationRate; // c
  private double mean; // of the excursion scores of observations outside the interval
  private double variance;
  private long count; // observations scored
  private long outsideCount; // of which outside the interval
  private long followers; // observations that followed one outside the interval
  private long run; // consecutive observations outside the interval, up to the last
  private double lastLogTail; // of the last update; not persisted (read right after update)

  /** A scorer that has seen nothing. */
  public ExcursionLikelihood() {}

  /**
   * Scores one checked observation and takes it into the state.
   *
   * @param excursion the raw excursion score {@code 1 - exp(-d)}, 0 inside the interval
   * @param alpha weight of this observation in the rates and moments, in (0, 1]
   * @return the likelihood-based score in [0, 1]; 0 inside the interval
   */
  public double update(double excursion, double alpha) {
    boolean outside = excursion > 0;
    // The estimates before this observation: it must not explain itself.
    double q = outsideRate;
    double c = followers > 0 ? continuationRate : outsideRate;
    count++;
    outsideRate += Math.max(alpha, 1.0 / count) * ((outside ? 1 : 0) - outsideRate);
    if (run > 0) {
      followers++;
      continuationRate += Math.max(alpha, 1.0 / followers) * ((outside ? 1 : 0) - continuationRate);
    }
    if (!outside) {
      run = 0;
      lastLogTail = 0;
      return 0;
    }
    run++;
    double std = Math.max(Math.sqrt(variance), STD_FLOOR);
    double logTail =
        Math.max(Math.log(q), LOG_RATE_FLOOR)
            + (run - 1) * Math.max(Math.log(c), LOG_RATE_FLOOR)
            + AnomalyLikelihood.logTail((excursion - Math.max(mean, AnomalyLikelihood.MEAN_FLOOR)) / std);
    outsideCount++;
    double w = Math.max(alpha, 1.0 / outsideCount);
    double delta = excursion - mean;
    mean += w * delta;
    variance = (1 - w) * (variance + w * delta * delta);
    lastLogTail = logTail;
    return Math.min(1, logTail / LOG_TAIL_OF_SCORE_ONE);
  }

  /** Ends the current run of excursions (after a gap reset the window). */
  public void breakRun() {
    run = 0;
  }

  /** Consecutive observations outside the interval, up to the last one scored. */
  public long run() {
    return run;
  }

  /** The weighted rate q of observations outside the interval. */
  public double outsideRate() {
    return outsideRate;
  }

  /** The weighted rate c at which an observation outside the interval is followed by another. */
  public double continuationRate() {
    return continuationRate;
  }

  /** The weighted mean of the excursion scores of observations outside the interval. */
  public double mean() {
    return mean;
  }

  /** The weighted variance of the excursion scores of observations outside the interval. */
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

  /** Number of observations scored that followed one outside the interval. */
  public long followers() {
    return followers;
  }

  /** The base-10 log of the probability behind the last update's score (at most 0). */
  public double lastLog10Tail() {
    return lastLogTail / Math.log(10);
  }

  /**
   * Restores a persisted state; the arguments are what the accessors of the same names returned.
   */
  public void restore(
      double outsideRate,
      double continuationRate,
      double mean,
      double variance,
      long count,
      long outsideCount,
      long followers,
      long run) {
    this.outsideRate = outsideRate;
    this.continuationRate = continuationRate;
    this.mean = mean;
    this.variance = variance;
    this.count = count;
    this.outsideCount = outsideCount;
    this.followers = followers;
    this.run = run;
  }

  /** Forgets everything, as a new scorer. */
  public void clear() {
    restore(0, 0, 0, 0, 0, 0, 0, 0);
  }
}

package dev.sibyl.streams.core;

/**
 * The anomaly score of one series in the pipeline: how far outside its forecast interval an
 * observation falls, how persistent the excursion is, and how surprising both are given the
 * series' recent behaviour. One per series, held in its {@link SeriesState} and persisted with its
 * meta record; O(1) state (three doubles and four counts, 56 bytes).
 *
 * <p>Every observation checked against a forecast (inside the interval or not) goes through {@link
 * #update}. For one outside the interval, at distance d beyond the bound in half-widths (raw
 * excursion score {@code r = 1 - exp(-d)}, as {@link AnomalyScore#of}):
 *
 * <ol>
 *   <li><b>Excursion.</b> How far out, given how far out the series' excursions usually go: the
 *       excess of a series over a high threshold is modelled as exponential (the shape-0
 *       generalized Pareto of peaks-over-threshold theory, the limit for Gaussian-like residual
 *       tails), with the exponentially weighted mean mu of the distances of the series' earlier
 *       excursions, floored at {@value #MEAN_DISTANCE_FLOOR} half-widths. The size tail is {@code
 *       exp(-d / mu) = (1 - r)^(1 / mu)}.
 *   <li><b>Persistence.</b> The run length L: this is the L-th consecutive observation outside
 *       the interval. Excursions are modelled as a two-state Markov chain: q, the weighted rate
 *       of observations outside the interval, and c, the weighted rate at which an observation
 *       outside is followed by another (q until one has been seen), both floored at {@value
 *       #RATE_FLOOR}. A run of L has probability {@code q c^(L-1)}.
 *   <li><b>Likelihood.</b> The probability of a run this long ending in an excursion this large,
 *       {@code P = q c^(L-1) exp(-d / mu)}, reported on nupic's log-likelihood scale as {@code
 *       min(1, log P / log 1e-10)}: 0.5 is a probability of 1e-5 (nupic's usual 0.99999
 *       likelihood threshold), 1 one of 1e-10 or less. An observation inside the interval scores 0.
 * </ol>
 *
 * Then q, c and mu take in the observation ({@code anomaly.likelihood.alpha} = a), each with weight
 * {@code max(a, 1/n)} for its n-th sample, so that the first samples give plain sample estimates
 * rather than a bias towards the zero start. The estimates before an observation score it: it must
 * not explain itself.
 *
 * <p>Why these models rather than a Gaussian of the combined score, as in Numenta's likelihood.
 * The scores of a calibrated interval are 0 most of the time (95% of points for a 95% interval)
 * and small otherwise; one Gaussian fitted to all of them has a tiny variance that makes every
 * routine excursion a 4-sigma event (in a simulation of white noise against its 95% interval, a
 * third of the excursions crossed 0.5), so excursions are scored only among excursions, times how
 * often they happen. A Gaussian of the bounded raw score r among excursions cannot tell a spike of
 * 10 half-widths from one of 100 (both have r near 1) and undervalues the exponential-like tail of
 * excess sizes; the exponential needs one estimate and does both. Persistence enters as the run's
 * probability rather than as an average of scores because the two then share one unit and
 * multiply, and because the chain learns how often excursions come in runs: a level shift makes
 * run after run, each point multiplying P by c, and is flagged within a few points even when no
 * single point is far out, while residuals that are autocorrelated raise c and their runs stop
 * being surprising. A lasting shift becomes the new normal once q, c and mu have caught up with it,
 * a few multiples of {@code 1 / a} points.
 *
 * <p>Paper: Ahmad, Lavin, Purdy &amp; Agha, "Unsupervised real-time anomaly detection for
 * streaming data", Neurocomputing 262, 2017 (section 4.2), as implemented offline by {@link
 * dev.sibyl.models.anomaly.AnomalyLikelihood}. Departures: the distribution of recent behaviour is
 * held as exponentially weighted estimates instead of being re-estimated over a rolling window of
 * 8640 scores, because this state is written to a Kafka Streams store on every point and must stay
 * tens of bytes; that distribution is the rate, run and size model above rather than a Gaussian of
 * averaged scores (floored like nupic's mean and variance, so that a series of tiny excursions does
 * not page on the first ordinary one); the short-window average of raw scores (Numenta's
 * persistence) is replaced by the run probability, which does not divide a single far-out point by
 * the window length; the tail is one-sided (an unusually low score is not an anomaly); and there is
 * no learning period of its own, the pipeline's {@code anomaly.warmup-points} plays that part (the
 * scorer is fed from the first forecast on, flags are only raised after the warm-up).
 *
 * <p>Mutable, not thread-safe: owned by the task that owns the series.
 */
public final class ExcursionLikelihood {

  /** Default weight of the newest observation in the estimates (about 100 points of memory). */
  public static final double DEFAULT_LIKELIHOOD_ALPHA = 0.01;

  /**
   * Floor on the rates q and c: a series that has not left its interval for a long time can still
   * do so, and its first excursion should weigh as a rare event, not an impossible one.
   */
  public static final double RATE_FLOOR = 1e-3;

  /**
   * Floor on the mean excursion distance, in half-widths: about half of what Gaussian residuals
   * give against their 95% interval (0.19), so that a series whose few excursions were all tiny
   * does not flag a one-half-width excursion on its size alone.
   */
  public static final double MEAN_DISTANCE_FLOOR = 0.1;

  /** log(1e-10): the probability that the score maps to 1. */
  private static final double LOG_TAIL_OF_SCORE_ONE = Math.log(1e-10);

  private static final double LOG_RATE_FLOOR = Math.log(RATE_FLOOR);

  private double outsideRate; // q
  private double continuationRate; // c
  private double meanDistance; // mu, of the observations outside the interval
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
   * @param distance how far outside the interval, in half-widths ({@link AnomalyScore#distance}); 0 inside
   * @param alpha weight of this observation in the estimates, in (0, 1]
   * @return the likelihood-based score in [0, 1]; 0 inside the interval
   */
  public double update(double distance, double alpha) {
    boolean outside = distance > 0;
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
    double logTail =
        Math.max(Math.log(q), LOG_RATE_FLOOR)
            + (run - 1) * Math.max(Math.log(c), LOG_RATE_FLOOR)
            - distance / Math.max(meanDistance, MEAN_DISTANCE_FLOOR);
    outsideCount++;
    meanDistance += Math.max(alpha, 1.0 / outsideCount) * (distance - meanDistance);
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

  /** The weighted mean distance mu of the observations outside the interval, in half-widths. */
  public double meanDistance() {
    return meanDistance;
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
      double outsideRate, double continuationRate, double meanDistance, long count, long outsideCount, long followers, long run) {
    this.outsideRate = outsideRate;
    this.continuationRate = continuationRate;
    this.meanDistance = meanDistance;
    this.count = count;
    this.outsideCount = outsideCount;
    this.followers = followers;
    this.run = run;
  }

  /** Forgets everything, as a new scorer. */
  public void clear() {
    restore(0, 0, 0, 0, 0, 0, 0);
  }
}

package dev.sibyl.models.anomaly;

/**
 * Numenta's anomaly likelihood: turns a stream of raw anomaly scores into the probability that the
 * current short-term average is unusual given the recent history of averages.
 *
 * <p>Method (Ahmad, Lavin, Purdy &amp; Agha, "Unsupervised real-time anomaly detection for
 * streaming data", Neurocomputing 262, 2017, section 4.2, and nupic's {@code
 * anomaly_likelihood.py}): keep the raw scores' moving average over a short window W' (10); model
 * the distribution of those averages over a long window W (8640) as a Gaussian, re-estimated every
 * R (100) points with the mean floored at 0.03 and the variance at 0.0003 (nupic's lower-bound
 * check, so a series of near-zero scores does not turn the slightest blip red); the likelihood is
 * {@code 1 - Q((avg - mean) / std)} with Q the Gaussian tail. The first {@code learningPeriod}
 * points only feed the history and give 0.5, as nupic does.
 *
 * <p>Departure: nupic reflects averages below the mean ({@code tailProbability} of {@code 2 mean -
 * x}), so an unusually low score also gets a high likelihood. Here the tail is one-sided (a
 * below-mean average gives a likelihood below 0.5), since only high raw scores mean anomalies.
 *
 * <p>Bounded: two rings, of W' and W values. Not thread-safe: one per series.
 */
public final class AnomalyLikelihood {

  /** nupic's floor on the mean of the averaged scores. */
  static final double MEAN_FLOOR = 0.03;

  /** nupic's floor on the variance of the averaged scores. */
  static final double VARIANCE_FLOOR = 0.0003;

  private final RollingWindow shortWindow;
  private final RollingWindow history;
  private final int learningPeriod;
  private final int reestimationPeriod;
  private long seen;
  private double mean = MEAN_FLOOR;
  private double std = Math.sqrt(VARIANCE_FLOOR);
  private long sinceEstimate;
  private double lastLogTail;

  /**
   * A fresh estimator.
   *
   * @param shortWindow W', the moving-average length of the raw scores, at least 1
   * @param historyWindow W, the number of averages in the rolling Gaussian, at least 2
   * @param learningPeriod points that only feed the history, at least 1
   * @param reestimationPeriod points between re-estimates of the Gaussian, at least 1
   * @throws IllegalArgumentException naming the argument out of range
   */
  public AnomalyLikelihood(
      int shortWindow, int historyWindow, int learningPeriod, int reestimationPeriod) {
    if (historyWindow < 2) {
      throw new IllegalArgumentException("historyWindow must be >= 2, got " + historyWindow);
    }
    if (learningPeriod < 1) {
      throw new IllegalArgumentException("learningPeriod must be >= 1, got " + learningPeriod);
    }
    if (reestimationPeriod < 1) {
      throw new IllegalArgumentException(
          "reestimationPeriod must be >= 1, got " + reestimationPeriod);
    }
    this.shortWindow = new RollingWindow(shortWindow);
    this.history = new RollingWindow(historyWindow);
    this.learningPeriod = learningPeriod;
    this.reestimationPeriod = reestimationPeriod;
  }

  /** Whether the estimator is still in its learning period (its likelihoods are 0.5). */
  public boolean learning() {
    return seen <= learningPeriod;
  }

  /**
   * Feeds one raw score and returns the likelihood of the current average.
   *
   * @param raw the raw score, finite, usually in [0, 1]
   * @return the likelihood in [0, 1]; 0.5 during the learning period
   * @throws IllegalArgumentException when {@code raw} is not finite
   */
  public double update(double raw) {
    if (!Double.isFinite(raw)) {
      throw new IllegalArgumentException("raw score must be finite, got " + raw);
    }
    seen++;
    // 1. Short moving average of the raw scores
    shortWindow.add(raw);
    double average = shortWindow.mean();
    // 2. Re-estimate the Gaussian from the history before adding the current average, so that the
    //    current burst is judged against the past
    if (seen > learningPeriod && (sinceEstimate == 0 || sinceEstimate >= reestimationPeriod)) {
      mean = Math.max(MEAN_FLOOR, history.mean());
      std = Math.sqrt(Math.max(VARIANCE_FLOOR, history.variance()));
      sinceEstimate = 0;
    }
    history.add(average);
    if (seen <= learningPeriod) {
      lastLogTail = Math.log(0.5);
      return 0.5;
    }
    sinceEstimate++;
    // 3. Likelihood = 1 - Q(z), the one-sided Gaussian tail of the current average
    lastLogTail = logTail((average - mean) / std);
    return -Math.expm1(lastLogTail);
  }

  /**
   * The natural log of the tail probability Q behind the last likelihood ({@code likelihood = 1 -
   * Q}); it keeps the resolution that {@code 1 - Q} loses once Q is below about 1e-16.
   */
  public double lastLogTail() {
    return lastLogTail;
  }

  /** The Gaussian upper tail Q(z) = P(Z > z), in [0, 1]. */
  static double tail(double z) {
    return Math.exp(logTail(z));
  }

  /**
   * The natural log of the Gaussian upper tail Q(z), accurate far into the tail where Q itself
   * underflows: {@code erfc} by the Chebyshev fit of Numerical Recipes (2nd ed., {@code erfcc},
   * fractional error below 1.2e-7 everywhere), kept in log space.
   */
  static double logTail(double z) {
    double x = Math.abs(z) / Math.sqrt(2);
    double t = 1 / (1 + 0.5 * x);
    double poly =
        -1.26551223
            + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223
            + t * 0.17087277))))))));
    double logErfc = Math.log(t) - x * x + poly;
    if (z >= 0) {
      return Math.log(0.5) + logErfc;
    }
    // Q(z) = 1 - Q(|z|) for z below 0
    return Math.log1p(-0.5 * Math.exp(logErfc));
  }
}

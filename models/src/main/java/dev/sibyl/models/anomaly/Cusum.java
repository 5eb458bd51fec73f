package dev.sibyl.models.anomaly;

/**
 * Two-sided tabular CUSUM (Page 1954; Montgomery, Introduction to Statistical Quality Control,
 * section 9.1) on standardised residuals, for level shifts: {@code S+ = max(0, S+ + z - k)}, {@code
 * S- = max(0, S- - z - k)}, an alarm when either passes h, after which both restart at 0 so that
 * one shift gives one alarm and the forecaster's adaptation is not flagged again. Not thread-safe.
 */
public final class Cusum {

  private final double drift;
  private final double threshold;
  private double upper;
  private double lower;

  /**
   * A detector at rest.
   *
   * @param drift k, the slack per point in standard deviations (0.5 detects 1-sigma shifts best),
   *     non-negative
   * @param threshold h, the alarm level in standard deviations, positive
   * @throws IllegalArgumentException naming the argument out of range
   */
  public Cusum(double drift, double threshold) {
    if (!(drift >= 0)) {
      throw new IllegalArgumentException("drift must be >= 0, got " + drift);
    }
    if (!(threshold > 0)) {
      throw new IllegalArgumentException("threshold must be > 0, got " + threshold);
    }
    this.drift = drift;
    this.threshold = threshold;
  }

  /**
   * Feeds a standardised residual.
   *
   * @param z the residual over its standard deviation; a non-finite value is ignored
   * @return whether this point raises the alarm
   */
  public boolean update(double z) {
    if (!Double.isFinite(z)) {
      return false;
    }
    upper = Math.max(0, upper + z - drift);
    lower = Math.max(0, lower - z - drift);
    if (upper > threshold || lower > threshold) {
      upper = 0;
      lower = 0;
      return true;
    }
    return false;
  }

  /** The larger of the two sums over the threshold, in [0, 1): how close to an alarm. */
  public double level() {
    return Math.max(upper, lower) / threshold;
  }
}

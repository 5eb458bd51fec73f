package dev.sibyl.models.anomaly;

import java.util.Arrays;

/**
 * The z-score of a series' daily seasonal difference {@code d_t = x_t - median(x_{t-s-1}, x_{t-s},
 * x_{t-s+1})} against the rolling mean and deviation of the preceding differences (seasonal
 * differencing as in Box &amp; Jenkins, "Time Series Analysis: Forecasting and Control", 1970,
 * chapter 9). It sees an anomaly that stays inside the series' usual range but breaks its daily
 * shape (a flat stretch, a day shifted up or down), which a z-score of the value alone cannot.
 *
 * <p>The season s is one day at the series' step, the median of the first {@code seasonGaps}
 * timestamp gaps, fixed once known (no look-ahead: until then the component is silent). The
 * deviation is floored at {@code seasonalFloor} times the running deviation of all values so far,
 * since on an exactly periodic series the differences are all zero. Departure from the textbook: the
 * differences' distribution is a rolling window, not a fitted model; and the reference is the median
 * of the three values around one season ago rather than the single value, so that a spike does not
 * come back as a second anomaly one day later.
 *
 * <p>Bounded: a ring of {@code maxSeason + 1} values, a rolling window of differences and the first
 * gaps. Not thread-safe: one per series.
 */
final class SeasonalDifference {

  /** One day in milliseconds. */
  private static final long DAY_MILLIS = 86_400_000L;

  private final OnsetConfig config;
  /** The last maxSeason + 1 values, oldest overwritten first; shape (maxSeason + 1). */
  private final double[] ring;
  /** The first timestamp gaps; shape (seasonGaps). */
  private final long[] gaps;

  private final RollingWindow differences;
  private int gapCount;
  private long lastTime;
  private long seen;
  /** Rows in a day once known; 0 while unknown, -1 when the series has no usable daily season. */
  private int season;
  private double mean;
  private double m2;

  SeasonalDifference(OnsetConfig config) {
    this.config = config;
    this.ring = new double[config.maxSeason() + 1];
    this.gaps = new long[config.seasonGaps()];
    this.differences = new RollingWindow(config.window());
  }

  /** The season in rows: 0 while unknown, -1 when none applies. */
  int season() {
    return season;
  }

  /**
   * Scores a finite value against the past differences, then folds it in.
   *
   * @return the absolute z-score of its seasonal difference; 0 while the season or the window is
   *     not established
   */
  double update(long timestamp, double value) {
    // 1. The step from the first gaps, then the season
    if (seen > 0 && season == 0) {
      gaps[gapCount++] = timestamp - lastTime;
      if (gapCount == gaps.length) {
        season = seasonOf(gaps, config.maxSeason());
      }
    }
    lastTime = timestamp;
    // 2. The z-score of the difference against the preceding differences
    double z = 0;
    if (season > 0 && seen > season) {
      double d = value - medianOf3(at(seen - season - 1), at(seen - season), at(seen - season + 1));
      if (differences.size() >= config.warmUp()) {
        double sdValues = seen > 1 ? Math.sqrt(m2 / seen) : 0;
        double sd = Math.max(Math.sqrt(differences.variance()), config.seasonalFloor() * sdValues + 1e-12);
        z = Math.abs(d - differences.mean()) / sd;
      }
      differences.add(d);
    }
    // 3. Fold the value into the ring and the running deviation (Welford)
    ring[(int) (seen % ring.length)] = value;
    seen++;
    double delta = value - mean;
    mean += delta / seen;
    m2 += delta * (value - mean);
    return z;
  }

  /** The value of an earlier row still in the ring. */
  private double at(long row) {
    return ring[(int) (row % ring.length)];
  }

  private static double medianOf3(double a, double b, double c) {
    return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
  }

  /** One day in rows at the median gap, or -1 when that is not a whole number in [2, maxSeason]. */
  static int seasonOf(long[] gaps, int maxSeason) {
    long[] sorted = gaps.clone();
    Arrays.sort(sorted);
    long step = sorted[sorted.length / 2];
    if (step <= 0 || DAY_MILLIS % step != 0 || DAY_MILLIS / step < 2 || DAY_MILLIS / step > maxSeason) {
      return -1;
    }
    return (int) (DAY_MILLIS / step);
  }
}

package dev.sibyl.models.anomaly;

/**
 * Settings of {@link OnsetDetector}. {@link #defaults()} gives the documented defaults, and the
 * compact constructor checks every range (the message names the field, the value and the range).
 *
 * <p>The defaults of seasonalFloor, holdLevel and holdRows were chosen by a manual search on the NAB
 * development subset (24 files, about 110 configurations); they are tuned to that subset.
 *
 * @param window values (and seasonal differences) in the rolling mean and deviation (default 256),
 *     at least 2
 * @param warmUp values needed in a rolling window before it scores (default 30), in [2, window]
 * @param seasonGaps timestamp gaps whose median gives the series' step, and so the rows in a day
 *     (default 32), at least 1
 * @param maxSeason the longest season in rows the seasonal difference keeps a ring for (default
 *     300, a day of 5-minute rows); a longer day, or a step that does not divide a day, means no
 *     seasonal component, at least 2
 * @param seasonalFloor floor on the deviation of the seasonal differences, as a fraction of the
 *     running deviation of the values (default 0.2), so an exactly periodic series does not turn
 *     round-off into anomalies; non-negative
 * @param holdLevel the score at or above which a detection is made and the hold starts (default
 *     0.85), in (0, 1)
 * @param holdRows rows after a detection whose scores are silenced (default 100), non-negative
 */
public record OnsetConfig(
    int window,
    int warmUp,
    int seasonGaps,
    int maxSeason,
    double seasonalFloor,
    double holdLevel,
    int holdRows) {

  /** Checks every range. */
  public OnsetConfig {
    if (window < 2) {
      throw new IllegalArgumentException("window must be >= 2, got " + window);
    }
    if (warmUp < 2 || warmUp > window) {
      throw new IllegalArgumentException("warmUp must be in [2, window=" + window + "], got " + warmUp);
    }
    if (seasonGaps < 1) {
      throw new IllegalArgumentException("seasonGaps must be >= 1, got " + seasonGaps);
    }
    if (maxSeason < 2) {
      throw new IllegalArgumentException("maxSeason must be >= 2, got " + maxSeason);
    }
    if (!(seasonalFloor >= 0 && Double.isFinite(seasonalFloor))) {
      throw new IllegalArgumentException("seasonalFloor must be finite and >= 0, got " + seasonalFloor);
    }
    if (!(holdLevel > 0 && holdLevel < 1)) {
      throw new IllegalArgumentException("holdLevel must be in (0, 1), got " + holdLevel);
    }
    if (holdRows < 0) {
      throw new IllegalArgumentException("holdRows must be >= 0, got " + holdRows);
    }
  }

  /** The documented defaults. */
  public static OnsetConfig defaults() {
    return new OnsetConfig(256, 30, 32, 300, 0.2, 0.85, 100);
  }

  /** A copy with another rolling window (and the warm-up capped to it). */
  public OnsetConfig withWindow(int newWindow) {
    return new OnsetConfig(
        newWindow, Math.min(warmUp, Math.max(2, newWindow)), seasonGaps, maxSeason, seasonalFloor, holdLevel, holdRows);
  }
}

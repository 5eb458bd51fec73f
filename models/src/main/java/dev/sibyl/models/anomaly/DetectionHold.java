package dev.sibyl.models.anomaly;

/**
 * Silences the scores for a while after a detection, so that one anomaly gives one detection at its
 * onset. NAB (Lavin &amp; Ahmad, ICMLA 2015) rewards only the earliest detection in a window and
 * charges every detection outside one; NAB's ARTime detector (ARTimeNAB.jl) likewise stops
 * adapting for a while after a detection ({@code mask_rho_after_anomaly}) to avoid cascades of
 * detections. Departure: the hold silences the output itself, for a fixed number of rows, not a
 * number scaled by the file's length (a stream has no known length).
 *
 * <p>Not thread-safe: one per series.
 */
final class DetectionHold {

  private final double level;
  private final int rows;
  private int remaining;
  private boolean detected;

  /**
   * @param level the score at or above which a detection starts the hold, in (0, 1)
   * @param rows rows silenced after a detection, non-negative
   */
  DetectionHold(double level, int rows) {
    this.level = level;
    this.rows = rows;
  }

  /**
   * The score to report for a raw score: 0 while a hold runs, else the raw score itself; a raw score
   * at or above the level starts a hold over the following rows.
   */
  double apply(double score) {
    detected = false;
    if (remaining > 0) {
      remaining--;
      return 0;
    }
    if (score >= level) {
      detected = true;
      remaining = rows;
    }
    return score;
  }

  /** Whether the last {@link #apply} made a detection. */
  boolean detected() {
    return detected;
  }
}

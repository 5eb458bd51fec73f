package dev.sibyl.streams.core;

/**
 * The newest forecast of a series, kept so that each arriving observation can be checked against
 * the prediction made before it.
 *
 * @param issuedAt timestamp of the last observation the forecast saw; point k (0-based) is for
 *     {@code issuedAt + (k + 1) * stepMillis}
 * @param stepMillis spacing of the forecast points
 * @param mean point predictions; shape (horizon)
 * @param lower lower bounds; shape (horizon)
 * @param upper upper bounds; shape (horizon)
 * @param coverage nominal coverage of the intervals
 * @param model the model id that produced it ({@code family:version})
 */
public record LatestForecast(
    long issuedAt, long stepMillis, double[] mean, double[] lower, double[] upper, double coverage, String model) {

  /**
   * The index of the forecast point that an observation at {@code timestamp} should be checked
   * against: the point whose time is nearest, if it lies within half a step; otherwise -1 (the
   * observation falls before, after or between the forecast's points).
   */
  public int stepIndexFor(long timestamp) {
    long offset = timestamp - issuedAt;
    if (offset <= 0) {
      return -1;
    }
    long k = Math.round((double) offset / stepMillis) - 1;
    if (k < 0 || k >= mean.length) {
      return -1;
    }
    long expectedTime = issuedAt + (k + 1) * stepMillis;
    return Math.abs(timestamp - expectedTime) * 2 <= stepMillis ? (int) k : -1;
  }
}

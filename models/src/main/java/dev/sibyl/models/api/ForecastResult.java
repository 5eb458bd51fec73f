package dev.sibyl.models.api;

/**
 * A forecast of {@code horizon} steps with a prediction interval at each step.
 *
 * @param mean point predictions; shape (horizon)
 * @param lower lower interval bounds; shape (horizon), {@code lower[k] <= mean[k]}
 * @param upper upper interval bounds; shape (horizon), {@code upper[k] >= mean[k]}
 * @param coverage nominal coverage of the intervals in (0, 1)
 */
public record ForecastResult(double[] mean, double[] lower, double[] upper, double coverage) {

  /** Checks that the three arrays have one shape. */
  public ForecastResult {
    if (mean.length != lower.length || mean.length != upper.length) {
      throw new IllegalArgumentException(
          "mean, lower and upper must have one length, got "
              + mean.length + ", " + lower.length + ", " + upper.length);
    }
    if (!(coverage > 0 && coverage < 1)) {
      throw new IllegalArgumentException("coverage must be in (0, 1), got " + coverage);
    }
  }

  /** Number of forecast steps. */
  public int horizon() {
    return mean.length;
  }
}

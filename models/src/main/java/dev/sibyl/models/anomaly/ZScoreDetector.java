package dev.sibyl.models.anomaly;

/**
 * A control detector: the z-score of each value against the rolling mean and standard deviation of
 * the preceding {@code window} values, mapped to {@code |z| / (1 + |z|)} in [0, 1). No forecast, no
 * calibration, no likelihood; it shows what the forecast detector adds.
 */
public final class ZScoreDetector implements StreamingDetector<RollingWindow> {

  /** Name in reports and NAB's results layout. */
  public static final String NAME = "zscore";

  private final int window;
  private final int warmUp;
  private final double flagThreshold;

  /**
   * A detector.
   *
   * @param window values in the rolling mean and deviation, at least 2
   * @param warmUp values needed before scoring, in [2, window]
   * @param flagThreshold score at or above which a value is flagged, in (0, 1]
   * @throws IllegalArgumentException naming the argument out of range
   */
  public ZScoreDetector(int window, int warmUp, double flagThreshold) {
    if (window < 2) {
      throw new IllegalArgumentException("window must be >= 2, got " + window);
    }
    if (warmUp < 2 || warmUp > window) {
      throw new IllegalArgumentException(
          "warmUp must be in [2, window=" + window + "], got " + warmUp);
    }
    if (!(flagThreshold > 0 && flagThreshold <= 1)) {
      throw new IllegalArgumentException("flagThreshold must be in (0, 1], got " + flagThreshold);
    }
    this.window = window;
    this.warmUp = warmUp;
    this.flagThreshold = flagThreshold;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public RollingWindow newState() {
    return new RollingWindow(window);
  }

  @Override
  public DetectorOutput update(RollingWindow state, long timestamp, double value) {
    if (!Double.isFinite(value)) {
      return DetectorOutput.WARM_UP;
    }
    DetectorOutput out = DetectorOutput.WARM_UP;
    if (state.size() >= warmUp) {
      double mean = state.mean();
      // floor the deviation so a flat series does not divide by zero
      double sd = Math.max(Math.sqrt(state.variance()), 1e-9 * (1 + Math.abs(mean)));
      double z = Math.abs(value - mean) / sd;
      double score = z / (1 + z);
      out = new DetectorOutput(score, score, score, score >= flagThreshold, false, false, 0);
    }
    state.add(value);
    return out;
  }
}

package dev.sibyl.models.anomaly;

/**
 * Settings of {@link ForecastAnomalyDetector}; every window is bounded by one of them. {@link
 * #defaults()} gives the documented defaults, and the compact constructor checks every range
 * (style rule R10: the message names the field, the value and the range).
 *
 * <p>The defaults of window, coverage, persistenceDecay, varianceThreshold and likelihoodShort were
 * chosen by a small manual search on the NAB development subset (24 files) with Holt-Winters
 * (season 1); they may be tuned to that subset. The others are the textbook or Numenta values.
 *
 * @param window observations kept for the forecaster (default 64), at least 4
 * @param cadence points between forecasts; each forecast covers the next {@code cadence} points,
 *     so residuals are 1..cadence steps ahead and each step gets its own calibration ring (default
 *     1), in [1, window]
 * @param coverage nominal coverage of the conformal intervals (default 0.9), in (0, 1)
 * @param calibrationSize residuals kept per forecast step for split-conformal calibration (default
 *     200), at least 2
 * @param minCalibration residuals needed before a step is scored; before that the detector is in
 *     warm-up (default 30), in [2, calibrationSize]
 * @param persistenceDecay lambda of the exponentially weighted count of excursions {@code p = lambda
 *     p + 1[outside]} (default 0.5), in [0, 1)
 * @param cusumDrift CUSUM slack k in standard deviations (default 0.5), non-negative
 * @param cusumThreshold CUSUM alarm level h in standard deviations (default 8), positive
 * @param varianceShort short window of the variance-change ratio (default 16), at least 2
 * @param varianceLong long window of the variance-change ratio (default 256), above varianceShort
 * @param varianceThreshold ratio at which the variance component starts to count (default 10), above
 *     1
 * @param likelihoodShort W', the moving average of raw scores (default 5; Numenta: 10), at least 1
 * @param likelihoodHistory W, the rolling Gaussian of averaged raw scores (Numenta: 8640), at least 2
 * @param likelihoodLearning points that only feed the likelihood history (default 150; Numenta 288
 *     plus 100 estimation samples, shortened because NAB's probation is 15% of files of 1k-20k
 *     rows), at least 1
 * @param likelihoodReestimation points between re-estimates of the Gaussian (Numenta: 100), at least
 *     1
 * @param flagThreshold the likelihood at or above which an observation is flagged (default 0.9999), in
 *     (0, 1]
 */
public record DetectorConfig(
    int window,
    int cadence,
    double coverage,
    int calibrationSize,
    int minCalibration,
    double persistenceDecay,
    double cusumDrift,
    double cusumThreshold,
    int varianceShort,
    int varianceLong,
    double varianceThreshold,
    int likelihoodShort,
    int likelihoodHistory,
    int likelihoodLearning,
    int likelihoodReestimation,
    double flagThreshold) {

  /** Checks every range. */
  public DetectorConfig {
    atLeast("window", window, 4);
    if (cadence < 1 || cadence > window) {
      throw new IllegalArgumentException(
          "cadence must be in [1, window=" + window + "], got " + cadence);
    }
    if (!(coverage > 0 && coverage < 1)) {
      throw new IllegalArgumentException("coverage must be in (0, 1), got " + coverage);
    }
    atLeast("calibrationSize", calibrationSize, 2);
    if (minCalibration < 2 || minCalibration > calibrationSize) {
      throw new IllegalArgumentException(
          "minCalibration must be in [2, calibrationSize=" + calibrationSize + "], got "
              + minCalibration);
    }
    if (!(persistenceDecay >= 0 && persistenceDecay < 1)) {
      throw new IllegalArgumentException(
          "persistenceDecay must be in [0, 1), got " + persistenceDecay);
    }
    if (!(cusumDrift >= 0)) {
      throw new IllegalArgumentException("cusumDrift must be >= 0, got " + cusumDrift);
    }
    if (!(cusumThreshold > 0)) {
      throw new IllegalArgumentException("cusumThreshold must be > 0, got " + cusumThreshold);
    }
    atLeast("varianceShort", varianceShort, 2);
    if (varianceLong <= varianceShort) {
      throw new IllegalArgumentException(
          "varianceLong must be > varianceShort=" + varianceShort + ", got " + varianceLong);
    }
    if (!(varianceThreshold > 1)) {
      throw new IllegalArgumentException(
          "varianceThreshold must be > 1, got " + varianceThreshold);
    }
    atLeast("likelihoodShort", likelihoodShort, 1);
    atLeast("likelihoodHistory", likelihoodHistory, 2);
    atLeast("likelihoodLearning", likelihoodLearning, 1);
    atLeast("likelihoodReestimation", likelihoodReestimation, 1);
    if (!(flagThreshold > 0 && flagThreshold <= 1)) {
      throw new IllegalArgumentException("flagThreshold must be in (0, 1], got " + flagThreshold);
    }
  }

  private static void atLeast(String name, int value, int min) {
    if (value < min) {
      throw new IllegalArgumentException(name + " must be >= " + min + ", got " + value);
    }
  }

  /** The documented defaults. */
  public static DetectorConfig defaults() {
    return new DetectorConfig(
        64, 1, 0.9, 200, 30, 0.5, 0.5, 8, 16, 256, 10, 5, 8640, 150, 100, 0.9999);
  }

  /** A copy with another coverage. */
  public DetectorConfig withCoverage(double c) {
    return new DetectorConfig(
        window, cadence, c, calibrationSize, minCalibration, persistenceDecay, cusumDrift,
        cusumThreshold, varianceShort, varianceLong, varianceThreshold, likelihoodShort,
        likelihoodHistory, likelihoodLearning, likelihoodReestimation, flagThreshold);
  }

  /** A copy with another forecaster window and cadence. */
  public DetectorConfig withWindow(int w, int cad) {
    return new DetectorConfig(
        w, cad, coverage, calibrationSize, minCalibration, persistenceDecay, cusumDrift,
        cusumThreshold, varianceShort, varianceLong, varianceThreshold, likelihoodShort,
        likelihoodHistory, likelihoodLearning, likelihoodReestimation, flagThreshold);
  }

  /** A copy with another likelihood learning period. */
  public DetectorConfig withLikelihoodLearning(int learning) {
    return new DetectorConfig(
        window, cadence, coverage, calibrationSize, minCalibration, persistenceDecay, cusumDrift,
        cusumThreshold, varianceShort, varianceLong, varianceThreshold, likelihoodShort,
        likelihoodHistory, learning, likelihoodReestimation, flagThreshold);
  }
}

package dev.sibyl.models.anomaly;

/**
 * What a streaming detector says about one observation.
 *
 * @param score the anomaly score in [0, 1] that NAB thresholds apply to, monotone in the likelihood
 *     (see {@link ForecastAnomalyDetector#scoreOf}); 0 during warm-up
 * @param raw the raw score in [0, 1] before likelihood post-processing; 0 during warm-up
 * @param likelihood the anomaly likelihood in [0, 1] (equal to {@code score} for detectors without
 *     one); 0 during warm-up
 * @param anomalous whether {@code score} reached the detector's flag threshold; never during
 *     warm-up
 * @param warmUp whether the detector is still warming up (history, calibration or likelihood not
 *     yet established)
 * @param levelShift whether the level-shift detector fired on this observation
 * @param varianceRatio short over long variance of the standardised residuals (0 when unknown)
 */
public record DetectorOutput(
    double score,
    double raw,
    double likelihood,
    boolean anomalous,
    boolean warmUp,
    boolean levelShift,
    double varianceRatio) {

  /** The output of a warm-up observation. */
  public static final DetectorOutput WARM_UP = new DetectorOutput(0, 0, 0, false, true, false, 0);
}

/**
 * Streaming anomaly detection on top of the forecasters: per-series conformal calibration, a raw
 * score (distance outside the interval and persistence, plus level-shift and variance-change
 * detectors), Numenta's anomaly-likelihood post-processing, and the NAB scorer used to evaluate it;
 * and {@link dev.sibyl.models.anomaly.OnsetDetector}, a forecaster-free detector that fires once at an
 * anomaly's onset (value and daily seasonal-difference z-scores, a hold after each detection).
 * Every window and ring is bounded by a configured size.
 */
package dev.sibyl.models.anomaly;

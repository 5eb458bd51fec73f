package dev.sibyl.models.api;

/**
 * Scores observations against their forecasts: an observation outside the calibrated interval is
 * anomalous, scored by how far and how persistently (see MODELS.md, "Anomaly detection"). The
 * detector is immutable; the rolling per-series history (recent scores) lives in a state object
 * the caller creates with {@link #newState()} and owns, one per series (style rule R3).
 *
 * @param <S> the per-series state type
 */
public interface AnomalyDetector<S> {

  /** The detector's name. */
  String name();

  /** A fresh per-series state. */
  S newState();

  /**
   * Scores one observation and updates the series' state.
   *
   * @param state the series' state; not null, mutated
   * @param observed the observed value
   * @param forecast the forecast made for this observation's time, with its interval; not null
   * @param step which step of {@code forecast} (0-based) this observation is
   * @return the score
   * @throws IllegalArgumentException when {@code step} is outside the forecast
   */
  AnomalyScore score(S state, double observed, ForecastResult forecast, int step);

  /**
   * One observation's score.
   *
   * @param raw distance outside the interval in half-widths (0 inside)
   * @param likelihood the anomaly likelihood in [0, 1]: the tail probability of {@code raw} under
   *     the rolling distribution of the series' recent scores, complemented
   * @param anomalous whether the likelihood passed the detector's threshold
   */
  record AnomalyScore(double raw, double likelihood, boolean anomalous) {}
}

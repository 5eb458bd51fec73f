package dev.sibyl.models.anomaly;

/**
 * A detector that consumes one series point by point. The detector is immutable and shared; the
 * per-series history lives in a state object the caller creates with {@link #newState()} and owns
 * (style rule R3), so many series can be scored by one detector without locking.
 *
 * @param <S> the per-series state type
 */
public interface StreamingDetector<S> {

  /** The detector's name, as used in NAB's results layout (e.g. {@code forecast}). */
  String name();

  /** A fresh per-series state, in warm-up. */
  S newState();

  /**
   * Scores the next observation of the series and folds it into the state.
   *
   * @param state the series' state; not null, mutated
   * @param timestamp the observation time in epoch milliseconds, not before the previous one
   * @param value the observed value; a non-finite value is scored as warm-up and not learnt
   * @return the output for this observation; never null
   */
  DetectorOutput update(S state, long timestamp, double value);
}

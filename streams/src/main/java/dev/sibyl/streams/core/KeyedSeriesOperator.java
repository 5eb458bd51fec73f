package dev.sibyl.streams.core;

import dev.sibyl.models.api.ForecastResult;
import dev.sibyl.models.api.KeyedForecaster;
import dev.sibyl.models.api.KeyedServing;
import dev.sibyl.streams.core.SeriesOperator.Admission;
import dev.sibyl.streams.core.SeriesOperator.StepResult;
import java.util.Objects;

/**
 * The series step of the keyed (KV-cache) path, engine-independent: {@link SeriesOperator}'s
 * admission (order, gaps, the check, the cadence), then a point forecast from the caller's {@link
 * KeyedForecaster} under the series' key, with the series' {@link OnlineIntervals} around it.
 *
 * <p>Model work: the keyed forecaster appends the segments completed since its last call (one
 * token of decoding each) and rebuilds from the window only when it has no usable state for the
 * series (new, evicted, restarted, after a gap). The stateless forecaster runs for the
 * split-conformal backtest that seeds the half-widths: at the series' first forecast, and again at
 * each forecast until the window holds {@link KeyedServing#calibratedHistory} points (or all the
 * points it can hold), since a backtest on a shorter window rests on fewer residuals (a single one
 * per step at the first forecast); and after a gap reset or a change of horizon. From then on every
 * observation that the latest forecast covers updates the half-widths ({@link
 * SeriesOperator#withOnlineIntervals}), so a forecast costs no backtest.
 *
 * <p>Nothing of the keyed forecaster's state is persisted: the half-widths live in the series
 * state (and its store), the cache in memory only, so a restart rebuilds the cache from the window
 * and keeps the calibration. Immutable and thread-safe; the keyed forecaster and the states belong
 * to the caller (a stream task).
 */
public final class KeyedSeriesOperator {

  private final SeriesOperator operator;
  private final KeyedServing serving;

  /**
   * @param operator the admission policy, with online intervals ({@link
   *     SeriesOperator#withOnlineIntervals}); its forecaster is {@code serving}
   * @param serving the model: its stateless forecaster seeds the intervals; not null
   */
  public KeyedSeriesOperator(SeriesOperator operator, KeyedServing serving) {
    this.operator = Objects.requireNonNull(operator, "operator");
    this.serving = Objects.requireNonNull(serving, "serving");
  }

  /** The admission policy. */
  public SeriesOperator operator() {
    return operator;
  }

  /** The model. */
  public KeyedServing serving() {
    return serving;
  }

  /**
   * Processes one observation of a series: admission, and when a forecast is due, the keyed point
   * forecast with the series' online intervals (seeded first when it has none).
   *
   * @param keyed the caller's keyed forecaster of {@link #serving()}'s model; not null
   * @param series the series, whose {@link SeriesId#storeKey()} keys its cache
   * @param state its state, updated in place
   * @param timestamp event time in epoch milliseconds
   * @param value a finite value (validation happens before)
   * @return what happened, as {@link SeriesOperator#onObservation} reports it
   * @throws RuntimeException whatever a forecaster throws; the state then holds the new point but
   *     no new forecast, and the next point is due again
   */
  public StepResult onObservation(KeyedForecaster keyed, SeriesId series, SeriesState state, long timestamp, double value) {
    // 1. Admission: order, gaps, the check (which updates the half-widths), the append, the cadence
    Admission admission = operator.admit(state, timestamp, value);
    String key = series.storeKey();
    if (admission.windowReset()) {
      keyed.forget(key);
    }
    ForecastResult forecast = null;
    ForecastRequest due = admission.due();
    if (due != null) {
      // 2. The point forecast from the series' cache
      double[] mean = keyed.forecast(key, due.window(), due.horizon());
      // 3. Half-widths: the series' own, or seeded once from the stateless split-conformal backtest
      OnlineIntervals online = state.onlineIntervals();
      int calibrated = Math.min(serving.calibratedHistory(due.horizon()), state.capacity());
      if (online == null || online.horizon() != due.horizon() || online.seedWindow() < calibrated) {
        int n = due.window().size();
        online = OnlineIntervals.seed(serving.stateless().forecast(due.window(), due.horizon()), n);
        state.setOnlineIntervals(online);
      }
      forecast = online.around(mean);
      operator.complete(state, due, forecast);
    }
    return new StepResult(admission.rejection(), admission.reason(), admission.check(), forecast, admission.windowReset());
  }
}

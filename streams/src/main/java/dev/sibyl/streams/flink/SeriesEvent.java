package dev.sibyl.streams.flink;

import dev.sibyl.models.api.ForecastResult;
import dev.sibyl.models.api.SeriesWindow;
import dev.sibyl.streams.core.ForecastRequest;

/**
 * One accepted observation of one series on its way from {@link SeriesFunction} through {@link
 * InferenceFunction} to {@link ScoringFunction}, with the forecast request it made due, if any, and
 * after inference the answer. Observations and requests travel in one stream so that the ordered
 * asynchronous operator keeps them in the order the series function emitted them: the scoring step
 * then sees, per series, exactly the sequence the synchronous Streams processor goes through.
 *
 * @param source the unit
 * @param channel the channel
 * @param timestamp event time of the observation
 * @param value its value
 * @param windowReset whether a long gap reset the window before it
 * @param warm whether the window held the warm-up count of points before it
 * @param raw the record it came from, for a dead letter should the forecast fail; null when no
 *     forecast is due
 * @param windowTimestamps the due request's window; null when none is due; shape (window)
 * @param windowValues its values; shape (window)
 * @param stepMillis its nominal step
 * @param horizon steps to forecast
 * @param mean the answer's means; null until answered; shape (horizon)
 * @param lower the answer's lower bounds; shape (horizon)
 * @param upper the answer's upper bounds; shape (horizon)
 * @param coverage the answer's nominal coverage
 * @param degraded whether the fallback model answered
 * @param failure why no model could answer; null otherwise
 */
public record SeriesEvent(
    String source,
    String channel,
    long timestamp,
    double value,
    boolean windowReset,
    boolean warm,
    RawRecord raw,
    long[] windowTimestamps,
    double[] windowValues,
    long stepMillis,
    int horizon,
    double[] mean,
    double[] lower,
    double[] upper,
    double coverage,
    boolean degraded,
    String failure) {

  /** An accepted observation that made no forecast due. */
  static SeriesEvent observation(String source, String channel, long timestamp, double value, boolean windowReset, boolean warm) {
    return new SeriesEvent(source, channel, timestamp, value, windowReset, warm, null, null, null, 0, 0, null, null, null, 0, false, null);
  }

  /** An accepted observation after which a forecast is due. */
  static SeriesEvent due(
      String source, String channel, long timestamp, double value, boolean windowReset, boolean warm, RawRecord raw, ForecastRequest request) {
    SeriesWindow window = request.window();
    return new SeriesEvent(
        source, channel, timestamp, value, windowReset, warm, raw, window.timestamps(), window.values(), window.stepMillis(), request.horizon(),
        null, null, null, 0, false, null);
  }

  /** Whether a forecast is due after this observation. */
  boolean hasRequest() {
    return windowTimestamps != null;
  }

  /** The due request; only when {@link #hasRequest()}. */
  ForecastRequest request() {
    return new ForecastRequest(new SeriesWindow(windowTimestamps, windowValues, stepMillis), horizon);
  }

  /** The model's answer; null when there is none. */
  ForecastResult result() {
    return mean == null ? null : new ForecastResult(mean, lower, upper, coverage);
  }

  /** This event with the model's answer. */
  SeriesEvent answered(ForecastResult result, boolean fromFallback) {
    return new SeriesEvent(
        source, channel, timestamp, value, windowReset, warm, raw, windowTimestamps, windowValues, stepMillis, horizon,
        result.mean(), result.lower(), result.upper(), result.coverage(), fromFallback, null);
  }

  /** This event with the reason no model answered. */
  SeriesEvent failed(String reason) {
    return new SeriesEvent(
        source, channel, timestamp, value, windowReset, warm, raw, windowTimestamps, windowValues, stepMillis, horizon,
        null, null, null, 0, false, reason);
  }
}

package dev.sibyl.streams.core;

import dev.sibyl.models.api.ForecastResult;
import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.SeriesWindow;
import java.util.Arrays;

/**
 * The engine-independent step of the pipeline for one series: admit an observation (order, gaps),
 * check it against the latest forecast, append it to the window, and forecast when the cadence is
 * due. Kafka Streams and Flink operators call it with the state they hold for the series.
 *
 * <h2>Policy for time</h2>
 *
 * <ul>
 *   <li><b>Order.</b> A series is processed in event-time order. A point older than the newest
 *       accepted point of its series is <i>late</i>: it is not inserted into the past (the window,
 *       the forecasts and the flags already issued depend on what came before) but rejected, and
 *       the caller sends it to the dead-letter topic so that it can be inspected or replayed.
 *   <li><b>Duplicates.</b> A point with the same timestamp as the newest one is a duplicate
 *       (e.g. a producer retry without idempotence) and is rejected the same way; the reason says
 *       whether its value agreed with the accepted one.
 *   <li><b>Gaps.</b> The nominal step of a series is the median spacing of its window. Missing
 *       points are not invented: a gap of up to {@code maxGapSteps} steps is kept as is (the models
 *       see the points as consecutive), a longer one resets the window and the latest forecast,
 *       and forecasting resumes once the window has refilled to the model's minimum history.
 * </ul>
 *
 * <h2>Scoring</h2>
 *
 * Every observation that a forecast covers updates the series' {@link ExcursionLikelihood}, inside
 * the interval or not and during the warm-up too, so that the series' usual excursions are learnt
 * by the time flags may be raised. A check is returned only once the window holds {@code
 * warmupPoints} points; it carries a score only when the observation lies outside the interval, and
 * that score is the likelihood-based one.
 */
public final class SeriesOperator {

  private final Forecaster forecaster;
  private final int horizon;
  private final int cadence;
  private final int maxGapSteps;
  private final int minHistory;
  private final int warmupPoints;
  private final double likelihoodAlpha;
  private final String modelId;
  private final double onlineGamma; // the step of the online intervals' update; 0 on the stateless paths

  /**
   * @param forecaster the model; its {@link Forecaster#minHistory()} decides when forecasting starts
   * @param horizon steps per forecast, positive
   * @param cadence a forecast every this many accepted points, in [1, horizon]
   * @param maxGapSteps a longer gap resets the window, positive
   * @param warmupPoints observations are checked only once the window holds this many points
   */
  public SeriesOperator(Forecaster forecaster, int horizon, int cadence, int maxGapSteps, int warmupPoints) {
    this(forecaster, horizon, cadence, maxGapSteps, warmupPoints, ExcursionLikelihood.DEFAULT_LIKELIHOOD_ALPHA);
  }

  /**
   * @param forecaster the model; its {@link Forecaster#minHistory()} decides when forecasting starts
   * @param horizon steps per forecast, positive
   * @param cadence a forecast every this many accepted points, in [1, horizon]
   * @param maxGapSteps a longer gap resets the window, positive
   * @param warmupPoints observations are checked only once the window holds this many points
   * @param likelihoodAlpha weight of the newest observation in the scorer's estimates, in (0, 1]
   */
  public SeriesOperator(
      Forecaster forecaster,
      int horizon,
      int cadence,
      int maxGapSteps,
      int warmupPoints,
      double likelihoodAlpha) {
    if (horizon < 1 || cadence < 1 || cadence > horizon || maxGapSteps < 1 || warmupPoints < 0) {
      throw new IllegalArgumentException(
          "need horizon >= 1, 1 <= cadence <= horizon and maxGapSteps >= 1, got horizon="
              + horizon + ", cadence=" + cadence + ", maxGapSteps=" + maxGapSteps + ", warmupPoints=" + warmupPoints);
    }
    if (!(likelihoodAlpha > 0 && likelihoodAlpha <= 1)) {
      throw new IllegalArgumentException("need a likelihood alpha in (0, 1], got " + likelihoodAlpha);
    }
    this.likelihoodAlpha = likelihoodAlpha;
    this.forecaster = forecaster;
    this.horizon = horizon;
    this.cadence = cadence;
    this.maxGapSteps = maxGapSteps;
    this.minHistory = Math.max(2, forecaster.minHistory());
    this.warmupPoints = warmupPoints;
    this.modelId = forecaster.family() + ":" + forecaster.version();
    this.onlineGamma = 0;
  }

  /** A copy of {@code base} whose checks also update a series' online intervals with step gamma. */
  private SeriesOperator(SeriesOperator base, double onlineGamma) {
    this.forecaster = base.forecaster;
    this.horizon = base.horizon;
    this.cadence = base.cadence;
    this.maxGapSteps = base.maxGapSteps;
    this.minHistory = base.minHistory;
    this.warmupPoints = base.warmupPoints;
    this.likelihoodAlpha = base.likelihoodAlpha;
    this.modelId = base.modelId;
    this.onlineGamma = onlineGamma;
  }

  /**
   * This operator, with every observation that the latest forecast covers also updating the
   * series' {@link OnlineIntervals} (when it has them), warm-up or not: the keyed path's intervals.
   *
   * @param gamma the step of the update on the log scale, in [0, 1]; 0 freezes the seeded widths
   * @return the new operator
   * @throws IllegalArgumentException when gamma is out of range
   */
  public SeriesOperator withOnlineIntervals(double gamma) {
    if (!(gamma >= 0 && gamma <= 1)) {
      throw new IllegalArgumentException("need an online interval gamma in [0, 1], got " + gamma);
    }
    return new SeriesOperator(this, gamma);
  }

  /** The id carried by every forecast and flag: {@code family:version}. */
  public String modelId() {
    return modelId;
  }

  /** The forecaster's family. */
  public String modelFamily() {
    return forecaster.family();
  }

  /** The forecaster's version. */
  public String modelVersion() {
    return forecaster.version();
  }

  /**
   * Processes one observation of a series and, when a forecast is due, runs the forecaster on the
   * calling thread: {@link #admit} followed by {@link #complete}.
   *
   * @param state the series' state, updated in place
   * @param timestamp event time in epoch milliseconds
   * @param value a finite value (validation happens before)
   * @return what happened: a rejection, or an optional check and an optional new forecast
   * @throws RuntimeException whatever the forecaster throws; the state then holds the new point but
   *     no new forecast, and the next point is due again
   */
  public StepResult onObservation(SeriesState state, long timestamp, double value) {
    Admission admission = admit(state, timestamp, value);
    ForecastResult forecast = null;
    if (admission.due() != null) {
      ForecastRequest due = admission.due();
      forecast = forecaster.forecast(due.window(), due.horizon());
      complete(state, due, forecast);
    }
    return new StepResult(admission.rejection(), admission.reason(), admission.check(), forecast, admission.windowReset());
  }

  /**
   * Admits one observation without calling the model: order and gaps, the check against the latest
   * forecast, the append, and whether a forecast is now due. An engine that runs the model
   * elsewhere (a worker pool, an asynchronous operator) sends {@link Admission#due()} there and
   * hands the answer to {@link #complete}; until then the series stays due, so the caller must
   * remember what it has in flight rather than send the same series again.
   *
   * @param state the series' state, updated in place
   * @param timestamp event time in epoch milliseconds
   * @param value a finite value (validation happens before)
   * @return what happened; {@code due} is null when no forecast is due
   */
  public Admission admit(SeriesState state, long timestamp, double value) {
    boolean windowReset = false;
    if (state.size() > 0) {
      // 1. Order: late points and duplicates are rejected, never inserted into the past.
      long last = state.lastTimestamp();
      if (timestamp < last) {
        return Admission.rejected(
            Rejection.LATE, "late: timestamp " + timestamp + " is before the series' newest point " + last);
      }
      if (timestamp == last) {
        return Admission.rejected(
            Rejection.DUPLICATE,
            value == state.lastValue()
                ? "duplicate: timestamp " + timestamp + " was already accepted with the same value"
                : "duplicate: timestamp " + timestamp + " was already accepted with value " + state.lastValue() + ", not " + value);
      }
      // 2. Gaps: a long silence makes the window meaningless as a sequence; start again.
      if (state.stepMillis() > 0 && timestamp - last > (long) maxGapSteps * state.stepMillis()) {
        state.reset();
        windowReset = true;
      } else if (state.stepMillis() == 0) {
        state.setStepMillis(timestamp - last);
      }
    }

    // 3. Score the observation against the forecast made before it arrived; report it once warmed up.
    AnomalyCheck check = checkAgainstLatestForecast(state, timestamp, value, state.size() >= warmupPoints);

    // 4. Append, then say whether a forecast is due: the cadence has come and the window is long enough.
    state.append(timestamp, value);
    ForecastRequest due = null;
    if (state.size() >= minHistory && state.pointsSinceForecast() >= cadence) {
      long[] timestamps = state.timestampsInOrder();
      state.setStepMillis(medianSpacing(timestamps));
      due = new ForecastRequest(new SeriesWindow(timestamps, state.valuesInOrder(), state.stepMillis()), horizon);
    }
    return new Admission(null, null, check, due, windowReset);
  }

  /**
   * Records the model's answer to a request from {@link #admit} as the series' latest forecast,
   * the one later observations are checked against. An answer older than the latest forecast (a
   * slow request overtaken by a newer one) is ignored, and so is one for a window that a gap reset
   * since.
   *
   * @param state the series' state, updated in place
   * @param request what was asked
   * @param result the model's answer to it
   * @return whether the answer became the latest forecast
   */
  public boolean complete(SeriesState state, ForecastRequest request, ForecastResult result) {
    long issuedAt = request.issuedAt();
    LatestForecast latest = state.latestForecast();
    if ((latest != null && latest.issuedAt() >= issuedAt) || state.size() == 0 || state.timestampAt(0) > issuedAt) {
      return false;
    }
    state.setLatestForecast(
        new LatestForecast(issuedAt, request.window().stepMillis(), result.mean(), result.lower(), result.upper(), result.coverage(), modelId));
    state.setPointsSinceForecast(state.pointsAfter(issuedAt));
    return true;
  }

  /**
   * Checks an observation against the series' latest forecast and updates its scorer, as {@link
   * #admit} does before appending; for an engine that scores in another operator than the one
   * holding the window (Flink: after the asynchronous model call), on a state that holds only the
   * latest forecast and the scorer.
   *
   * @param state the state holding the latest forecast and the scorer, updated in place
   * @param timestamp event time of the observation
   * @param value its value
   * @param warm whether the window held at least the warm-up count of points before it (after a
   *     gap reset: none)
   * @return the check, or null when no forecast covers the observation or it is not warm
   */
  public AnomalyCheck check(SeriesState state, long timestamp, double value, boolean warm) {
    return checkAgainstLatestForecast(state, timestamp, value, warm);
  }

  /** Whether a window that held {@code size} points before an observation is past the warm-up. */
  public boolean warm(int size) {
    return size >= warmupPoints;
  }

  private AnomalyCheck checkAgainstLatestForecast(SeriesState state, long timestamp, double value, boolean warm) {
    LatestForecast latest = state.latestForecast();
    if (latest == null) {
      return null;
    }
    int k = latest.stepIndexFor(timestamp);
    if (k < 0) {
      return null;
    }
    double mean = latest.mean()[k];
    double lower = latest.lower()[k];
    double upper = latest.upper()[k];
    double distance = AnomalyScore.distance(value, mean, lower, upper);
    ExcursionLikelihood scorer = state.scorer();
    double score = scorer.update(distance, likelihoodAlpha);
    boolean inside = value >= lower && value <= upper;
    OnlineIntervals online = state.onlineIntervals();
    if (online != null && onlineGamma > 0 && k < online.horizon()) {
      online.observe(k, !inside, onlineGamma);
    }
    if (!warm) {
      return null;
    }
    AnomalyScore anomaly = inside ? null : AnomalyScore.withLikelihood(score, distance, value > upper, latest.coverage(), scorer);
    return new AnomalyCheck(timestamp, value, mean, lower, upper, anomaly, latest.model());
  }

  /** The median of the spacings between consecutive timestamps (at least 1 ms). */
  static long medianSpacing(long[] timestamps) {
    long[] spacings = new long[timestamps.length - 1];
    for (int i = 1; i < timestamps.length; i++) {
      spacings[i - 1] = timestamps[i] - timestamps[i - 1];
    }
    Arrays.sort(spacings);
    return Math.max(1, spacings[spacings.length / 2]);
  }

  /** Why an observation was not accepted. */
  public enum Rejection {
    /** Older than the newest accepted point of its series. */
    LATE,
    /** Same timestamp as the newest accepted point. */
    DUPLICATE
  }

  /**
   * An observation checked against its forecast.
   *
   * @param score null when the observation lies inside the interval
   */
  public record AnomalyCheck(
      long timestamp, double observed, double expected, double lower, double upper, AnomalyScore score, String model) {}

  /**
   * What {@link #admit} decided about one observation.
   *
   * @param rejection null when the observation was accepted
   * @param reason why it was rejected; null when accepted
   * @param check the check against the latest forecast; null when there was none to check against
   * @param due the forecast now due; null when none is
   * @param windowReset whether a long gap reset the window before this observation
   */
  public record Admission(Rejection rejection, String reason, AnomalyCheck check, ForecastRequest due, boolean windowReset) {

    static Admission rejected(Rejection rejection, String reason) {
      return new Admission(rejection, reason, null, null, false);
    }
  }

  /**
   * The outcome of one observation.
   *
   * @param rejection null when the observation was accepted
   * @param reason why it was rejected; null when accepted
   * @param check the check against the latest forecast; null when there was none to check against
   * @param forecast a new forecast issued after this observation; null when none was due
   * @param windowReset whether a long gap reset the window before this observation
   */
  public record StepResult(
      Rejection rejection, String reason, AnomalyCheck check, ForecastResult forecast, boolean windowReset) {}
}

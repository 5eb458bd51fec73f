package dev.sibyl.streams.flink;

import dev.sibyl.models.api.ForecastResult;
import dev.sibyl.streams.core.ForecastRequest;
import dev.sibyl.streams.core.SeriesOperator;
import dev.sibyl.streams.core.SeriesOperator.AnomalyCheck;
import dev.sibyl.streams.core.SeriesState;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The last step, keyed by source: checks each observation against its series' latest forecast
 * ({@link SeriesOperator#check}), raises a flag when the score reaches {@code anomaly.min-score},
 * then records the answer the event carries as the latest forecast ({@link SeriesOperator#complete})
 * and writes it out. The events of a series arrive in the order {@link SeriesFunction} emitted them
 * (the asynchronous operator is ordered), so an observation is checked against exactly the forecast
 * the synchronous Streams processor would check it against: the newest one issued before it.
 *
 * <p>State per series: a two-point {@link SeriesState} holding the newest observations, the latest
 * forecast and the anomaly scorer, in Flink map state like the series function's. A gap reset seen
 * by the series function resets it too, as it resets the one state of the Streams processor.
 */
public final class ScoringFunction extends KeyedProcessFunction<String, SeriesEvent, OutputRecord> {

  private static final long serialVersionUID = 1L;

  /** The dead-letter stage of a point no model could forecast after (the Streams pipeline's name). */
  static final String STAGE_FORECAST = "forecast";

  /** Prefix of this function's state names; part of every savepoint. */
  static final String STATE_PREFIX = "scoring";

  /** Observations the scoring state keeps: enough for {@link SeriesOperator#complete} to place a forecast. */
  private static final int SCORING_CAPACITY = 2;

  private final SeriesSettings settings;
  private final long ttlMillis;
  private final OutputEncoder encoder;
  private transient SeriesOperator operator;
  private transient SeriesStateMaps states;

  /**
   * @param settings the series policy
   * @param ttlMillis state time-to-live of a quiet unit; 0 keeps it forever
   * @param encoder encodes the outputs
   */
  ScoringFunction(SeriesSettings settings, long ttlMillis, OutputEncoder encoder) {
    this.settings = settings;
    this.ttlMillis = ttlMillis;
    this.encoder = encoder;
  }

  @Override
  public void open(OpenContext context) {
    operator = settings.operator();
    states = SeriesStateMaps.open(getRuntimeContext(), STATE_PREFIX, SCORING_CAPACITY, ttlMillis);
    encoder.open();
  }

  @Override
  public void processElement(SeriesEvent event, Context context, Collector<OutputRecord> out) throws Exception {
    SeriesState state = states.load(event.channel());
    // 1. A gap reset the window: forget the forecast, end the scorer's run (SeriesState.reset).
    if (event.windowReset()) {
      state.reset();
    }
    // 2. Check against the forecast made before this observation, then keep the observation.
    AnomalyCheck check = operator.check(state, event.timestamp(), event.value(), event.warm());
    state.append(event.timestamp(), event.value());
    if (check != null && check.score() != null && check.score().score() >= settings.minScore()) {
      out.collect(encoder.flag(event.source(), event.channel(), check, event.timestamp()));
    }
    // 3. The forecast issued after it, or why there is none.
    boolean recorded = false;
    ForecastResult result = event.result();
    if (result != null) {
      ForecastRequest request = event.request();
      recorded = operator.complete(state, request, result);
      out.collect(
          encoder.forecast(
              event.source(),
              event.channel(),
              request.issuedAt(),
              request.window().stepMillis(),
              request.window().size(),
              result,
              operator.modelFamily(),
              operator.modelVersion(),
              event.degraded(),
              event.timestamp()));
    } else if (event.failure() != null) {
      out.collect(
          encoder.deadLetter(
              event.raw(), STAGE_FORECAST, "channel '" + event.channel() + "': " + event.failure(), context.timerService().currentProcessingTime()));
    }
    states.save(event.channel(), state, event.windowReset(), recorded);
  }
}

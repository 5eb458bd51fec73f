package dev.sibyl.streams.flink;

import dev.sibyl.streams.core.SeriesOperator;
import dev.sibyl.streams.core.SeriesOperator.Admission;
import dev.sibyl.streams.core.SeriesState;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The per-series window, keyed by source as in the Streams topology (all channels of a unit in one
 * key): each channel of a point goes through {@link SeriesOperator#admit} over the series' state in
 * Flink map state (see {@link SeriesStateMaps}), and an accepted observation leaves as a {@link
 * SeriesEvent}, with the forecast request when the cadence made one due. Late and duplicate points
 * go to the dead letters, stage {@value #STAGE_ORDER}, one letter per point naming each channel's
 * problem, as in Streams.
 *
 * <p>The model is not called here (see {@link InferenceFunction}). A due request counts as issued at
 * once: the series' cadence restarts from it, as the synchronous path does when the answer comes
 * back, so that the series is not due again while its request is in flight. The latest forecast is
 * not kept here but in {@link ScoringFunction}, which sees the answers.
 *
 * <p>The cadence is a count of accepted points, as in {@link SeriesOperator}; this function sets no
 * timers, because a forecast made on an event-time timer would be made at points where the Streams
 * pipeline makes none. Quiet series are removed by state TTL.
 */
public final class SeriesFunction extends KeyedProcessFunction<String, Point, SeriesEvent> {

  private static final long serialVersionUID = 1L;

  /** The dead-letter stage of late and duplicate points (the Streams pipeline's name). */
  static final String STAGE_ORDER = "order";

  /** Prefix of this function's state names; part of every savepoint. */
  static final String STATE_PREFIX = "series";

  private final SeriesSettings settings;
  private final long ttlMillis;
  private final OutputEncoder encoder;
  private transient SeriesOperator operator;
  private transient SeriesStateMaps states;

  /**
   * @param settings the series policy
   * @param ttlMillis state time-to-live of a quiet unit; 0 keeps it forever
   * @param encoder encodes dead letters
   */
  SeriesFunction(SeriesSettings settings, long ttlMillis, OutputEncoder encoder) {
    this.settings = settings;
    this.ttlMillis = ttlMillis;
    this.encoder = encoder;
  }

  @Override
  public void open(OpenContext context) {
    operator = settings.operator();
    states = SeriesStateMaps.open(getRuntimeContext(), STATE_PREFIX, settings.lookback(), ttlMillis);
    encoder.open();
  }

  @Override
  public void processElement(Point point, Context context, Collector<SeriesEvent> out) throws Exception {
    List<String> problems = null; // made on the first problem: most points have none
    for (int i = 0; i < point.channels().length; i++) {
      String channel = point.channels()[i];
      double value = point.values()[i];
      SeriesState state = states.load(channel);
      int sizeBefore = state.size();
      Admission admission = operator.admit(state, point.timestamp(), value);
      if (admission.rejection() != null) {
        problems = problems == null ? new ArrayList<>() : problems;
        problems.add("channel '" + channel + "': " + admission.reason());
        continue;
      }
      boolean warm = operator.warm(admission.windowReset() ? 0 : sizeBefore);
      if (admission.due() != null) {
        state.setPointsSinceForecast(0);
        out.collect(SeriesEvent.due(point.source(), channel, point.timestamp(), value, admission.windowReset(), warm, point.raw(), admission.due()));
      } else {
        out.collect(SeriesEvent.observation(point.source(), channel, point.timestamp(), value, admission.windowReset(), warm));
      }
      states.save(channel, state, admission.windowReset(), false);
    }
    if (problems != null) {
      context.output(
          DecodeFunction.DEAD_LETTERS,
          encoder.deadLetter(point.raw(), STAGE_ORDER, String.join("; ", problems), context.timerService().currentProcessingTime()));
    }
  }
}

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
 * <h2>Why the cadence counts points, and what the event-time timers do</h2>
 *
 * The cadence is a count of accepted points, as in {@link SeriesOperator}, not a timer: the Flink
 * job must make its forecasts at exactly the points where the Kafka Streams pipeline makes them,
 * from the same windows, so that both engines give the same outputs. A forecast made when an
 * event-time timer fires would be made at a watermark, which depends on the other sources of the
 * partition and on the out-of-orderness bound, and would see a window the Streams pipeline never
 * forecasts from. So timers never decide which points are due.
 *
 * <p>Timers free the state of series that have gone quiet. The core resets a series' window when a
 * point comes more than {@code forecast.max-gap-steps} steps after the newest one; it does so
 * lazily, at that next point, so a series that never speaks again would keep its window until the
 * processing-time TTL. Here each series with a known step has an event-time timer at {@code last +
 * maxGapSteps * step}: once the watermark passes it, every point still to come in order is past
 * the gap and would reset the window anyway, so the timer drops the window and the latest
 * forecast at once, deterministically in event time (a replay frees the same series at the same
 * points of the input). Only the series' newest point is kept ({@link SeriesStateMaps#free}), so
 * that the next point is judged as the core judges it against the whole window: late and duplicate
 * points are rejected with the same reasons, and a point after the gap resets the window, with the
 * {@code windowReset} mark that makes {@link ScoringFunction} reset too. The outputs are those of
 * the Streams pipeline, with one exception: a point that comes behind the watermark (later than
 * the out-of-orderness bound) and inside the gap starts from the kept point instead of the whole
 * window. That kept point and the scoring state go with the TTL.
 *
 * <p>Timers are per unit (the key) and timestamp; a point moves its channels' timers forward, and a
 * timer that fires checks every channel of the unit against its own deadline, so a timer shared or
 * moved by another channel only delays a free, never makes a wrong one.
 */
public final class SeriesFunction extends KeyedProcessFunction<String, Point, SeriesEvent> {

  private static final long serialVersionUID = 1L;

  /** The dead-letter stage of late and duplicate points (the Streams pipeline's name). */
  static final String STAGE_ORDER = "order";

  /** Prefix of this function's state names; part of every savepoint. */
  static final String STATE_PREFIX = "series";

  private static final long NO_DEADLINE = Long.MIN_VALUE;

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

  /** The watermark frees the unit's series whose gap it has passed; the others get their timers again. */
  @Override
  public void onTimer(long timestamp, OnTimerContext context, Collector<SeriesEvent> out) throws Exception {
    List<String> channels = new ArrayList<>();
    states.channels().forEach(channels::add);
    for (String channel : channels) {
      SeriesState state = states.load(channel);
      long deadline = quietDeadline(state);
      if (deadline == NO_DEADLINE) {
        continue;
      }
      if (deadline <= context.timerService().currentWatermark()) {
        states.free(channel, state);
      } else {
        context.timerService().registerEventTimeTimer(deadline);
      }
    }
  }

  /**
   * The event time after which a series has been quiet longer than the gap that resets its window:
   * from then on every point in order resets it. None while the step is not known.
   */
  private long quietDeadline(SeriesState state) {
    if (state.size() == 0 || state.stepMillis() <= 0) {
      return NO_DEADLINE;
    }
    long gap = (long) settings.maxGapSteps() * state.stepMillis();
    long last = state.lastTimestamp();
    return last > Long.MAX_VALUE - gap ? NO_DEADLINE : last + gap;
  }

  @Override
  public void processElement(Point point, Context context, Collector<SeriesEvent> out) throws Exception {
    List<String> problems = null; // made on the first problem: most points have none
    for (int i = 0; i < point.channels().length; i++) {
      String channel = point.channels()[i];
      double value = point.values()[i];
      SeriesState state = states.load(channel);
      int sizeBefore = state.size();
      long deadlineBefore = quietDeadline(state);
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
      long deadline = quietDeadline(state);
      if (deadline != deadlineBefore) {
        if (deadlineBefore != NO_DEADLINE) {
          context.timerService().deleteEventTimeTimer(deadlineBefore);
        }
        if (deadline != NO_DEADLINE) {
          context.timerService().registerEventTimeTimer(deadline);
        }
      }
    }
    if (problems != null) {
      context.output(
          DecodeFunction.DEAD_LETTERS,
          encoder.deadLetter(point.raw(), STAGE_ORDER, String.join("; ", problems), context.timerService().currentProcessingTime()));
    }
  }
}

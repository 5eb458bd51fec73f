package dev.sibyl.streams.kafka;

import dev.sibyl.schemas.AnomalyFlag;
import dev.sibyl.schemas.Forecast;
import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.streams.core.ResultRecords;
import dev.sibyl.streams.core.SeriesId;
import dev.sibyl.streams.core.SeriesOperator;
import dev.sibyl.streams.core.SeriesOperator.StepResult;
import dev.sibyl.streams.core.SeriesState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Second step of the topology: for each channel of a valid point, runs the {@link SeriesOperator}
 * over the series' state from the store and emits what it produced: an {@link AnomalyFlag} when the
 * observation falls outside the latest forecast's interval, a {@link Forecast} when the cadence is
 * due, and a dead letter when the point was rejected (late or duplicate) or the model failed.
 *
 * <p>What runs per channel is a {@link ChannelStep}, opened in {@link #init} and closed in {@link
 * #close}: the synchronous {@link SeriesOperator#onObservation}, or the keyed path's step ({@link
 * KeyedChannelStep}), whose model state (KV caches) belongs to the task. Each instance serves one
 * stream task (the topology's supplier makes a new one each time), so that state is touched by the
 * task's thread only. {@code init} runs again on a revived task, whose stores were restored from
 * their changelogs: decoded states and the step's model state are dropped then.
 */
final class SeriesProcessor implements Processor<Object, Object, Object, Object> {

  private static final Logger LOG = LoggerFactory.getLogger(SeriesProcessor.class);

  /** One channel's step of a point, opened per task. */
  interface ChannelStep extends AutoCloseable {

    /**
     * Runs the series' step for one observation.
     *
     * @param series the series
     * @param state its state, updated in place
     * @param timestamp the observation's time, epoch milliseconds
     * @param value the observation
     * @return what the step produced
     */
    StepResult apply(SeriesId series, SeriesState state, long timestamp, double value);

    /** Drops whatever model state the step keeps for a series whose model call failed. */
    default void failed(SeriesId series) {}

    @Override
    default void close() {}
  }

  private final SeriesOperator operator;
  private final Supplier<ChannelStep> steps;
  private final int lookback;
  private final int maxCachedSeries;
  private final double minScore;
  private ProcessorContext<Object, Object> context;
  private SeriesStateStore store;
  private ChannelStep step;

  /** The synchronous path: {@link SeriesOperator#onObservation} per channel. */
  SeriesProcessor(SeriesOperator operator, int lookback, int maxCachedSeries, double minScore) {
    this(operator, () -> (series, state, timestamp, value) -> operator.onObservation(state, timestamp, value), lookback, maxCachedSeries, minScore);
  }

  /**
   * @param operator the policy (names the model in outputs and dead letters)
   * @param steps opens the task's channel step
   * @param lookback points kept per series
   * @param maxCachedSeries decoded windows kept in memory
   * @param minScore the least score that raises a flag
   */
  SeriesProcessor(SeriesOperator operator, Supplier<ChannelStep> steps, int lookback, int maxCachedSeries, double minScore) {
    this.operator = operator;
    this.steps = steps;
    this.lookback = lookback;
    this.maxCachedSeries = maxCachedSeries;
    this.minScore = minScore;
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    // init runs again when a task is revived after an aborted transaction: the stores have been
    // restored from their changelogs, so any decoded state from before must go.
    this.context = context;
    KeyValueStore<Bytes, byte[]> points = context.getStateStore(ForecastTopology.SERIES_POINTS_STORE);
    KeyValueStore<Bytes, byte[]> metas = context.getStateStore(ForecastTopology.SERIES_META_STORE);
    KeyValueStore<Bytes, byte[]> forecasts = context.getStateStore(ForecastTopology.SERIES_FORECAST_STORE);
    this.store = new SeriesStateStore(points, metas, forecasts, lookback, maxCachedSeries);
    closeStep();
    this.step = steps.get();
  }

  @Override
  public void process(Record<Object, Object> record) {
    DecodedPoint decoded = (DecodedPoint) record.value();
    TelemetryPoint point = decoded.point();
    long timestamp = point.getTimestamp().toEpochMilli();
    List<String> problems = null; // made on the first problem: most points have none
    String stage = DeadLetters.STAGE_ORDER;
    // Channels in name order, so that output order does not depend on the map's hashing.
    Map<String, Double> values = point.getValues();
    for (Map.Entry<String, Double> channel : values.size() == 1 ? values.entrySet() : new TreeMap<>(values).entrySet()) {
      SeriesId series = new SeriesId(point.getSource(), channel.getKey());
      SeriesState state = store.load(series);
      StepResult result;
      try {
        result = step.apply(series, state, timestamp, channel.getValue());
      } catch (RuntimeException e) {
        // The point itself is fine and already appended; the model failed on this window.
        LOG.warn("forecaster failed on series {}/{}", series.source(), series.channel(), e);
        step.failed(series);
        store.saveObservation(series, state, false, false);
        problems = problems == null ? new ArrayList<>() : problems;
        problems.add("channel '" + series.channel() + "': forecaster " + operator.modelId() + " failed: " + DecodeProcessor.describe(e));
        stage = DeadLetters.STAGE_FORECAST;
        continue;
      }
      if (result.rejection() != null) {
        problems = problems == null ? new ArrayList<>() : problems;
        problems.add("channel '" + series.channel() + "': " + result.reason());
        continue;
      }
      store.saveObservation(series, state, result.windowReset(), result.forecast() != null);
      if (result.check() != null && result.check().score() != null && result.check().score().score() >= minScore) {
        emit(record, ResultRecords.flag(series, result.check()), ForecastTopology.ANOMALY_SINK);
      }
      if (result.forecast() != null) {
        emit(
            record,
            ResultRecords.forecast(
                series, state.lastTimestamp(), state.stepMillis(), state.size(), result.forecast(), operator.modelFamily(), operator.modelVersion(), false),
            ForecastTopology.FORECAST_SINK);
      }
    }
    if (problems != null) {
      emit(
          record,
          DeadLetters.of(context, decoded.rawKey(), decoded.rawValue(), stage, String.join("; ", problems)),
          ForecastTopology.DEAD_LETTER_SINK);
    }
  }

  @Override
  public void close() {
    closeStep();
  }

  private void closeStep() {
    if (step != null) {
      step.close();
      step = null;
    }
  }

  private void emit(Record<Object, Object> input, Object value, String sink) {
    context.forward(input.withValue(value), sink);
  }


}

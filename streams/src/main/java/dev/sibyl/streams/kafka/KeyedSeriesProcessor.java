package dev.sibyl.streams.kafka;

import dev.sibyl.models.api.KeyedForecaster;
import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.streams.core.KeyedSeriesOperator;
import dev.sibyl.streams.core.ResultRecords;
import dev.sibyl.streams.core.SeriesId;
import dev.sibyl.streams.core.SeriesOperator;
import dev.sibyl.streams.core.SeriesOperator.StepResult;
import dev.sibyl.streams.core.SeriesState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The series step of the keyed path ({@code model.option.streaming=kv-cache}, a model that keeps
 * per-series state): per channel of a valid point, {@link KeyedSeriesOperator} over the series'
 * state from the store, emitting what {@link SeriesProcessor} emits (flags, forecasts, dead
 * letters), from the same stores under the same keys.
 *
 * <p>Each instance (one per stream task: the topology's supplier makes a new one each time) opens
 * its own {@link KeyedForecaster} in {@link #init} and closes it in {@link #close}, so that the
 * cached sessions of a task are touched by its thread only and a task that moves to another
 * instance leaves its memory behind. {@code init} runs again on a revived task, whose stores were
 * restored from their changelogs: the caches of both the decoded states and the keyed forecaster
 * are dropped then, and every series is rebuilt from its window on its next forecast.
 */
final class KeyedSeriesProcessor implements Processor<Object, Object, Object, Object> {

  private static final Logger LOG = LoggerFactory.getLogger(KeyedSeriesProcessor.class);

  private final KeyedSeriesOperator operator;
  private final int lookback;
  private final int maxCachedSeries;
  private final int maxKeyedSeries;
  private final double minScore;
  private ProcessorContext<Object, Object> context;
  private SeriesStateStore store;
  private KeyedForecaster keyed;

  /**
   * @param operator the keyed step
   * @param lookback points kept per series
   * @param maxCachedSeries decoded windows kept in memory
   * @param maxKeyedSeries series whose model state (KV cache) the task keeps
   * @param minScore the least score that raises a flag
   */
  KeyedSeriesProcessor(KeyedSeriesOperator operator, int lookback, int maxCachedSeries, int maxKeyedSeries, double minScore) {
    this.operator = operator;
    this.lookback = lookback;
    this.maxCachedSeries = maxCachedSeries;
    this.maxKeyedSeries = maxKeyedSeries;
    this.minScore = minScore;
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
    KeyValueStore<Bytes, byte[]> points = context.getStateStore(ForecastTopology.SERIES_POINTS_STORE);
    KeyValueStore<Bytes, byte[]> metas = context.getStateStore(ForecastTopology.SERIES_META_STORE);
    KeyValueStore<Bytes, byte[]> forecasts = context.getStateStore(ForecastTopology.SERIES_FORECAST_STORE);
    this.store = new SeriesStateStore(points, metas, forecasts, lookback, maxCachedSeries);
    closeKeyed();
    this.keyed = operator.serving().openKeyed(maxKeyedSeries);
  }

  @Override
  public void process(Record<Object, Object> record) {
    DecodedPoint decoded = (DecodedPoint) record.value();
    TelemetryPoint point = decoded.point();
    long timestamp = point.getTimestamp().toEpochMilli();
    SeriesOperator policy = operator.operator();
    List<String> problems = null; // made on the first problem: most points have none
    String stage = DeadLetters.STAGE_ORDER;
    // Channels in name order, so that output order does not depend on the map's hashing.
    Map<String, Double> values = point.getValues();
    for (Map.Entry<String, Double> channel : values.size() == 1 ? values.entrySet() : new TreeMap<>(values).entrySet()) {
      SeriesId series = new SeriesId(point.getSource(), channel.getKey());
      SeriesState state = store.load(series);
      StepResult result;
      try {
        result = operator.onObservation(keyed, series, state, timestamp, channel.getValue());
      } catch (RuntimeException e) {
        // The point itself is fine and already appended; the model failed on this window.
        LOG.warn("forecaster failed on series {}/{}", series.source(), series.channel(), e);
        keyed.forget(series.storeKey());
        store.saveObservation(series, state, false, false);
        problems = problems == null ? new ArrayList<>() : problems;
        problems.add("channel '" + series.channel() + "': forecaster " + policy.modelId() + " failed: " + DecodeProcessor.describe(e));
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
                series, state.lastTimestamp(), state.stepMillis(), state.size(), result.forecast(), policy.modelFamily(), policy.modelVersion(), false),
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
    closeKeyed();
  }

  private void closeKeyed() {
    if (keyed != null) {
      keyed.close();
      keyed = null;
    }
  }

  private void emit(Record<Object, Object> input, Object value, String sink) {
    context.forward(input.withValue(value), sink);
  }
}

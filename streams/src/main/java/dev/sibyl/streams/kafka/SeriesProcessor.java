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
 */
final class SeriesProcessor implements Processor<Object, Object, Object, Object> {

  private static final Logger LOG = LoggerFactory.getLogger(SeriesProcessor.class);

  private final SeriesOperator operator;
  private final int lookback;
  private final int maxCachedSeries;
  private final double minScore;
  private ProcessorContext<Object, Object> context;
  private SeriesStateStore store;

  SeriesProcessor(SeriesOperator operator, int lookback, int maxCachedSeries, double minScore) {
    this.operator = operator;
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
        result = operator.onObservation(state, timestamp, channel.getValue());
      } catch (RuntimeException e) {
        // The point itself is fine and already appended; the model failed on this window.
        LOG.warn("forecaster failed on series {}/{}", series.source(), series.channel(), e);
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

  private void emit(Record<Object, Object> input, Object value, String sink) {
    context.forward(input.withValue(value), sink);
  }


}

package dev.sibyl.streams.kafka;

import dev.sibyl.models.api.KeyedForecaster;
import dev.sibyl.streams.core.KeyedSeriesOperator;
import dev.sibyl.streams.core.SeriesId;
import dev.sibyl.streams.core.SeriesOperator.StepResult;
import dev.sibyl.streams.core.SeriesState;

/**
 * The series step of the keyed path ({@code model.option.streaming=kv-cache}, a model that keeps
 * per-series state): {@link KeyedSeriesOperator} with the task's own {@link KeyedForecaster},
 * opened with the step and closed with it, so that a task that moves to another instance leaves
 * its caches behind and every series is rebuilt from its window on its next forecast.
 */
final class KeyedChannelStep implements SeriesProcessor.ChannelStep {

  private final KeyedSeriesOperator operator;
  private final KeyedForecaster keyed;

  /**
   * @param operator the keyed step
   * @param maxSeries series whose model state (KV cache) the task keeps
   */
  KeyedChannelStep(KeyedSeriesOperator operator, int maxSeries) {
    this.operator = operator;
    this.keyed = operator.serving().openKeyed(maxSeries);
  }

  @Override
  public StepResult apply(SeriesId series, SeriesState state, long timestamp, double value) {
    return operator.onObservation(keyed, series, state, timestamp, value);
  }

  @Override
  public void failed(SeriesId series) {
    keyed.forget(series.storeKey());
  }

  @Override
  public void close() {
    keyed.close();
  }
}

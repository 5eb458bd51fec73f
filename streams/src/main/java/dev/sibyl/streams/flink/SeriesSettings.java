package dev.sibyl.streams.flink;

import dev.sibyl.streams.PipelineConfig;
import dev.sibyl.streams.core.SeriesOperator;
import java.io.Serializable;

/**
 * The per-series policy settings of the pipeline ({@code forecast.*}, {@code series.*}, {@code
 * anomaly.*}), read once on the client; the keyed operators build their {@link SeriesOperator} from
 * them, as the Streams topology does from the same keys.
 *
 * @param model the forecaster
 * @param lookback window length
 * @param horizon steps per forecast
 * @param cadence a forecast every this many points
 * @param maxGapSteps a longer gap resets the window
 * @param warmupPoints points before flags are raised
 * @param likelihoodAlpha the scorer's weight of the newest observation
 * @param minScore flags below this score are not written
 * @param maxFutureMillis how far ahead of the wall clock a timestamp may be
 */
record SeriesSettings(
    ModelSpec model,
    int lookback,
    int horizon,
    int cadence,
    int maxGapSteps,
    int warmupPoints,
    double likelihoodAlpha,
    double minScore,
    long maxFutureMillis)
    implements Serializable {

  /** The settings of a pipeline configuration. */
  static SeriesSettings of(PipelineConfig config, ModelSpec model) {
    return new SeriesSettings(
        model,
        config.getInt(PipelineConfig.LOOKBACK_CONFIG),
        config.getInt(PipelineConfig.HORIZON_CONFIG),
        config.getInt(PipelineConfig.CADENCE_CONFIG),
        config.getInt(PipelineConfig.MAX_GAP_STEPS_CONFIG),
        config.getInt(PipelineConfig.WARMUP_POINTS_CONFIG),
        config.getDouble(PipelineConfig.LIKELIHOOD_ALPHA_CONFIG),
        config.getDouble(PipelineConfig.MIN_SCORE_CONFIG),
        config.getLong(PipelineConfig.MAX_FUTURE_CONFIG));
  }

  /** The operator core over the model's descriptor (it admits and scores; it never forecasts). */
  SeriesOperator operator() {
    return new SeriesOperator(model.descriptor(), horizon, cadence, maxGapSteps, warmupPoints, likelihoodAlpha);
  }
}

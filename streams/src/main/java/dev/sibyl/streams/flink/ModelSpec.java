package dev.sibyl.streams.flink;

import dev.sibyl.models.api.ForecastResult;
import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.ForecasterRegistry;
import dev.sibyl.models.api.JointForecaster;
import dev.sibyl.models.api.SeriesWindow;
import dev.sibyl.streams.PipelineConfig;
import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The forecaster of the job as settings ({@code model.family}, {@code model.option.*}) that travel
 * to the task managers, where {@link #create()} builds the model; and what the keyed operators need
 * to know of it (family, version, minimum history), taken once on the client.
 *
 * @param family the forecaster family
 * @param options its options
 * @param version the model version, as the client built it
 * @param minHistory the fewest observations it forecasts from
 */
record ModelSpec(String family, Map<String, String> options, String version, int minHistory) implements Serializable {

  ModelSpec {
    options = new TreeMap<>(options);
  }

  /**
   * The model named by the pipeline settings; builds it once to check the settings and read its
   * version.
   *
   * @throws IllegalArgumentException naming a bad {@code model.*} setting
   */
  static ModelSpec of(PipelineConfig config) {
    Map<String, String> options = new HashMap<>();
    config.modelOptions().forEach((k, v) -> options.put(k, String.valueOf(v)));
    String family = config.getString(PipelineConfig.MODEL_FAMILY_CONFIG);
    Forecaster forecaster = ForecasterRegistry.create(family, options);
    if (forecaster instanceof JointForecaster) {
      // every forecast here is of one series; such a model would refuse each one at run time
      throw new IllegalArgumentException(
          PipelineConfig.MODEL_FAMILY_CONFIG + "=" + family + " reads the channels of a source together,"
              + " which the Flink job does not do yet (it forecasts one series at a time); run it on the Streams pipeline");
    }
    return new ModelSpec(family, options, forecaster.version(), forecaster.minHistory());
  }

  /** Builds the forecaster (in a task manager). */
  Forecaster create() {
    return ForecasterRegistry.create(family, options);
  }

  /** The artifact directory of a trained model, or null for a statistical one. */
  String artifact() {
    String artifact = options.get("artifact");
    return artifact == null || artifact.isBlank() ? null : artifact.trim();
  }

  /**
   * The model as the keyed operators see it: family, version and minimum history, for {@link
   * dev.sibyl.streams.core.SeriesOperator}'s policy and the records' model fields. Those operators
   * only admit and score; the model runs in {@link InferenceFunction}, so this one refuses to
   * forecast.
   */
  Forecaster descriptor() {
    ModelSpec spec = this;
    return new Forecaster() {
      @Override
      public String family() {
        return spec.family;
      }

      @Override
      public String version() {
        return spec.version;
      }

      @Override
      public int minHistory() {
        return spec.minHistory;
      }

      @Override
      public ForecastResult forecast(SeriesWindow window, int horizon) {
        throw new IllegalStateException("the Flink job forecasts in its inference operator, not in the keyed ones");
      }
    };
  }
}

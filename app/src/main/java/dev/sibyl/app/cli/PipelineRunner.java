package dev.sibyl.app.cli;

import dev.sibyl.app.config.AppConfig;
import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.ForecasterRegistry;
import dev.sibyl.models.api.Prognostic;
import dev.sibyl.models.artifact.ArtifactException;
import dev.sibyl.models.rul.Prognostics;
import dev.sibyl.streams.PipelineConfig;
import dev.sibyl.streams.kafka.ForecastPipeline;
import dev.sibyl.streams.kafka.InferencePool;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Starts the Kafka Streams pipeline from the merged configuration: the one place where settings
 * become a model, topics and Streams properties, shared by {@code demo} and {@code streams}.
 */
final class PipelineRunner {

  private PipelineRunner() {}

  /** The five topics of the pipeline, in a fixed order: telemetry, forecasts, anomalies, health, dead letters. */
  static List<String> topics(PipelineConfig pipeline) {
    return List.of(
        pipeline.getString(PipelineConfig.TELEMETRY_TOPIC_CONFIG),
        pipeline.getString(PipelineConfig.FORECASTS_TOPIC_CONFIG),
        pipeline.getString(PipelineConfig.ANOMALIES_TOPIC_CONFIG),
        pipeline.getString(PipelineConfig.HEALTH_TOPIC_CONFIG),
        pipeline.getString(PipelineConfig.DEAD_LETTER_TOPIC_CONFIG));
  }

  /** The forecaster named by {@code model.family} with its {@code model.option.*} settings. */
  static Forecaster forecaster(PipelineConfig pipeline) {
    Map<String, String> options = new HashMap<>();
    pipeline.modelOptions().forEach((k, v) -> options.put(k, String.valueOf(v)));
    return ForecasterRegistry.create(pipeline.getString(PipelineConfig.MODEL_FAMILY_CONFIG), options);
  }

  /**
   * The prognostic model named by {@code health.artifact}, or null when the setting is empty.
   *
   * @throws IllegalArgumentException when the artifact cannot be loaded, naming the setting
   */
  static Prognostic prognostic(PipelineConfig pipeline) {
    String artifact = pipeline.getString(PipelineConfig.HEALTH_ARTIFACT_CONFIG).trim();
    if (artifact.isEmpty()) {
      return null;
    }
    try {
      return Prognostics.load(Path.of(artifact));
    } catch (ArtifactException e) {
      throw new IllegalArgumentException(PipelineConfig.HEALTH_ARTIFACT_CONFIG + ": " + e.getMessage(), e);
    }
  }

  /**
   * The pipeline's settings and models, built before any broker is started so that a bad
   * {@code model.*} or {@code health.*} setting fails at once.
   *
   * @param pipeline the pipeline settings
   * @param forecaster the model of every series
   * @param prognostic the model of every unit, or null
   */
  record Models(PipelineConfig pipeline, Forecaster forecaster, Prognostic prognostic) {

    /**
     * @param config merged settings
     * @return the settings and models they name
     * @throws IllegalArgumentException naming a bad setting
     */
    static Models of(AppConfig config) {
      PipelineConfig pipeline = new PipelineConfig(config.merged());
      Models models = new Models(pipeline, PipelineRunner.forecaster(pipeline), PipelineRunner.prognostic(pipeline));
      if (PipelineConfig.INFERENCE_MODE_POOL.equals(pipeline.getString(PipelineConfig.INFERENCE_MODE_CONFIG))) {
        InferencePool.check(pipeline);
      }
      return models;
    }
  }

  /**
   * Creates the topics when missing and starts the pipeline.
   *
   * @param config merged settings
   * @param models the settings and models, from {@link Models#of}
   * @param session the Kafka cluster
   * @param applicationId Streams application id (consumer group, internal topic prefix)
   */
  static ForecastPipeline start(AppConfig config, Models models, KafkaSession session, String applicationId) {
    PipelineConfig pipeline = models.pipeline();
    session.ensureTopics(topics(pipeline));
    Properties props = ForecastPipeline.streamsProperties(session.clientProperties());
    // kafka.application.id and kafka.state.dir, when set, win over the command's defaults.
    if (!config.kafkaClientProperties().containsKey(StreamsConfig.APPLICATION_ID_CONFIG)) {
      props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    }
    if (!config.kafkaClientProperties().containsKey(StreamsConfig.STATE_DIR_CONFIG)) {
      props.put(StreamsConfig.STATE_DIR_CONFIG, config.dataDir().resolve("streams").toString());
    }
    return ForecastPipeline.start(pipeline, models.forecaster(), models.prognostic(), props, config.merged());
  }
}

package dev.sibyl.streams.flink;

import dev.sibyl.streams.PipelineConfig;
import java.io.Serializable;

/**
 * The topics of the job, from the pipeline settings: the same keys and defaults as the Kafka
 * Streams pipeline, so that both engines can be pointed at the same cluster.
 *
 * @param telemetry the input
 * @param forecasts forecasts out
 * @param anomalies anomaly flags out
 * @param deadLetters refused records out
 * @param health health estimates out
 */
public record JobTopics(String telemetry, String forecasts, String anomalies, String deadLetters, String health) implements Serializable {

  /** The topics named by {@code topic.*} in the pipeline settings. */
  public static JobTopics of(PipelineConfig config) {
    return new JobTopics(
        config.getString(PipelineConfig.TELEMETRY_TOPIC_CONFIG),
        config.getString(PipelineConfig.FORECASTS_TOPIC_CONFIG),
        config.getString(PipelineConfig.ANOMALIES_TOPIC_CONFIG),
        config.getString(PipelineConfig.DEAD_LETTER_TOPIC_CONFIG),
        config.getString(PipelineConfig.HEALTH_TOPIC_CONFIG));
  }
}

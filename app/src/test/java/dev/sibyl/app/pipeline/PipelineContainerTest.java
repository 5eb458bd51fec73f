package dev.sibyl.app.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sibyl.schemas.Forecast;
import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.streams.PipelineConfig;
import dev.sibyl.streams.kafka.ForecastPipeline;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The integration scenario against a Kafka broker in a Docker container (the apache/kafka image),
 * for machines with Docker; skipped where there is none. The in-process broker variant is {@link
 * PipelineIntegrationTest}.
 */
@Testcontainers(disabledWithoutDocker = true)
@Timeout(300)
class PipelineContainerTest {

  @Container static final KafkaContainer KAFKA = new KafkaContainer("apache/kafka:4.1.0");

  @TempDir static Path dir;

  @Test
  void forecastsEveryExpectedPointExactlyOnce() throws Exception {
    Map<String, Object> kafka = Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, KAFKA.getBootstrapServers());
    PipelineConfig config = PipelineScenario.config("container");
    try (Admin admin = Admin.create(kafka)) {
      ForecastPipeline.ensureTopics(admin, config, 2, (short) 1);
    }
    List<TelemetryPoint> points = PipelineScenario.telemetry();
    Set<String> expected = PipelineScenario.expectedForecasts(points, config);
    KafkaTestIo io = new KafkaTestIo(kafka);
    io.send(config.getString(PipelineConfig.TELEMETRY_TOPIC_CONFIG), points, List.of());
    Properties props = ForecastPipeline.streamsProperties(kafka);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "container-app");
    props.put(StreamsConfig.STATE_DIR_CONFIG, dir.toString());
    try (ForecastPipeline pipeline = ForecastPipeline.start(config, PipelineScenario.model(), props, Map.of())) {
      pipeline.awaitRunning(Duration.ofSeconds(60));
      List<Forecast> forecasts =
          io.readCommitted(config.getString(PipelineConfig.FORECASTS_TOPIC_CONFIG), Forecast.class, l -> l.size() >= expected.size(), Duration.ofSeconds(120));
      assertThat(forecasts).extracting(PipelineScenario::idOf).containsExactlyInAnyOrderElementsOf(expected);
    }
  }
}

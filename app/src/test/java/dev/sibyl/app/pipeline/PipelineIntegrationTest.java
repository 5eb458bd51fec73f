package dev.sibyl.app.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sibyl.app.broker.EmbeddedKafkaBroker;
import dev.sibyl.schemas.AnomalyFlag;
import dev.sibyl.schemas.DeadLetter;
import dev.sibyl.schemas.Forecast;
import dev.sibyl.schemas.ForecastPoint;
import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.streams.PipelineConfig;
import dev.sibyl.streams.kafka.ForecastPipeline;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline on a real Kafka broker (KRaft, in this JVM), with the real Holt-Winters model:
 * the count and content of forecasts and flags, dead letters, and exactly-once output across a
 * restart.
 */
@Timeout(180)
class PipelineIntegrationTest {

  @TempDir static Path dir;
  private static EmbeddedKafkaBroker broker;
  private static KafkaTestIo io;

  @BeforeAll
  static void startBroker() {
    broker = EmbeddedKafkaBroker.builder().optDataDir(dir.resolve("kafka")).build();
    broker.start();
    io = new KafkaTestIo(broker.clientProperties());
  }

  @AfterAll
  static void stopBroker() {
    broker.close();
  }

  private static Properties streamsProps(String applicationId, Path stateDir) {
    Properties props = ForecastPipeline.streamsProperties(broker.clientProperties());
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    return props;
  }

  @Test
  void forecastsFlagsAndDeadLettersOnARealBroker() throws Exception {
    PipelineConfig config = PipelineScenario.config("it");
    try (Admin admin = Admin.create(broker.clientProperties())) {
      ForecastPipeline.ensureTopics(admin, config, 2, (short) 1);
    }
    List<TelemetryPoint> points = PipelineScenario.telemetry();
    byte[][] garbage = {"pump-1".getBytes(StandardCharsets.UTF_8), new byte[] {0x7f, 0x01, 0x02}};
    io.send(config.getString(PipelineConfig.TELEMETRY_TOPIC_CONFIG), points, List.<byte[][]>of(garbage));
    Set<String> expected = PipelineScenario.expectedForecasts(points, config);

    try (ForecastPipeline pipeline = ForecastPipeline.start(config, PipelineScenario.model(), streamsProps("it-app", dir.resolve("state-it")), Map.of())) {
      pipeline.awaitRunning(Duration.ofSeconds(60));
      List<Forecast> forecasts =
          io.readCommitted(config.getString(PipelineConfig.FORECASTS_TOPIC_CONFIG), Forecast.class, l -> l.size() >= expected.size(), Duration.ofSeconds(90));
      List<AnomalyFlag> flags =
          io.readCommitted(config.getString(PipelineConfig.ANOMALIES_TOPIC_CONFIG), AnomalyFlag.class, l -> !l.isEmpty(), Duration.ofSeconds(30));
      List<DeadLetter> dead =
          io.readCommitted(config.getString(PipelineConfig.DEAD_LETTER_TOPIC_CONFIG), DeadLetter.class, l -> !l.isEmpty(), Duration.ofSeconds(30));

      // Count: every expected forecast exactly once, nothing else.
      assertThat(forecasts).extracting(PipelineScenario::idOf).containsExactlyInAnyOrderElementsOf(expected);
      // Content: model id, horizon, spacing, coverage and ordered bounds.
      for (Forecast forecast : forecasts) {
        assertThat(forecast.getModel()).isEqualTo("holt-winters");
        assertThat(forecast.getPoints()).hasSize(12);
        assertThat(forecast.getStepMillis()).isEqualTo(PipelineScenario.STEP);
        assertThat(forecast.getCoverage()).isEqualTo(0.95);
        assertThat(forecast.getLookback()).isBetween(2, 96);
        ForecastPoint first = forecast.getPoints().get(0);
        assertThat(first.getTimestamp()).isEqualTo(forecast.getIssuedAt().plusMillis(PipelineScenario.STEP));
        for (ForecastPoint p : forecast.getPoints()) {
          assertThat(p.getLower()).isLessThanOrEqualTo(p.getMean());
          assertThat(p.getUpper()).isGreaterThanOrEqualTo(p.getMean());
        }
      }
      // The spike is flagged, with the observed value and a critical score.
      assertThat(flags).anySatisfy(flag -> {
        assertThat(flag.getSource()).isEqualTo("pump-1");
        assertThat(flag.getChannel()).isEqualTo("temp");
        assertThat(flag.getTimestamp()).isEqualTo(PipelineScenario.T0.plusMillis(PipelineScenario.SPIKE_AT * PipelineScenario.STEP));
        assertThat(flag.getObserved()).isGreaterThan(flag.getUpper());
        assertThat(flag.getScore()).isGreaterThan(0.99);
      });
      // With min-score 0.9, noise alone rarely crosses: at most a few flags besides the spike.
      assertThat(flags.size()).isLessThanOrEqualTo(5);
      // The undecodable record is in the dead-letter topic, byte for byte, with its offset.
      assertThat(dead).hasSize(1);
      assertThat(dead.get(0).getStage()).isEqualTo("deserialize");
      assertThat(dead.get(0).getValue().array()).containsExactly(garbage[1]);
    }
  }

  @Test
  void aRestartMidStreamLosesAndDuplicatesNothing() throws Exception {
    PipelineConfig config = PipelineScenario.config("restart");
    try (Admin admin = Admin.create(broker.clientProperties())) {
      ForecastPipeline.ensureTopics(admin, config, 2, (short) 1);
    }
    List<TelemetryPoint> points = PipelineScenario.telemetry();
    Set<String> expected = PipelineScenario.expectedForecasts(points, config);
    String forecastsTopic = config.getString(PipelineConfig.FORECASTS_TOPIC_CONFIG);
    io.send(config.getString(PipelineConfig.TELEMETRY_TOPIC_CONFIG), points.subList(0, points.size() / 2), List.of());

    // First run: stop once some forecasts are out, while the second half is being produced.
    try (ForecastPipeline first = ForecastPipeline.start(config, PipelineScenario.model(), streamsProps("restart-app", dir.resolve("state-1")), Map.of())) {
      first.awaitRunning(Duration.ofSeconds(60));
      io.readCommitted(forecastsTopic, Forecast.class, l -> l.size() >= 10, Duration.ofSeconds(60));
      io.send(config.getString(PipelineConfig.TELEMETRY_TOPIC_CONFIG), points.subList(points.size() / 2, points.size()), List.of());
    }
    // Second run on a fresh state directory: the series windows come back from the changelog.
    try (ForecastPipeline second = ForecastPipeline.start(config, PipelineScenario.model(), streamsProps("restart-app", dir.resolve("state-2")), Map.of())) {
      second.awaitRunning(Duration.ofSeconds(60));
      List<Forecast> forecasts = io.readCommitted(forecastsTopic, Forecast.class, l -> l.size() >= expected.size(), Duration.ofSeconds(90));
      // Give a duplicate the chance to show up before asserting there is none.
      Thread.sleep(1000);
      forecasts = io.readCommitted(forecastsTopic, Forecast.class, l -> false, Duration.ofSeconds(5));
      List<String> ids = forecasts.stream().map(PipelineScenario::idOf).toList();
      assertThat(ids).doesNotHaveDuplicates();
      assertThat(ids).containsExactlyInAnyOrderElementsOf(expected);
    }
  }
}

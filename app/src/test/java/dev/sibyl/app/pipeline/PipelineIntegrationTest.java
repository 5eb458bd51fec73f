package dev.sibyl.app.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sibyl.app.broker.EmbeddedKafkaBroker;
import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.ForecasterRegistry;
import dev.sibyl.schemas.AnomalyFlag;
import dev.sibyl.schemas.DeadLetter;
import dev.sibyl.schemas.Forecast;
import dev.sibyl.schemas.ForecastPoint;
import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.streams.PipelineConfig;
import dev.sibyl.streams.core.SeriesOperator;
import dev.sibyl.streams.core.SeriesState;
import dev.sibyl.streams.kafka.ForecastPipeline;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
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

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final long STEP = 60_000;
  private static final int POINTS_PER_SOURCE = 240;
  private static final int SPIKE_AT = 200;

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

  /** Topic names of one test, so that tests sharing the broker do not see each other's records. */
  private static PipelineConfig config(String prefix) {
    Map<String, String> settings = new HashMap<>();
    settings.put(PipelineConfig.TELEMETRY_TOPIC_CONFIG, prefix + ".telemetry");
    settings.put(PipelineConfig.FORECASTS_TOPIC_CONFIG, prefix + ".forecasts");
    settings.put(PipelineConfig.ANOMALIES_TOPIC_CONFIG, prefix + ".anomalies");
    settings.put(PipelineConfig.HEALTH_TOPIC_CONFIG, prefix + ".health");
    settings.put(PipelineConfig.DEAD_LETTER_TOPIC_CONFIG, prefix + ".dead-letters");
    settings.put(PipelineConfig.LOOKBACK_CONFIG, "96");
    settings.put(PipelineConfig.HORIZON_CONFIG, "12");
    settings.put(PipelineConfig.CADENCE_CONFIG, "6");
    settings.put(PipelineConfig.MIN_SCORE_CONFIG, "0.9");
    return new PipelineConfig(settings);
  }

  private static Properties streamsProps(String applicationId, Path stateDir) {
    Properties props = ForecastPipeline.streamsProperties(broker.clientProperties());
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    return props;
  }

  private static Forecaster model() {
    return ForecasterRegistry.create("holt-winters", Map.of("season.length", "24"));
  }

  /** Two sources, one with two channels; a daily cycle with noise; one spike on pump-1/temp. */
  private static List<TelemetryPoint> telemetry() {
    Random random = new Random(11);
    List<TelemetryPoint> points = new ArrayList<>();
    for (int i = 0; i < POINTS_PER_SOURCE; i++) {
      double season = Math.sin(2 * Math.PI * i / 24.0);
      double temp = 60 + 5 * season + random.nextGaussian() * 0.3 + (i == SPIKE_AT ? 40 : 0);
      double rpm = 1500 + 100 * season + random.nextGaussian() * 5;
      Instant t = T0.plusMillis(i * STEP);
      points.add(new TelemetryPoint("pump-1", t, Map.of("temp", temp, "rpm", rpm), Map.of()));
      points.add(new TelemetryPoint("pump-2", t, Map.of("temp", 55 + 3 * season + random.nextGaussian() * 0.3), Map.of()));
    }
    return points;
  }

  /** (source/channel@issuedAt) of every forecast the pipeline must issue, computed by the operator core offline. */
  private static Set<String> expectedForecasts(List<TelemetryPoint> points, PipelineConfig config) {
    SeriesOperator operator = new SeriesOperator(model(), 12, 6, 10, 72);
    Map<String, SeriesState> states = new HashMap<>();
    Set<String> expected = new HashSet<>();
    for (TelemetryPoint point : points) {
      for (Map.Entry<String, Double> channel : point.getValues().entrySet()) {
        String id = point.getSource() + "/" + channel.getKey();
        SeriesState state = states.computeIfAbsent(id, k -> new SeriesState(config.getInt(PipelineConfig.LOOKBACK_CONFIG)));
        if (operator.onObservation(state, point.getTimestamp().toEpochMilli(), channel.getValue()).forecast() != null) {
          expected.add(id + "@" + point.getTimestamp().toEpochMilli());
        }
      }
    }
    return expected;
  }

  private static String idOf(Forecast f) {
    return f.getSource() + "/" + f.getChannel() + "@" + f.getIssuedAt().toEpochMilli();
  }

  @Test
  void forecastsFlagsAndDeadLettersOnARealBroker() throws Exception {
    PipelineConfig config = config("it");
    try (Admin admin = Admin.create(broker.clientProperties())) {
      ForecastPipeline.ensureTopics(admin, config, 2, (short) 1);
    }
    List<TelemetryPoint> points = telemetry();
    byte[][] garbage = {"pump-1".getBytes(StandardCharsets.UTF_8), new byte[] {0x7f, 0x01, 0x02}};
    io.send(config.getString(PipelineConfig.TELEMETRY_TOPIC_CONFIG), points, List.<byte[][]>of(garbage));
    Set<String> expected = expectedForecasts(points, config);

    try (ForecastPipeline pipeline = ForecastPipeline.start(config, model(), streamsProps("it-app", dir.resolve("state-it")), Map.of())) {
      pipeline.awaitRunning(Duration.ofSeconds(60));
      List<Forecast> forecasts =
          io.readCommitted(config.getString(PipelineConfig.FORECASTS_TOPIC_CONFIG), Forecast.class, l -> l.size() >= expected.size(), Duration.ofSeconds(90));
      List<AnomalyFlag> flags =
          io.readCommitted(config.getString(PipelineConfig.ANOMALIES_TOPIC_CONFIG), AnomalyFlag.class, l -> !l.isEmpty(), Duration.ofSeconds(30));
      List<DeadLetter> dead =
          io.readCommitted(config.getString(PipelineConfig.DEAD_LETTER_TOPIC_CONFIG), DeadLetter.class, l -> !l.isEmpty(), Duration.ofSeconds(30));

      // Count: every expected forecast exactly once, nothing else.
      assertThat(forecasts).extracting(PipelineIntegrationTest::idOf).containsExactlyInAnyOrderElementsOf(expected);
      // Content: model id, horizon, spacing, coverage and ordered bounds.
      for (Forecast forecast : forecasts) {
        assertThat(forecast.getModel()).isEqualTo("holt-winters");
        assertThat(forecast.getPoints()).hasSize(12);
        assertThat(forecast.getStepMillis()).isEqualTo(STEP);
        assertThat(forecast.getCoverage()).isEqualTo(0.95);
        assertThat(forecast.getLookback()).isBetween(2, 96);
        ForecastPoint first = forecast.getPoints().get(0);
        assertThat(first.getTimestamp()).isEqualTo(forecast.getIssuedAt().plusMillis(STEP));
        for (ForecastPoint p : forecast.getPoints()) {
          assertThat(p.getLower()).isLessThanOrEqualTo(p.getMean());
          assertThat(p.getUpper()).isGreaterThanOrEqualTo(p.getMean());
        }
      }
      // The spike is flagged, with the observed value and a critical score.
      assertThat(flags).anySatisfy(flag -> {
        assertThat(flag.getSource()).isEqualTo("pump-1");
        assertThat(flag.getChannel()).isEqualTo("temp");
        assertThat(flag.getTimestamp()).isEqualTo(T0.plusMillis(SPIKE_AT * STEP));
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
    PipelineConfig config = config("restart");
    try (Admin admin = Admin.create(broker.clientProperties())) {
      ForecastPipeline.ensureTopics(admin, config, 2, (short) 1);
    }
    List<TelemetryPoint> points = telemetry();
    Set<String> expected = expectedForecasts(points, config);
    String forecastsTopic = config.getString(PipelineConfig.FORECASTS_TOPIC_CONFIG);
    io.send(config.getString(PipelineConfig.TELEMETRY_TOPIC_CONFIG), points.subList(0, points.size() / 2), List.of());

    // First run: stop once some forecasts are out, while the second half is being produced.
    try (ForecastPipeline first = ForecastPipeline.start(config, model(), streamsProps("restart-app", dir.resolve("state-1")), Map.of())) {
      first.awaitRunning(Duration.ofSeconds(60));
      io.readCommitted(forecastsTopic, Forecast.class, l -> l.size() >= 10, Duration.ofSeconds(60));
      io.send(config.getString(PipelineConfig.TELEMETRY_TOPIC_CONFIG), points.subList(points.size() / 2, points.size()), List.of());
    }
    // Second run on a fresh state directory: the series windows come back from the changelog.
    try (ForecastPipeline second = ForecastPipeline.start(config, model(), streamsProps("restart-app", dir.resolve("state-2")), Map.of())) {
      second.awaitRunning(Duration.ofSeconds(60));
      List<Forecast> forecasts = io.readCommitted(forecastsTopic, Forecast.class, l -> l.size() >= expected.size(), Duration.ofSeconds(90));
      // Give a duplicate the chance to show up before asserting there is none.
      Thread.sleep(1000);
      forecasts = io.readCommitted(forecastsTopic, Forecast.class, l -> false, Duration.ofSeconds(5));
      List<String> ids = forecasts.stream().map(PipelineIntegrationTest::idOf).toList();
      assertThat(ids).doesNotHaveDuplicates();
      assertThat(ids).containsExactlyInAnyOrderElementsOf(expected);
    }
  }
}

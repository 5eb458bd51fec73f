package dev.sibyl.app.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sibyl.app.broker.EmbeddedKafkaBroker;
import dev.sibyl.schemas.AnomalyFlag;
import dev.sibyl.schemas.DeadLetter;
import dev.sibyl.schemas.Forecast;
import dev.sibyl.schemas.ForecastPoint;
import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.streams.PipelineConfig;
import dev.sibyl.streams.flink.FlinkForecastJob;
import dev.sibyl.streams.flink.FlinkJobConfig;
import dev.sibyl.streams.flink.RawRecord;
import dev.sibyl.streams.kafka.ForecastPipeline;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Flink job on Flink's MiniCluster against a real Kafka broker (KRaft, in this JVM), with the
 * real Holt-Winters model: forecasts, flags and dead letters; exactly-once output across a failure
 * and a restart from a checkpoint; and parity with the Kafka Streams pipeline on the same records.
 */
@Timeout(180)
class FlinkJobIntegrationTest {

  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

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

  /** The scenario's pipeline settings plus the model and the Flink settings of a fast test. */
  private static Map<String, Object> settings(PipelineConfig config, String prefix) {
    Map<String, Object> settings = new HashMap<>(config.originals());
    settings.put(PipelineConfig.MODEL_FAMILY_CONFIG, "holt-winters");
    settings.put(PipelineConfig.MODEL_OPTIONS_PREFIX + "season.length", "24");
    settings.put(FlinkJobConfig.CHECKPOINT_INTERVAL_CONFIG, "100");
    settings.put(FlinkJobConfig.PARALLELISM_CONFIG, "2");
    settings.put(FlinkJobConfig.TRANSACTIONAL_ID_PREFIX_CONFIG, prefix);
    settings.put(FlinkJobConfig.GROUP_ID_CONFIG, prefix);
    return settings;
  }

  private static PipelineConfig createTopics(String prefix) throws Exception {
    PipelineConfig config = PipelineScenario.config(prefix);
    try (Admin admin = Admin.create(broker.clientProperties())) {
      ForecastPipeline.ensureTopics(admin, config, 2, (short) 1);
    }
    return config;
  }

  /** Runs the job over what the telemetry topic holds now, until it has read all of it. */
  private static void runBounded(Map<String, Object> settings, MapFunction<RawRecord, RawRecord> tap, Configuration extra) throws Exception {
    FlinkForecastJob job =
        FlinkForecastJob.builder().setSettings(settings).setKafkaProperties(broker.clientProperties()).optBounded(true).optSourceTap(tap).build();
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    Configuration conf = new Configuration();
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    conf.addAll(extra);
    env.configure(conf);
    job.addTo(env);
    env.execute(FlinkForecastJob.JOB_NAME);
  }

  @Test
  void forecastsFlagsAndDeadLettersOnARealBroker() throws Exception {
    PipelineConfig config = createTopics("flink-it");
    List<TelemetryPoint> points = PipelineScenario.telemetry();
    byte[][] garbage = {"pump-1".getBytes(StandardCharsets.UTF_8), new byte[] {0x7f, 0x01, 0x02}};
    io.send(config.getString(PipelineConfig.TELEMETRY_TOPIC_CONFIG), points, List.<byte[][]>of(garbage));
    Set<String> expected = PipelineScenario.expectedForecasts(points, config);

    runBounded(settings(config, "flink-it"), null, new Configuration());

    List<Forecast> forecasts = io.readCommitted(config.getString(PipelineConfig.FORECASTS_TOPIC_CONFIG), Forecast.class, l -> false, Duration.ofSeconds(3));
    List<AnomalyFlag> flags = io.readCommitted(config.getString(PipelineConfig.ANOMALIES_TOPIC_CONFIG), AnomalyFlag.class, l -> false, Duration.ofSeconds(2));
    List<DeadLetter> dead = io.readCommitted(config.getString(PipelineConfig.DEAD_LETTER_TOPIC_CONFIG), DeadLetter.class, l -> false, Duration.ofSeconds(2));

    // Count: every expected forecast exactly once, nothing else.
    assertThat(forecasts).extracting(PipelineScenario::idOf).containsExactlyInAnyOrderElementsOf(expected);
    for (Forecast forecast : forecasts) {
      assertThat(forecast.getModel()).isEqualTo("holt-winters");
      assertThat(forecast.getPoints()).hasSize(12);
      assertThat(forecast.getStepMillis()).isEqualTo(PipelineScenario.STEP);
      assertThat(forecast.getDegraded()).isFalse();
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
    // The undecodable record is in the dead-letter topic, byte for byte, with its stage.
    assertThat(dead).hasSize(1);
    assertThat(dead.get(0).getStage()).isEqualTo("deserialize");
    assertThat(dead.get(0).getValue().array()).containsExactly(garbage[1]);
  }
}

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
import java.util.Properties;
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

  /**
   * Fails the job once: at the first record after a checkpoint has completed and {@code after}
   * records have passed this instance. Static, so that the restarted job does not fail again.
   */
  static final class FailOnceAfterCheckpoint implements MapFunction<RawRecord, RawRecord>, CheckpointListener {
    private static final long serialVersionUID = 1L;
    static final AtomicBoolean FAILED = new AtomicBoolean();
    static final AtomicLong CHECKPOINTS = new AtomicLong();
    private final long after;
    private long seen;

    FailOnceAfterCheckpoint(long after) {
      this.after = after;
    }

    @Override
    public RawRecord map(RawRecord record) throws Exception {
      // Slow enough that checkpoints complete while the input is being read.
      Thread.sleep(2);
      if (++seen >= after && CHECKPOINTS.get() > 0 && FAILED.compareAndSet(false, true)) {
        throw new IllegalStateException("failure injected by the test after " + seen + " records");
      }
      return record;
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
      CHECKPOINTS.incrementAndGet();
    }
  }

  @Test
  void aFailureMidStreamRestartsFromTheCheckpointAndWritesEveryForecastOnce() throws Exception {
    PipelineConfig config = createTopics("flink-eo");
    List<TelemetryPoint> points = PipelineScenario.telemetry();
    io.send(config.getString(PipelineConfig.TELEMETRY_TOPIC_CONFIG), points, List.of());
    Set<String> expected = PipelineScenario.expectedForecasts(points, config);
    Configuration restarts = new Configuration();
    restarts.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
    restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
    restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(100));

    runBounded(settings(config, "flink-eo"), new FailOnceAfterCheckpoint(points.size() / 4), restarts);

    assertThat(FailOnceAfterCheckpoint.FAILED).as("the injected failure happened").isTrue();
    List<Forecast> forecasts = io.readCommitted(config.getString(PipelineConfig.FORECASTS_TOPIC_CONFIG), Forecast.class, l -> false, Duration.ofSeconds(3));
    List<String> ids = forecasts.stream().map(PipelineScenario::idOf).toList();
    assertThat(ids).doesNotHaveDuplicates();
    assertThat(ids).containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  void theFlinkJobAndTheStreamsPipelineGiveTheSameResults() throws Exception {
    PipelineConfig streamsConfig = createTopics("parity-streams");
    Map<String, Object> flinkSettings = settings(createTopics("parity-flink"), "parity-flink");
    String telemetry = streamsConfig.getString(PipelineConfig.TELEMETRY_TOPIC_CONFIG);
    flinkSettings.put(PipelineConfig.TELEMETRY_TOPIC_CONFIG, telemetry);
    List<TelemetryPoint> points = new java.util.ArrayList<>(PipelineScenario.telemetry());
    Set<String> expected = PipelineScenario.expectedForecasts(points, streamsConfig);
    // A late point and a duplicate of the newest one, for the order dead letters.
    TelemetryPoint last = points.get(points.size() - 1);
    points.add(new TelemetryPoint("pump-2", PipelineScenario.T0.plusMillis(100 * PipelineScenario.STEP), Map.of("temp", 50.0), Map.of()));
    points.add(new TelemetryPoint(last.getSource(), last.getTimestamp(), last.getValues(), Map.of()));
    byte[][] garbage = {"pump-1".getBytes(StandardCharsets.UTF_8), new byte[] {0x7f, 0x01, 0x02}};
    io.send(telemetry, points, List.<byte[][]>of(garbage));

    // Streams, until every expected forecast is out.
    Properties props = ForecastPipeline.streamsProperties(broker.clientProperties());
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "parity-app");
    props.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("parity-state").toString());
    List<Forecast> streamsForecasts;
    try (ForecastPipeline pipeline = ForecastPipeline.start(streamsConfig, PipelineScenario.model(), props, Map.of())) {
      pipeline.awaitRunning(Duration.ofSeconds(60));
      streamsForecasts =
          io.readCommitted(streamsConfig.getString(PipelineConfig.FORECASTS_TOPIC_CONFIG), Forecast.class, l -> l.size() >= expected.size(), Duration.ofSeconds(90));
      io.readCommitted(streamsConfig.getString(PipelineConfig.DEAD_LETTER_TOPIC_CONFIG), DeadLetter.class, l -> l.size() >= 3, Duration.ofSeconds(30));
    }
    List<AnomalyFlag> streamsFlags = io.readCommitted(streamsConfig.getString(PipelineConfig.ANOMALIES_TOPIC_CONFIG), AnomalyFlag.class, l -> false, Duration.ofSeconds(2));
    List<DeadLetter> streamsDead = io.readCommitted(streamsConfig.getString(PipelineConfig.DEAD_LETTER_TOPIC_CONFIG), DeadLetter.class, l -> false, Duration.ofSeconds(2));

    // Flink, over the same records.
    runBounded(flinkSettings, null, new Configuration());
    PipelineConfig flinkConfig = new PipelineConfig(flinkSettings);
    List<Forecast> flinkForecasts = io.readCommitted(flinkConfig.getString(PipelineConfig.FORECASTS_TOPIC_CONFIG), Forecast.class, l -> false, Duration.ofSeconds(3));
    List<AnomalyFlag> flinkFlags = io.readCommitted(flinkConfig.getString(PipelineConfig.ANOMALIES_TOPIC_CONFIG), AnomalyFlag.class, l -> false, Duration.ofSeconds(2));
    List<DeadLetter> flinkDead = io.readCommitted(flinkConfig.getString(PipelineConfig.DEAD_LETTER_TOPIC_CONFIG), DeadLetter.class, l -> false, Duration.ofSeconds(2));

    // The same forecasts, number for number; the same flags; the same dead letters.
    assertThat(streamsForecasts).extracting(PipelineScenario::idOf).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(forecastsById(flinkForecasts)).isEqualTo(forecastsById(streamsForecasts));
    assertThat(streamsFlags).isNotEmpty();
    assertThat(flagsById(flinkFlags)).isEqualTo(flagsById(streamsFlags));
    assertThat(deadLetters(streamsDead)).hasSize(3);
    assertThat(deadLetters(flinkDead)).isEqualTo(deadLetters(streamsDead));
  }

  /** Forecasts by id, with the fields both engines must agree on (not the record's timestamp). */
  private static Map<String, String> forecastsById(List<Forecast> forecasts) {
    return forecasts.stream()
        .collect(Collectors.toMap(
            PipelineScenario::idOf,
            f -> f.getModel() + ":" + f.getModelVersion() + " lookback=" + f.getLookback() + " step=" + f.getStepMillis()
                + " coverage=" + f.getCoverage() + " degraded=" + f.getDegraded() + " " + f.getPoints()));
  }

  private static Map<String, String> flagsById(List<AnomalyFlag> flags) {
    return flags.stream()
        .collect(Collectors.toMap(
            f -> f.getSource() + "/" + f.getChannel() + "@" + f.getTimestamp().toEpochMilli(),
            f -> f.getObserved() + " " + f.getExpected() + " [" + f.getLower() + ", " + f.getUpper() + "] " + f.getScore() + " "
                + f.getSeverity() + " " + f.getReason() + " " + f.getModel()));
  }

  /** Dead letters as (offset, stage, error), sorted: their write time differs by engine. */
  private static List<String> deadLetters(List<DeadLetter> dead) {
    return dead.stream().map(d -> d.getPartition() + "/" + d.getOffset() + " " + d.getStage() + ": " + d.getError()).sorted().toList();
  }
}

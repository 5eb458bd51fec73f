package dev.sibyl.streams.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sibyl.schemas.AnomalyFlag;
import dev.sibyl.schemas.DeadLetter;
import dev.sibyl.schemas.HealthEstimate;
import dev.sibyl.schemas.Severity;
import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.schemas.serde.AvroSerdes;
import dev.sibyl.streams.LastValueTestForecaster;
import dev.sibyl.streams.PipelineConfig;
import dev.sibyl.streams.StagedTestPrognostic;
import dev.sibyl.streams.core.UnitHistory;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The prognostics branch on TopologyTestDriver: estimates per cycle, alert episodes, dead letters, the store. */
class HealthTopologyTest {

  private static final long CYCLE = 3_600_000;
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final int MAX_CYCLES = 5;

  private TopologyTestDriver driver;
  private TestInputTopic<byte[], byte[]> input;
  private TestOutputTopic<String, HealthEstimate> health;
  private TestOutputTopic<String, AnomalyFlag> anomalies;
  private TestOutputTopic<String, DeadLetter> deadLetters;
  private final Serializer<TelemetryPoint> serializer = AvroSerdes.forType(TelemetryPoint.class, Map.of(), false).serializer();

  @BeforeEach
  void start() {
    PipelineConfig config =
        new PipelineConfig(
            Map.of(
                PipelineConfig.LOOKBACK_CONFIG, "8",
                PipelineConfig.HORIZON_CONFIG, "100",
                PipelineConfig.CADENCE_CONFIG, "100",
                PipelineConfig.HEALTH_ALERT_STATES_CONFIG, "1",
                PipelineConfig.HEALTH_MAX_CYCLES_CONFIG, String.valueOf(MAX_CYCLES)));
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "health-topology-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    driver =
        new TopologyTestDriver(
            ForecastTopology.build(config, new LastValueTestForecaster(4, 1.0), new StagedTestPrognostic(), Map.of()),
            props,
            T0);
    input = driver.createInputTopic(PipelineConfig.TELEMETRY_TOPIC_DEFAULT, new ByteArraySerializer(), new ByteArraySerializer());
    health = driver.createOutputTopic(PipelineConfig.HEALTH_TOPIC_DEFAULT, new StringDeserializer(), deserializer(HealthEstimate.class));
    anomalies = driver.createOutputTopic(PipelineConfig.ANOMALIES_TOPIC_DEFAULT, new StringDeserializer(), deserializer(AnomalyFlag.class));
    deadLetters = driver.createOutputTopic(PipelineConfig.DEAD_LETTER_TOPIC_DEFAULT, new StringDeserializer(), deserializer(DeadLetter.class));
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  private static <T extends org.apache.avro.specific.SpecificRecord> Deserializer<T> deserializer(Class<T> type) {
    return AvroSerdes.forType(type, Map.of(), false).deserializer();
  }

  private void cycle(String unit, int cycle, Map<String, Double> values) {
    TelemetryPoint point = new TelemetryPoint(unit, T0.plusMillis(cycle * CYCLE), values, Map.of());
    input.pipeInput(unit.getBytes(StandardCharsets.UTF_8), serializer.serialize("t", point), T0);
  }

  private void cycle(String unit, int cycle, double s2) {
    cycle(unit, cycle, Map.of("s2", s2, "s3", 7.0));
  }

  @Test
  void everyCycleOfAUnitGivesAnEstimateFromItsWholeHistory() {
    for (int c = 1; c <= 3; c++) {
      cycle("unit-1", c, 0.5);
    }
    cycle("unit-2", 1, 1.5);
    List<HealthEstimate> out = health.readValuesToList();
    assertThat(out).extracting(HealthEstimate::getSource).containsExactly("unit-1", "unit-1", "unit-1", "unit-2");
    // the stand-in's RUL is 50 - history length: the history grows per unit
    assertThat(out).extracting(HealthEstimate::getRulMean).containsExactly(49.0, 48.0, 47.0, 49.0);
    assertThat(out.get(2).getRulLower()).isEqualTo(42.0);
    assertThat(out.get(2).getRulUpper()).isEqualTo(52.0);
    assertThat(out.get(2).getTimestamp()).isEqualTo(T0.plusMillis(3 * CYCLE));
    assertThat(out.get(2).getStateProbabilities()).containsExactly(0.9, 0.05, 0.05);
    assertThat(out.get(3).getStateProbabilities()).containsExactly(0.1, 0.8, 0.1);
    assertThat(out.get(0).getModel()).isEqualTo("staged-test");
    assertThat(anomalies.isEmpty()).isTrue();
    assertThat(deadLetters.isEmpty()).isTrue();
  }

  @Test
  void aFlagIsRaisedOncePerEpisodeInTheAlertStages() {
    cycle("unit-1", 1, 0.5);
    cycle("unit-1", 2, 2.5); // enters the last state: flag
    cycle("unit-1", 3, 2.6); // still there: no new flag
    cycle("unit-1", 4, 1.5); // back to degrading: the episode ends
    cycle("unit-1", 5, 2.7); // enters again: flag
    List<AnomalyFlag> flags = anomalies.readValuesToList();
    assertThat(flags).hasSize(2);
    AnomalyFlag first = flags.get(0);
    assertThat(first.getSource()).isEqualTo("unit-1");
    assertThat(first.getChannel()).isEqualTo(HealthProcessor.HEALTH_CHANNEL);
    assertThat(first.getTimestamp()).isEqualTo(T0.plusMillis(2 * CYCLE));
    assertThat(first.getSeverity()).isEqualTo(Severity.CRITICAL);
    assertThat(first.getScore()).isEqualTo(0.8);
    assertThat(first.getObserved()).isEqualTo(48.0);
    assertThat(first.getReason()).contains("state 3 of 3").contains("RUL 48 cycles [43, 53]");
    assertThat(flags.get(1).getTimestamp()).isEqualTo(T0.plusMillis(5 * CYCLE));
    assertThat(health.readValuesToList()).hasSize(5);
  }

  @Test
  void pointsWithoutTheModelsChannelsAreNotUnitsAndPartialOnesAreDeadLettered() {
    cycle("pump-9", 1, Map.of("temp", 3.0)); // another kind of source: ignored by the health branch
    cycle("unit-1", 1, Map.of("s2", 0.5)); // s3 missing
    cycle("unit-1", 2, Map.of("s2", Double.NaN, "s3", 1.0)); // NaN is refused by validation already
    assertThat(health.isEmpty()).isTrue();
    List<DeadLetter> letters = deadLetters.readValuesToList();
    assertThat(letters).hasSize(2);
    assertThat(letters.get(0).getStage()).isEqualTo("health");
    assertThat(letters.get(0).getError()).contains("needs channels [s3]");
    assertThat(letters.get(1).getStage()).isEqualTo("validate");
  }

  @Test
  void lateOrDuplicateCyclesAndModelFailuresAreDeadLettered() {
    cycle("unit-1", 2, 0.5);
    cycle("unit-1", 2, 0.5);
    cycle("unit-1", 1, 0.5);
    cycle("unit-1", 3, StagedTestPrognostic.FAIL_ON);
    cycle("unit-1", 4, 0.5);
    List<DeadLetter> fromHealth =
        deadLetters.readValuesToList().stream().filter(d -> d.getStage().equals("health")).toList();
    assertThat(fromHealth).extracting(DeadLetter::getError)
        .satisfiesExactly(
            e -> assertThat(e).startsWith("duplicate cycle"),
            e -> assertThat(e).startsWith("late cycle"),
            e -> assertThat(e).contains("staged-test failed"));
    // the failed cycle is kept: the next one sees a history of three
    assertThat(health.readValuesToList()).extracting(HealthEstimate::getRulMean).containsExactly(49.0, 47.0);
  }

  @Test
  void theStoreKeepsTheBoundedHistoryAndRebuildsIt() {
    for (int c = 1; c <= 8; c++) {
      cycle("unit-1", c, c / 10.0);
    }
    assertThat(health.readValuesToList()).extracting(HealthEstimate::getRulMean)
        .containsExactly(49.0, 48.0, 47.0, 46.0, 45.0, 45.0, 45.0, 45.0);
    KeyValueStore<Bytes, byte[]> store = driver.getKeyValueStore(ForecastTopology.UNIT_HISTORY_STORE);
    int records = 0;
    try (var all = store.all()) {
      while (all.hasNext()) {
        all.next();
        records++;
      }
    }
    assertThat(records).isEqualTo(MAX_CYCLES + 1); // the kept rows and the meta record
    UnitHistory rebuilt = new UnitHistoryStore(store, 2, MAX_CYCLES, 10).load("unit-1");
    assertThat(rebuilt.cycles()).isEqualTo(8);
    assertThat(rebuilt.size()).isEqualTo(MAX_CYCLES);
    assertThat(rebuilt.lastTimestamp()).isEqualTo(T0.plusMillis(8 * CYCLE).toEpochMilli());
    assertThat(rebuilt.rows()[0]).containsExactly(0.4, 7.0);
    assertThat(rebuilt.lastRow()).containsExactly(0.8, 7.0);
  }
}

package dev.sibyl.streams.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sibyl.schemas.AnomalyFlag;
import dev.sibyl.schemas.DeadLetter;
import dev.sibyl.schemas.Forecast;
import dev.sibyl.schemas.Severity;
import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.schemas.serde.AvroSerdes;
import dev.sibyl.streams.LastValueTestForecaster;
import dev.sibyl.streams.PipelineConfig;
import dev.sibyl.streams.core.SeriesId;
import dev.sibyl.streams.core.SeriesStateCodec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The topology on TopologyTestDriver: windowing, cadence, intervals, anomalies and dead letters. */
class ForecastTopologyTest {

  private static final long STEP = 60_000;
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private TopologyTestDriver driver;
  private TestInputTopic<byte[], byte[]> input;
  private TestOutputTopic<String, Forecast> forecasts;
  private TestOutputTopic<String, AnomalyFlag> anomalies;
  private TestOutputTopic<String, DeadLetter> deadLetters;
  private final org.apache.kafka.common.serialization.Serializer<TelemetryPoint> pointSerializer =
      AvroSerdes.forType(TelemetryPoint.class, Map.of(), false).serializer();

  @BeforeEach
  void start() {
    PipelineConfig config =
        new PipelineConfig(
            Map.of(
                PipelineConfig.LOOKBACK_CONFIG, "8",
                PipelineConfig.HORIZON_CONFIG, "4",
                PipelineConfig.CADENCE_CONFIG, "2",
                PipelineConfig.MAX_GAP_STEPS_CONFIG, "3",
                PipelineConfig.WARMUP_POINTS_CONFIG, "4"));
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "topology-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    driver =
        new TopologyTestDriver(
            ForecastTopology.build(config, new LastValueTestForecaster(4, 1.0), Map.of()), props, T0);
    input = driver.createInputTopic(PipelineConfig.TELEMETRY_TOPIC_DEFAULT, new ByteArraySerializer(), new ByteArraySerializer());
    forecasts = driver.createOutputTopic(PipelineConfig.FORECASTS_TOPIC_DEFAULT, new StringDeserializer(), deserializer(Forecast.class));
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

  private static TelemetryPoint point(String source, long step, Map<String, Double> values) {
    return new TelemetryPoint(source, T0.plusMillis(step * STEP), values, Map.of());
  }

  private byte[] send(String key, TelemetryPoint point) {
    byte[] value = pointSerializer.serialize("t", point);
    sendRaw(key == null ? null : key.getBytes(StandardCharsets.UTF_8), value);
    return value;
  }

  private void sendRaw(byte[] key, byte[] value) {
    input.pipeInput(key, value, T0);
  }

  private void sendSeries(String source, int from, int to, double value) {
    for (int i = from; i < to; i++) {
      send(source, point(source, i, Map.of("temp", value)));
    }
  }

  @Test
  void issuesForecastsAtTheCadenceWithStepTimedPoints() {
    sendSeries("pump-1", 0, 10, 5.0);
    List<Forecast> out = forecasts.readValuesToList();
    assertThat(out).hasSize(4);
    Forecast first = out.get(0);
    assertThat(first.getSource()).isEqualTo("pump-1");
    assertThat(first.getChannel()).isEqualTo("temp");
    assertThat(first.getIssuedAt()).isEqualTo(T0.plusMillis(3 * STEP));
    assertThat(first.getStepMillis()).isEqualTo(STEP);
    assertThat(first.getModel()).isEqualTo("last-value-test");
    assertThat(first.getLookback()).isEqualTo(4);
    assertThat(first.getCoverage()).isEqualTo(0.9);
    assertThat(first.getPoints()).hasSize(4);
    assertThat(first.getPoints().get(0).getTimestamp()).isEqualTo(T0.plusMillis(4 * STEP));
    assertThat(first.getPoints().get(3).getLower()).isEqualTo(4.0);
    assertThat(out.get(3).getLookback()).isEqualTo(8);
    assertThat(anomalies.isEmpty()).isTrue();
    assertThat(deadLetters.isEmpty()).isTrue();
  }

  @Test
  void eachChannelOfASourceIsItsOwnSeries() {
    for (int i = 0; i < 4; i++) {
      send("pump-1", point("pump-1", i, Map.of("temp", 5.0, "rpm", 1000.0 + i)));
    }
    List<Forecast> out = forecasts.readValuesToList();
    assertThat(out).extracting(Forecast::getChannel).containsExactly("rpm", "temp");
    assertThat(out.get(0).getPoints().get(0).getMean()).isEqualTo(1003.0);
    KeyValueStore<Bytes, byte[]> metas = driver.getKeyValueStore(ForecastTopology.SERIES_META_STORE);
    assertThat(SeriesStateCodec.decodeMeta(metas.get(SeriesStateStore.key(new SeriesId("pump-1", "rpm")))).size()).isEqualTo(4);
  }

  @Test
  void anObservationOutsideTheIntervalRaisesAFlag() {
    sendSeries("pump-1", 0, 4, 5.0);
    send("pump-1", point("pump-1", 4, Map.of("temp", 5.9)));
    send("pump-1", point("pump-1", 5, Map.of("temp", 2.5)));
    List<AnomalyFlag> flags = anomalies.readValuesToList();
    assertThat(flags).hasSize(1);
    AnomalyFlag flag = flags.get(0);
    assertThat(flag.getTimestamp()).isEqualTo(T0.plusMillis(5 * STEP));
    assertThat(flag.getObserved()).isEqualTo(2.5);
    assertThat(flag.getExpected()).isEqualTo(5.0);
    assertThat(flag.getLower()).isEqualTo(4.0);
    // 1.5 half-widths below a series that had not left its interval (one observation scored
    // before): probability 1e-3 (the rate floor) times exp(-1.5 / 0.1) (the mean-distance floor),
    // 0.95 on the likelihood scale, where the raw 1 - exp(-1.5) was 0.78
    assertThat(flag.getScore()).isCloseTo((Math.log(1e-3) - 1.5 / 0.1) / Math.log(1e-10), org.assertj.core.data.Offset.offset(1e-9));
    assertThat(flag.getSeverity()).isEqualTo(Severity.CRITICAL);
    assertThat(flag.getReason())
        .isEqualTo("below the 90% interval by 1.50 half-widths; 1 observation outside; probability 10^-9.5 given the series' recent excursions");
    assertThat(flag.getModel()).isEqualTo("last-value-test:1");
  }

  @Test
  void undecodableBytesGoToTheDeadLetterTopicByteForByte() {
    byte[] garbage = {1, 2, 3, 4, 5};
    sendRaw("pump-1".getBytes(StandardCharsets.UTF_8), garbage);
    DeadLetter dead = deadLetters.readValue();
    assertThat(dead.getStage()).isEqualTo("deserialize");
    assertThat(dead.getTopic()).isEqualTo(PipelineConfig.TELEMETRY_TOPIC_DEFAULT);
    assertThat(dead.getOffset()).isEqualTo(0);
    assertThat(bytes(dead.getValue())).containsExactly(garbage);
    assertThat(bytes(dead.getKey())).containsExactly("pump-1".getBytes(StandardCharsets.UTF_8));
    assertThat(dead.getError()).isNotBlank();
    // the pipeline keeps running
    sendSeries("pump-1", 0, 4, 5.0);
    assertThat(forecasts.readValuesToList()).hasSize(1);
  }

  @Test
  void anUnknownSchemaFingerprintIsDeadLettered() {
    byte[] value = send("pump-1", point("pump-1", 0, Map.of("temp", 1.0)));
    forecasts.readValuesToList();
    byte[] unknown = value.clone();
    unknown[2] ^= 0x55; // the fingerprint starts after the two-byte marker
    sendRaw("pump-1".getBytes(StandardCharsets.UTF_8), unknown);
    DeadLetter dead = deadLetters.readValue();
    assertThat(dead.getStage()).isEqualTo("deserialize");
    assertThat(dead.getError().toLowerCase()).contains("schema");
  }

  @Test
  void aNullValueIsDeadLettered() {
    sendRaw("pump-1".getBytes(StandardCharsets.UTF_8), null);
    DeadLetter dead = deadLetters.readValue();
    assertThat(dead.getError()).contains("null");
    assertThat(dead.getValue()).isNull();
  }

  @Test
  void invalidFieldsAreDeadLetteredWithTheirReason() {
    send("pump-1", point("pump-1", 0, Map.of("temp", Double.NaN)));
    send("pump-1", point("pump-1", 1, Map.of("temp", Double.POSITIVE_INFINITY)));
    send("", point("", 2, Map.of("temp", 1.0)));
    send("pump-1", point("pump-1", 3, Map.of()));
    send("pump-1", new TelemetryPoint("pump-1", T0.plus(java.time.Duration.ofDays(30)), Map.of("temp", 1.0), Map.of()));
    send("pump-2", point("pump-1", 4, Map.of("temp", 1.0)));
    List<DeadLetter> dead = deadLetters.readValuesToList();
    assertThat(dead).extracting(DeadLetter::getStage).containsOnly("validate");
    assertThat(dead).extracting(DeadLetter::getError)
        .satisfiesExactly(
            e -> assertThat(e).contains("channel 'temp' is NaN"),
            e -> assertThat(e).contains("Infinity"),
            e -> assertThat(e).contains("source is empty"),
            e -> assertThat(e).contains("values is empty"),
            e -> assertThat(e).contains("in the future"),
            e -> assertThat(e).contains("does not match source"));
    assertThat(forecasts.isEmpty()).isTrue();
  }

  @Test
  void latePointsAndDuplicatesAreDeadLetteredAndTheSeriesGoesOn() {
    sendSeries("pump-1", 5, 7, 5.0);
    byte[] late = send("pump-1", point("pump-1", 2, Map.of("temp", 5.0)));
    send("pump-1", point("pump-1", 6, Map.of("temp", 5.0)));
    List<DeadLetter> dead = deadLetters.readValuesToList();
    assertThat(dead).extracting(DeadLetter::getStage).containsExactly("order", "order");
    assertThat(dead.get(0).getError()).contains("channel 'temp': late");
    assertThat(bytes(dead.get(0).getValue())).containsExactly(late);
    assertThat(dead.get(0).getOffset()).isEqualTo(2);
    assertThat(dead.get(1).getError()).contains("duplicate");
    sendSeries("pump-1", 7, 9, 5.0);
    assertThat(forecasts.readValuesToList()).hasSize(1);
  }

  @Test
  void aFailingModelDeadLettersThePointButKeepsTheSeries() {
    sendSeries("pump-1", 0, 3, 5.0);
    send("pump-1", point("pump-1", 3, Map.of("temp", LastValueTestForecaster.FAIL_ON)));
    DeadLetter dead = deadLetters.readValue();
    assertThat(dead.getStage()).isEqualTo("forecast");
    assertThat(dead.getError()).contains("test forecaster asked to fail");
    sendSeries("pump-1", 4, 6, 5.0);
    assertThat(forecasts.readValuesToList()).hasSize(1);
  }

  @Test
  void aLongGapRestartsTheWindow() {
    sendSeries("pump-1", 0, 4, 5.0);
    assertThat(forecasts.readValuesToList()).hasSize(1);
    sendSeries("pump-1", 100, 103, 50.0);
    assertThat(forecasts.isEmpty()).isTrue();
    assertThat(anomalies.isEmpty()).isTrue();
    sendSeries("pump-1", 103, 104, 50.0);
    assertThat(forecasts.readValuesToList()).hasSize(1);
  }

  private static byte[] bytes(ByteBuffer buffer) {
    ByteBuffer copy = buffer.duplicate();
    byte[] out = new byte[copy.remaining()];
    copy.get(out);
    return out;
  }
}

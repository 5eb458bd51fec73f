package dev.sibyl.streams.flink;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sibyl.schemas.AnomalyFlag;
import dev.sibyl.schemas.DeadLetter;
import dev.sibyl.schemas.HealthEstimate;
import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.schemas.serde.AvroSerdes;
import dev.sibyl.streams.LastValueTestForecaster;
import dev.sibyl.streams.PipelineConfig;
import dev.sibyl.streams.StagedTestPrognostic;
import dev.sibyl.streams.kafka.ForecastTopology;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;

/**
 * The Flink health function beside the Streams health processor on the same points: the same
 * estimates, the same flags and the same dead letters, with the Flink state snapshotted and
 * restored half way.
 */
class HealthFunctionTest {

  private static final long CYCLE = 3_600_000;
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final int MAX_CYCLES = 5;
  private static final JobTopics TOPICS =
      new JobTopics(
          PipelineConfig.TELEMETRY_TOPIC_DEFAULT,
          PipelineConfig.FORECASTS_TOPIC_DEFAULT,
          PipelineConfig.ANOMALIES_TOPIC_DEFAULT,
          PipelineConfig.DEAD_LETTER_TOPIC_DEFAULT,
          PipelineConfig.HEALTH_TOPIC_DEFAULT);

  /** Two units: degradation into the alert stages, a duplicate, a late cycle, a partial point, a non-unit point, a model failure. */
  private static List<TelemetryPoint> points() {
    List<TelemetryPoint> points = new ArrayList<>();
    for (int c = 0; c < 9; c++) {
      points.add(point("u1", c, Map.of("s2", 0.3 * c, "s3", 7.0)));
      points.add(point("u2", c, Map.of("s2", 0.1 * c, "s3", 7.0 + c)));
    }
    points.add(point("u1", 8, Map.of("s2", 0.1, "s3", 7.0)));
    points.add(point("u1", 3, Map.of("s2", 0.1, "s3", 7.0)));
    points.add(point("u2", 9, Map.of("s2", 0.1)));
    points.add(point("u2", 10, Map.of("temp", 20.0)));
    points.add(point("u2", 11, Map.of("s2", StagedTestPrognostic.FAIL_ON, "s3", 7.0)));
    for (int c = 12; c < 15; c++) {
      points.add(point("u2", c, Map.of("s2", 2.5, "s3", 7.0)));
    }
    return points;
  }

  private static TelemetryPoint point(String unit, int cycle, Map<String, Double> values) {
    return new TelemetryPoint(unit, T0.plusMillis(cycle * CYCLE), values, Map.of());
  }

  private static <T extends SpecificRecord> T decode(Class<T> type, byte[] bytes) {
    return AvroSerdes.forType(type, Map.of(), false).deserializer().deserialize("t", bytes);
  }

  /** What the Streams topology writes for the points, by topic: health estimates, health flags, health dead letters. */
  private static List<List<String>> streams(List<TelemetryPoint> points) {
    PipelineConfig config =
        new PipelineConfig(
            Map.of(
                PipelineConfig.LOOKBACK_CONFIG, "8",
                PipelineConfig.HORIZON_CONFIG, "100",
                PipelineConfig.CADENCE_CONFIG, "100",
                PipelineConfig.HEALTH_ALERT_STATES_CONFIG, "1",
                PipelineConfig.HEALTH_MAX_CYCLES_CONFIG, String.valueOf(MAX_CYCLES)));
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "health-parity-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    Serializer<TelemetryPoint> serializer = AvroSerdes.forType(TelemetryPoint.class, Map.of(), false).serializer();
    try (TopologyTestDriver driver =
        new TopologyTestDriver(ForecastTopology.build(config, new LastValueTestForecaster(4, 1.0), new StagedTestPrognostic(), Map.of()), props, T0)) {
      TestInputTopic<byte[], byte[]> input =
          driver.createInputTopic(PipelineConfig.TELEMETRY_TOPIC_DEFAULT, new ByteArraySerializer(), new ByteArraySerializer());
      for (TelemetryPoint p : points) {
        input.pipeInput(p.getSource().getBytes(StandardCharsets.UTF_8), serializer.serialize("t", p), T0);
      }
      var health = driver.createOutputTopic(PipelineConfig.HEALTH_TOPIC_DEFAULT, new StringDeserializer(), AvroSerdes.forType(HealthEstimate.class, Map.of(), false).deserializer());
      var anomalies = driver.createOutputTopic(PipelineConfig.ANOMALIES_TOPIC_DEFAULT, new StringDeserializer(), AvroSerdes.forType(AnomalyFlag.class, Map.of(), false).deserializer());
      var dead = driver.createOutputTopic(PipelineConfig.DEAD_LETTER_TOPIC_DEFAULT, new StringDeserializer(), AvroSerdes.forType(DeadLetter.class, Map.of(), false).deserializer());
      return List.of(
          health.readValuesToList().stream().map(HealthEstimate::toString).toList(),
          anomalies.readValuesToList().stream().filter(f -> f.getChannel().equals(OutputEncoder.HEALTH_CHANNEL)).map(AnomalyFlag::toString).toList(),
          dead.readValuesToList().stream().filter(d -> d.getStage().equals(HealthFunction.STAGE_HEALTH)).map(d -> d.getOffset() + " " + d.getError()).toList());
    }
  }

  private static KeyedOneInputStreamOperatorTestHarness<String, Point, OutputRecord> harness(OperatorSubtaskState restored) throws Exception {
    HealthFunction function =
        new HealthFunction(StagedTestPrognostic::new, 1, MAX_CYCLES, 0, new OutputEncoder(TOPICS, Map.of()));
    var harness = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(function), Point::source, Types.STRING);
    if (restored != null) {
      harness.initializeState(restored);
    }
    harness.open();
    return harness;
  }

  private static Point flinkPoint(TelemetryPoint p, long offset) {
    TreeMap<String, Double> sorted = new TreeMap<>(p.getValues());
    String[] channels = sorted.keySet().toArray(String[]::new);
    double[] values = sorted.values().stream().mapToDouble(Double::doubleValue).toArray();
    RawRecord raw = new RawRecord(TOPICS.telemetry(), 0, offset, T0.toEpochMilli(), p.getSource().getBytes(StandardCharsets.UTF_8), new byte[] {1});
    return new Point(p.getSource(), p.getTimestamp().toEpochMilli(), channels, values, raw);
  }

  @Test
  void writesWhatTheStreamsHealthProcessorWrites() throws Exception {
    List<TelemetryPoint> points = points();
    List<OutputRecord> out = new ArrayList<>();
    int half = points.size() / 2;
    OperatorSubtaskState snapshot;
    try (var first = harness(null)) {
      for (int i = 0; i < half; i++) {
        first.processElement(new StreamRecord<>(flinkPoint(points.get(i), i)));
      }
      out.addAll(first.extractOutputValues());
      snapshot = first.snapshot(1, 1);
    }
    try (var second = harness(snapshot)) {
      for (int i = half; i < points.size(); i++) {
        second.processElement(new StreamRecord<>(flinkPoint(points.get(i), i)));
      }
      out.addAll(second.extractOutputValues());
    }
    List<String> estimates = out.stream().filter(r -> r.topic().equals(TOPICS.health())).map(r -> decode(HealthEstimate.class, r.value()).toString()).toList();
    List<String> flags = out.stream().filter(r -> r.topic().equals(TOPICS.anomalies())).map(r -> decode(AnomalyFlag.class, r.value()).toString()).toList();
    List<String> dead =
        out.stream().filter(r -> r.topic().equals(TOPICS.deadLetters())).map(r -> decode(DeadLetter.class, r.value())).map(d -> d.getOffset() + " " + d.getError()).toList();

    List<List<String>> expected = streams(points);
    assertThat(expected.get(0)).hasSize(21);
    assertThat(expected.get(1)).hasSize(2);
    assertThat(expected.get(2)).hasSize(4);
    assertThat(estimates).isEqualTo(expected.get(0));
    assertThat(flags).isEqualTo(expected.get(1));
    assertThat(dead).isEqualTo(expected.get(2));
  }
}

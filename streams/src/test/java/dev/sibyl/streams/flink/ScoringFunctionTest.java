package dev.sibyl.streams.flink;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sibyl.models.api.ForecastResult;
import dev.sibyl.models.api.SeriesWindow;
import dev.sibyl.schemas.AnomalyFlag;
import dev.sibyl.schemas.DeadLetter;
import dev.sibyl.schemas.Forecast;
import dev.sibyl.schemas.serde.AvroSerdes;
import dev.sibyl.streams.core.ForecastRequest;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** The scoring function on Flink's operator harness: forecasts out, flags against the latest forecast, resets, failures. */
class ScoringFunctionTest {

  private static KeyedOneInputStreamOperatorTestHarness<String, SeriesEvent, OutputRecord> harness() throws Exception {
    KeyedOneInputStreamOperatorTestHarness<String, SeriesEvent, OutputRecord> harness =
        new KeyedOneInputStreamOperatorTestHarness<>(
            new KeyedProcessOperator<>(new ScoringFunction(SeriesFunctionTest.SETTINGS, 0, new OutputEncoder(SeriesFunctionTest.TOPICS, Map.of()))),
            SeriesEvent::source,
            Types.STRING);
    harness.open();
    return harness;
  }

  /** An observation at 3000 after which a forecast of 10 +- 1 for 4000..7000 came back. */
  private static SeriesEvent answered(boolean degraded) {
    ForecastRequest request = new ForecastRequest(new SeriesWindow(new long[] {1000, 2000, 3000}, new double[] {10, 10, 10}, 1000), 4);
    RawRecord raw = new RawRecord("in", 1, 7, 3000, "u1".getBytes(), new byte[] {1});
    ForecastResult result = new ForecastResult(new double[] {10, 10, 10, 10}, new double[] {9, 9, 9, 9}, new double[] {11, 11, 11, 11}, 0.9);
    return SeriesEvent.due("u1", "x", 3000, 10, false, true, raw, request).answered(result, degraded);
  }

  private static <T extends org.apache.avro.specific.SpecificRecord> List<T> decode(List<OutputRecord> records, String topic, Class<T> type) {
    return records.stream()
        .filter(r -> r.topic().equals(topic))
        .map(r -> AvroSerdes.forType(type, Map.of(), false).deserializer().deserialize(topic, r.value()))
        .toList();
  }

  @Test
  void writesTheForecastAndFlagsAnObservationOutsideItsInterval() throws Exception {
    try (var harness = harness()) {
      harness.processElement(new StreamRecord<>(answered(true), 3000));
      harness.processElement(new StreamRecord<>(SeriesEvent.observation("u1", "x", 4000, 10.5, false, true), 4000));
      harness.processElement(new StreamRecord<>(SeriesEvent.observation("u1", "x", 5000, 30, false, true), 5000));
      List<OutputRecord> out = harness.extractOutputValues();

      List<Forecast> forecasts = decode(out, "forecasts", Forecast.class);
      assertThat(forecasts).hasSize(1);
      assertThat(forecasts.get(0).getIssuedAt().toEpochMilli()).isEqualTo(3000);
      assertThat(forecasts.get(0).getLookback()).isEqualTo(3);
      assertThat(forecasts.get(0).getDegraded()).isTrue();
      assertThat(forecasts.get(0).getPoints().get(0).getTimestamp().toEpochMilli()).isEqualTo(4000);
      // 10.5 is inside [9, 11]; 30 is not.
      List<AnomalyFlag> flags = decode(out, "anomalies", AnomalyFlag.class);
      assertThat(flags).hasSize(1);
      assertThat(flags.get(0).getTimestamp().toEpochMilli()).isEqualTo(5000);
      assertThat(flags.get(0).getObserved()).isEqualTo(30);
      assertThat(flags.get(0).getExpected()).isEqualTo(10);
      assertThat(flags.get(0).getModel()).isEqualTo("holt-winters:test");
    }
  }

  @Test
  void aGapResetForgetsTheForecastAndAColdWindowRaisesNoFlag() throws Exception {
    try (var harness = harness()) {
      harness.processElement(new StreamRecord<>(answered(false), 3000));
      harness.processElement(new StreamRecord<>(SeriesEvent.observation("u1", "x", 4000, 30, false, false), 4000));
      harness.processElement(new StreamRecord<>(SeriesEvent.observation("u1", "x", 5000, 30, true, true), 5000));
      harness.processElement(new StreamRecord<>(SeriesEvent.observation("u1", "x", 6000, 30, false, true), 6000));
      assertThat(decode(harness.extractOutputValues(), "anomalies", AnomalyFlag.class)).isEmpty();
    }
  }

  @Test
  void aPointNoModelCouldForecastAfterIsDeadLettered() throws Exception {
    try (var harness = harness()) {
      SeriesEvent failed = answered(false).failed("inference failed: boom");
      harness.processElement(new StreamRecord<>(failed, 3000));
      List<OutputRecord> out = harness.extractOutputValues();
      assertThat(decode(out, "forecasts", Forecast.class)).isEmpty();
      List<DeadLetter> dead = decode(out, "dead-letters", DeadLetter.class);
      assertThat(dead).hasSize(1);
      assertThat(dead.get(0).getStage()).isEqualTo(ScoringFunction.STAGE_FORECAST);
      assertThat(dead.get(0).getError()).isEqualTo("channel 'x': inference failed: boom");
      assertThat(dead.get(0).getPartition()).isEqualTo(1);
      assertThat(dead.get(0).getOffset()).isEqualTo(7);
    }
  }
}

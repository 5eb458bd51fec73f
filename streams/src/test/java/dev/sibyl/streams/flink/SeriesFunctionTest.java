package dev.sibyl.streams.flink;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sibyl.schemas.DeadLetter;
import dev.sibyl.schemas.serde.AvroSerdes;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** The keyed series function on Flink's operator harness: cadence, rejections, and its state across a snapshot. */
class SeriesFunctionTest {

  /** Window 16, horizon 4, a forecast every 2 points from 4 points on; no warm-up. */
  static final SeriesSettings SETTINGS =
      new SeriesSettings(new ModelSpec("holt-winters", Map.of(), "test", 4), 16, 4, 2, 10, 0, 0.1, 0.0, Long.MAX_VALUE / 4);

  static final JobTopics TOPICS = new JobTopics("in", "forecasts", "anomalies", "dead-letters", "health");

  private static KeyedOneInputStreamOperatorTestHarness<String, Point, SeriesEvent> harness(OperatorSubtaskState restored) throws Exception {
    KeyedOneInputStreamOperatorTestHarness<String, Point, SeriesEvent> harness =
        new KeyedOneInputStreamOperatorTestHarness<>(
            new KeyedProcessOperator<>(new SeriesFunction(SETTINGS, 0, new OutputEncoder(TOPICS, Map.of()))), Point::source, Types.STRING);
    if (restored != null) {
      harness.initializeState(restored);
    }
    harness.open();
    return harness;
  }

  static Point point(String source, long timestamp, double x, double y) {
    RawRecord raw = new RawRecord("in", 0, timestamp / 1000, timestamp, source.getBytes(), new byte[] {1});
    return new Point(source, timestamp, new String[] {"x", "y"}, new double[] {x, y}, raw);
  }

  @Test
  void admitsEveryChannelAndRequestsAForecastAtTheCadence() throws Exception {
    try (var harness = harness(null)) {
      for (int i = 0; i < 6; i++) {
        harness.processElement(new StreamRecord<>(point("u1", 1000L * i, i, -i), 1000L * i));
      }
      List<SeriesEvent> events = harness.extractOutputValues();
      // Two channels per point, in name order; due at the 4th point (minimum history) and every 2nd after.
      assertThat(events).hasSize(12);
      assertThat(events).extracting(SeriesEvent::channel).containsExactly("x", "y", "x", "y", "x", "y", "x", "y", "x", "y", "x", "y");
      assertThat(events.stream().filter(SeriesEvent::hasRequest).map(e -> e.channel() + "@" + e.timestamp()))
          .containsExactly("x@3000", "y@3000", "x@5000", "y@5000");
      SeriesEvent due = events.get(10);
      assertThat(due.windowTimestamps()).containsExactly(0, 1000, 2000, 3000, 4000, 5000);
      assertThat(due.windowValues()).containsExactly(0, 1, 2, 3, 4, 5);
      assertThat(due.stepMillis()).isEqualTo(1000);
      assertThat(due.horizon()).isEqualTo(4);
      assertThat(due.raw()).isNotNull();
    }
  }

  @Test
  void lateAndDuplicatePointsGoToTheDeadLettersWithTheirReason() throws Exception {
    try (var harness = harness(null)) {
      harness.processElement(new StreamRecord<>(point("u1", 5000, 1, 1), 5000));
      harness.processElement(new StreamRecord<>(point("u1", 4000, 2, 2), 4000));
      harness.processElement(new StreamRecord<>(point("u1", 5000, 1, 3), 5000));
      assertThat(harness.extractOutputValues()).hasSize(2);
      List<DeadLetter> dead =
          harness.getSideOutput(DecodeFunction.DEAD_LETTERS).stream()
              .map(r -> AvroSerdes.forType(DeadLetter.class, Map.of(), false).deserializer().deserialize("dead-letters", r.getValue().value()))
              .toList();
      assertThat(dead).hasSize(2);
      assertThat(dead).extracting(DeadLetter::getStage).containsOnly(SeriesFunction.STAGE_ORDER);
      assertThat(dead.get(0).getError()).startsWith("channel 'x': late: timestamp 4000").contains("; channel 'y': late:");
      assertThat(dead.get(1).getError())
          .contains("channel 'x': duplicate: timestamp 5000 was already accepted with the same value")
          .contains("channel 'y': duplicate: timestamp 5000 was already accepted with value 1.0, not 3.0");
      assertThat(dead.get(1).getOffset()).isEqualTo(5);
    }
  }

  @Test
  void theWindowAndTheCadenceSurviveASnapshotAndRestore() throws Exception {
    OperatorSubtaskState snapshot;
    try (var harness = harness(null)) {
      for (int i = 0; i < 5; i++) {
        harness.processElement(new StreamRecord<>(point("u1", 1000L * i, i, i), 1000L * i));
      }
      snapshot = harness.snapshot(1, 1);
    }
    try (var restored = harness(snapshot)) {
      restored.processElement(new StreamRecord<>(point("u1", 5000, 5, 5), 5000));
      restored.processElement(new StreamRecord<>(point("u1", 5000, 5, 5), 5000));
      List<SeriesEvent> events = restored.extractOutputValues();
      // Due at 3000 before the snapshot, so due again two points later, at 5000, over the whole window.
      assertThat(events).hasSize(2).allMatch(SeriesEvent::hasRequest);
      assertThat(events.get(0).windowTimestamps()).containsExactly(0, 1000, 2000, 3000, 4000, 5000);
      // The duplicate is recognised against the restored window.
      assertThat(restored.getSideOutput(DecodeFunction.DEAD_LETTERS)).hasSize(1);
    }
  }
}

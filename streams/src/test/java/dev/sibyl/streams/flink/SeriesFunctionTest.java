package dev.sibyl.streams.flink;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sibyl.schemas.DeadLetter;
import dev.sibyl.schemas.serde.AvroSerdes;
import dev.sibyl.streams.core.SeriesOperator;
import dev.sibyl.streams.core.SeriesOperator.Admission;
import dev.sibyl.streams.core.SeriesState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
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

  /** The keys of one of the series function's map states for unit u1. */
  private static List<String> stored(KeyedOneInputStreamOperatorTestHarness<String, Point, SeriesEvent> harness, String state) throws Exception {
    AbstractStreamOperator<SeriesEvent> operator = (AbstractStreamOperator<SeriesEvent>) harness.getOperator();
    operator.setCurrentKey("u1");
    List<String> keys = new ArrayList<>();
    operator
        .getPartitionedState(
            VoidNamespace.INSTANCE,
            VoidNamespaceSerializer.INSTANCE,
            new MapStateDescriptor<>(SeriesFunction.STATE_PREFIX + "-" + state, Types.STRING, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO))
        .keys()
        .forEach(keys::add);
    return keys;
  }

  /** What the Streams processor's core does with the same points: admissions over one whole window. */
  private static List<String> streamsAdmissions(List<Point> points) {
    SeriesOperator operator = SETTINGS.operator();
    Map<String, SeriesState> states = new java.util.TreeMap<>();
    List<String> out = new ArrayList<>();
    for (Point p : points) {
      for (int i = 0; i < p.channels().length; i++) {
        SeriesState state = states.computeIfAbsent(p.channels()[i], c -> new SeriesState(SETTINGS.lookback()));
        Admission admission = operator.admit(state, p.timestamp(), p.values()[i]);
        if (admission.rejection() != null) {
          out.add(p.channels()[i] + "@" + p.timestamp() + " " + admission.reason());
          continue;
        }
        if (admission.due() != null) {
          state.setPointsSinceForecast(0);
        }
        out.add(describe(p.channels()[i], p.timestamp(), admission.windowReset(), admission.due() == null ? null : admission.due().window().timestamps()));
      }
    }
    return out;
  }

  private static String describe(String channel, long timestamp, boolean reset, long[] window) {
    return channel + "@" + timestamp + (reset ? " reset" : "") + (window == null ? "" : " due " + java.util.Arrays.toString(window));
  }

  @Test
  void theWatermarkPassingTheGapFreesAQuietSeriesAndTheOutputsStayThoseOfStreams() throws Exception {
    List<Point> before = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      before.add(point("u1", 1000L * i, i, -i));
    }
    // After the gap (10 steps of 1000 ms from 5000): a late point, a duplicate, then points that start a new window.
    List<Point> after = List.of(point("u1", 4000, 9, 9), point("u1", 5000, 5, 5), point("u1", 17_000, 1, 1), point("u1", 18_000, 2, 2),
        point("u1", 19_000, 3, 3), point("u1", 20_000, 4, 4));
    try (var harness = harness(null)) {
      for (Point p : before) {
        harness.processElement(new StreamRecord<>(p, p.timestamp()));
      }
      harness.processWatermark(14_999);
      assertThat(stored(harness, "meta")).as("the gap has not passed yet").containsExactlyInAnyOrder("x", "y");
      assertThat(harness.numEventTimeTimers()).isEqualTo(1);
      harness.processWatermark(15_000);
      assertThat(harness.numEventTimeTimers()).isZero();
      // The windows are gone; one small record of the newest point per channel is left.
      assertThat(stored(harness, "meta")).isEmpty();
      assertThat(stored(harness, "points")).isEmpty();
      assertThat(stored(harness, "quiet")).containsExactlyInAnyOrder("x", "y");
      for (Point p : after) {
        harness.processElement(new StreamRecord<>(p, p.timestamp()));
      }
      List<String> flink = new ArrayList<>();
      for (SeriesEvent e : harness.extractOutputValues()) {
        flink.add(describe(e.channel(), e.timestamp(), e.windowReset(), e.windowTimestamps()));
      }
      List<DeadLetter> dead =
          harness.getSideOutput(DecodeFunction.DEAD_LETTERS).stream()
              .map(r -> AvroSerdes.forType(DeadLetter.class, Map.of(), false).deserializer().deserialize("dead-letters", r.getValue().value()))
              .toList();
      List<Point> all = new ArrayList<>(before);
      all.addAll(after);
      List<String> streams = streamsAdmissions(all);
      List<String> accepted = streams.stream().filter(s -> !s.contains("late:") && !s.contains("duplicate:")).toList();
      assertThat(flink).containsExactlyElementsOf(accepted);
      // The new window starts fresh at 17000, marked reset, and is due again at its 4th point.
      assertThat(flink).contains("x@17000 reset", "y@17000 reset", "x@20000 due [17000, 18000, 19000, 20000]");
      // The late point and the duplicate are rejected with the reasons the core gives against the whole window.
      assertThat(dead).hasSize(2);
      assertThat(dead.get(0).getError())
          .isEqualTo("channel 'x': " + streams.get(12).substring("x@4000 ".length()) + "; channel 'y': " + streams.get(13).substring("y@4000 ".length()));
      assertThat(dead.get(1).getError()).contains("channel 'x': duplicate: timestamp 5000 was already accepted with the same value");
      // A watermark far ahead frees the new window too.
      assertThat(stored(harness, "quiet")).isEmpty();
      harness.processWatermark(31_000);
      assertThat(stored(harness, "meta")).isEmpty();
      assertThat(stored(harness, "quiet")).containsExactlyInAnyOrder("x", "y");
    }
  }
}

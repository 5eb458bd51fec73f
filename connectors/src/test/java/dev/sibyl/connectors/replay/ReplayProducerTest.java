package dev.sibyl.connectors.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sibyl.schemas.TelemetryPoint;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class ReplayProducerTest {

  /** A clock that only moves when the producer sleeps. */
  private static final class FakeClock implements PacingClock {
    long now;
    final List<Long> sleeps = new ArrayList<>();

    @Override
    public long nanoTime() {
      return now;
    }

    @Override
    public void sleepNanos(long nanos) {
      sleeps.add(nanos);
      now += nanos;
    }
  }

  private static final Serializer<TelemetryPoint> NO_SERIALIZER = (topic, point) -> new byte[0];

  private static List<TelemetryPoint> hourly(int n) {
    List<TelemetryPoint> points = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      points.add(
          new TelemetryPoint(
              "s" + (i % 2),
              Instant.parse("2020-01-01T00:00:00Z").plus(Duration.ofHours(i)),
              Map.of("v", (double) i),
              Map.of()));
    }
    return points;
  }

  @Test
  void sendsEveryPointKeyedBySourceWithEventTimeAsTimestamp() {
    MockProducer<String, TelemetryPoint> producer =
        new MockProducer<>(true, null, new StringSerializer(), NO_SERIALIZER);
    ReplayResult result =
        ReplayProducer.builder().setProducer(producer).setTopic("t").build().run(hourly(3).iterator());

    assertThat(result.sent()).isEqualTo(3);
    assertThat(result.acknowledged()).isEqualTo(3);
    assertThat(result.failed()).isZero();
    ProducerRecord<String, TelemetryPoint> second = producer.history().get(1);
    assertThat(second.key()).isEqualTo("s1");
    assertThat(second.topic()).isEqualTo("t");
    assertThat(second.timestamp()).isEqualTo(Instant.parse("2020-01-01T01:00:00Z").toEpochMilli());
  }

  @Test
  void speedPacesByEventTime() {
    FakeClock clock = new FakeClock();
    MockProducer<String, TelemetryPoint> producer =
        new MockProducer<>(true, null, new StringSerializer(), NO_SERIALIZER);
    ReplayProducer.builder().setProducer(producer).setTopic("t").optSpeed(3600).optClock(clock)
        .build().run(hourly(4).iterator());

    // Hourly points at speed 3600: one per second, the first at once.
    assertThat(clock.now).isEqualTo(Duration.ofSeconds(3).toNanos());
  }

  @Test
  void ratePacesByCount() {
    FakeClock clock = new FakeClock();
    MockProducer<String, TelemetryPoint> producer =
        new MockProducer<>(true, null, new StringSerializer(), NO_SERIALIZER);
    List<ReplayProgress> progress = new ArrayList<>();
    ReplayProducer.builder().setProducer(producer).setTopic("t").optRate(4).optClock(clock)
        .optProgressListener(progress::add, Duration.ofSeconds(1))
        .build().run(hourly(9).iterator());

    assertThat(clock.now).isEqualTo(Duration.ofSeconds(2).toNanos());
    assertThat(progress).isNotEmpty();
    assertThat(progress.get(progress.size() - 1).sent()).isEqualTo(9);
  }

  @Test
  void stopsAtTheFirstFailedSend() {
    MockProducer<String, TelemetryPoint> producer =
        new MockProducer<>(false, null, new StringSerializer(), NO_SERIALIZER);
    ReplayProducer replay = ReplayProducer.builder().setProducer(producer).setTopic("t").build();
    List<TelemetryPoint> points = hourly(5);
    // Fail the first send as soon as it is made, before the second point is considered.
    java.util.Iterator<TelemetryPoint> it =
        new java.util.Iterator<>() {
          int i;

          @Override
          public boolean hasNext() {
            return i < points.size();
          }

          @Override
          public TelemetryPoint next() {
            if (i == 1) {
              producer.errorNext(new RuntimeException("broker gone"));
            }
            return points.get(i++);
          }
        };
    ReplayResult result = replay.run(it);

    // The failure is seen before the third point is taken: the rest of the input is not read.
    assertThat(result.failed()).isEqualTo(1);
    assertThat(result.sent()).isEqualTo(2);
    assertThat(it.hasNext()).isTrue();
    assertThat(result.firstError()).hasMessage("broker gone");
    assertThat(result.stopped()).isFalse();
  }

  @Test
  void builderRejectsBadSettings() {
    MockProducer<String, TelemetryPoint> producer =
        new MockProducer<>(true, null, new StringSerializer(), NO_SERIALIZER);
    assertThatThrownBy(() -> ReplayProducer.builder().setTopic("t").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("producer must be set");
    assertThatThrownBy(() -> ReplayProducer.builder().setProducer(producer).build())
        .hasMessage("topic must be set and not blank, got 'null'");
    assertThatThrownBy(() -> ReplayProducer.builder().setProducer(producer).setTopic("t").optSpeed(-1).build())
        .hasMessage("speed must be a finite number >= 0, got -1.0");
    assertThatThrownBy(() -> ReplayProducer.builder().optSpeed(1).optRate(1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("speed and rate exclude each other: speed is already set");
    assertThatThrownBy(() -> ReplayProducer.builder().optRate(1).optSpeed(1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("speed and rate exclude each other: rate is already set");
  }
}

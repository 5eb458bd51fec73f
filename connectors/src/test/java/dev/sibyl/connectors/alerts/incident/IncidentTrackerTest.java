package dev.sibyl.connectors.alerts.incident;

import static dev.sibyl.connectors.alerts.AlertFixtures.T0;
import static dev.sibyl.connectors.alerts.AlertFixtures.flag;
import static dev.sibyl.connectors.alerts.AlertFixtures.health;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sibyl.connectors.alerts.incident.IncidentEvent.Action;
import dev.sibyl.schemas.HealthEstimate;
import dev.sibyl.schemas.Severity;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class IncidentTrackerTest {

  private static final Instant WALL = Instant.parse("2026-11-01T00:00:00Z");
  private static final Duration QUIET = Duration.ofMinutes(5);

  private final IncidentTracker tracker = new IncidentTracker(new IncidentPolicy(QUIET, QUIET, Severity.LOW, 100, 0.5));

  private static Origin at(long offset) {
    return new Origin("sibyl.anomalies", 0, offset, null, null);
  }

  @Test
  void manyFlagsOfOneSeriesMakeOneTriggerAndTheQuietPeriodResolvesIt() {
    List<IncidentEvent> events = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      Severity severity = i == 20 ? Severity.CRITICAL : Severity.MEDIUM;
      events.addAll(tracker.onFlag(flag("pump-1", "temp", i, severity, 0.5 + i / 100.0), at(i), WALL.plusSeconds(i)));
    }
    assertThat(events).hasSize(1);
    IncidentEvent trigger = events.get(0);
    assertThat(trigger.action()).isEqualTo(Action.TRIGGER);
    assertThat(trigger.incident().id()).isEqualTo("sibyl/pump-1/temp/" + T0.toEpochMilli());
    assertThat(trigger.incident().count()).isEqualTo(1);
    assertThat(trigger.origin().offset()).isZero();

    // Quiet counts from the last flag's arrival (WALL + 49 s), not from the first.
    assertThat(tracker.expire(WALL.plus(QUIET))).isEmpty();
    assertThat(tracker.expire(WALL.plusSeconds(49).plus(QUIET).minusMillis(1))).isEmpty();
    List<IncidentEvent> resolved = tracker.expire(WALL.plusSeconds(49).plus(QUIET));
    assertThat(resolved).hasSize(1);
    Incident incident = resolved.get(0).incident();
    assertThat(resolved.get(0).action()).isEqualTo(Action.RESOLVE);
    assertThat(incident.id()).isEqualTo(trigger.incident().id());
    assertThat(incident.count()).isEqualTo(50);
    assertThat(incident.severity()).isEqualTo(Severity.CRITICAL); // the peak, though the last was MEDIUM
    assertThat(incident.maxScore()).isEqualTo(0.99);
    assertThat(incident.lastEventAt()).isEqualTo(T0.plusSeconds(49));
    assertThat(incident.resolvedAt()).isEqualTo(WALL.plusSeconds(49).plus(QUIET));
    assertThat(incident.resolveReason()).isEqualTo("quiet for 300 s");
    assertThat(resolved.get(0).origin().offset()).isEqualTo(49); // the latest record
    assertThat(tracker.openCount()).isZero();
  }

  @Test
  void aFlagAfterTheResolveOpensANewEpisodeWithANewId() {
    String first = tracker.onFlag(flag("pump-1", "temp", 0, Severity.HIGH, 0.9), at(0), WALL).get(0).incident().id();
    tracker.expire(WALL.plus(QUIET));
    List<IncidentEvent> again = tracker.onFlag(flag("pump-1", "temp", 900, Severity.HIGH, 0.9), at(1),
        WALL.plus(QUIET).plusSeconds(1));
    assertThat(again).singleElement().satisfies(e -> {
      assertThat(e.action()).isEqualTo(Action.TRIGGER);
      assertThat(e.incident().id()).isNotEqualTo(first).endsWith("/" + T0.plusSeconds(900).toEpochMilli());
    });
  }

  @Test
  void aFlagLaterThanTheQuietPeriodInEventTimeClosesTheEpisodeEvenInAReplay() {
    // A replay: event time runs hours ahead while the wall clock moves by milliseconds.
    IncidentEvent first = tracker.onFlag(flag("pump-1", "temp", 0, Severity.HIGH, 0.9), at(0), WALL).get(0);
    assertThat(tracker.onFlag(flag("pump-1", "temp", 300, Severity.HIGH, 0.9), at(1), WALL.plusMillis(1))).isEmpty();
    List<IncidentEvent> events = tracker.onFlag(flag("pump-1", "temp", 601, Severity.LOW, 0.4), at(2), WALL.plusMillis(2));
    assertThat(events).extracting(IncidentEvent::action).containsExactly(Action.RESOLVE, Action.TRIGGER);
    assertThat(events.get(0).incident().id()).isEqualTo(first.incident().id());
    assertThat(events.get(0).incident().count()).isEqualTo(2);
    assertThat(events.get(0).incident().resolveReason()).isEqualTo("quiet for 300 s of event time");
    assertThat(events.get(1).incident().id()).endsWith("/" + T0.plusSeconds(601).toEpochMilli());
    assertThat(events.get(1).incident().severity()).isEqualTo(Severity.LOW);
    assertThat(tracker.openCount()).isEqualTo(1);
  }

  @Test
  void theEventGapIsSetApartFromTheWallClockQuietPeriod() {
    IncidentTracker replay =
        new IncidentTracker(new IncidentPolicy(Duration.ofSeconds(10), Duration.ofMinutes(30), Severity.LOW, 10, 0.5));
    replay.onFlag(flag("pump-1", "temp", 0, Severity.HIGH, 0.9), at(0), WALL);
    assertThat(replay.onFlag(flag("pump-1", "temp", 1800, Severity.HIGH, 0.9), at(1), WALL)).isEmpty();
    assertThat(replay.onFlag(flag("pump-1", "temp", 3601, Severity.HIGH, 0.9), at(2), WALL))
        .extracting(IncidentEvent::action).containsExactly(Action.RESOLVE, Action.TRIGGER);
    assertThat(replay.expire(WALL.plusSeconds(10))).singleElement()
        .satisfies(e -> assertThat(e.incident().resolveReason()).isEqualTo("quiet for 10 s"));
  }

  @Test
  void seriesAreGroupedSeparatelyAndResolveInQuietOrder() {
    tracker.onFlag(flag("pump-1", "temp", 0, Severity.HIGH, 0.9), at(0), WALL);
    tracker.onFlag(flag("pump-1", "pressure", 0, Severity.HIGH, 0.9), at(1), WALL.plusSeconds(10));
    tracker.onFlag(flag("pump-2", "temp", 0, Severity.HIGH, 0.9), at(2), WALL.plusSeconds(20));
    tracker.onFlag(flag("pump-1", "temp", 30, Severity.HIGH, 0.9), at(3), WALL.plusSeconds(30)); // extends
    assertThat(tracker.openCount()).isEqualTo(3);
    List<IncidentEvent> resolved = tracker.expire(WALL.plusSeconds(25).plus(QUIET));
    assertThat(resolved).extracting(e -> e.incident().series().toString())
        .containsExactly("pump-1/pressure", "pump-2/temp");
    assertThat(tracker.openIncident(new SeriesKey("pump-1", "temp"))).isPresent();
  }

  @Test
  void flagsBelowTheMinimumSeverityAreIgnored() {
    IncidentTracker strict = new IncidentTracker(new IncidentPolicy(QUIET, QUIET, Severity.HIGH, 100, 0.5));
    assertThat(strict.onFlag(flag("pump-1", "temp", 0, Severity.MEDIUM, 0.6), at(0), WALL)).isEmpty();
    assertThat(strict.openCount()).isZero();
    assertThat(strict.onFlag(flag("pump-1", "temp", 1, Severity.HIGH, 0.9), at(1), WALL)).hasSize(1);
  }

  @Test
  void aHealthyEstimateResolvesEveryIncidentOfItsSourceOnly() {
    tracker.onFlag(flag("unit-7", "s2", 0, Severity.HIGH, 0.9), at(0), WALL);
    tracker.onFlag(flag("unit-7", "s3", 0, Severity.HIGH, 0.9), at(1), WALL);
    tracker.onFlag(flag("unit-8", "s2", 0, Severity.HIGH, 0.9), at(2), WALL);
    Origin healthOrigin = new Origin("sibyl.health", 0, 5, null, null);
    List<IncidentEvent> resolved = tracker.onHealth(health("unit-7", 60, 0.8), healthOrigin, WALL.plusSeconds(1));
    assertThat(resolved).extracting(e -> e.incident().series().channel()).containsExactlyInAnyOrder("s2", "s3");
    assertThat(resolved).allSatisfy(e -> {
      assertThat(e.action()).isEqualTo(Action.RESOLVE);
      assertThat(e.incident().resolveReason()).isEqualTo("health estimate: healthy with probability 0.80");
      assertThat(e.origin()).isEqualTo(healthOrigin);
    });
    assertThat(tracker.openCount()).isEqualTo(1);
  }

  @Test
  void aDegradedEstimateOpensOneDegradationIncidentThatAHealthyOneResolves() {
    List<IncidentEvent> opened = tracker.onHealth(health("unit-7", 0, 0.2), at(0), WALL);
    assertThat(tracker.onHealth(health("unit-7", 1, 0.1), at(1), WALL.plusSeconds(1))).isEmpty();
    assertThat(opened).singleElement().satisfies(e -> {
      assertThat(e.action()).isEqualTo(Action.TRIGGER);
      assertThat(e.incident().kind()).isEqualTo(IncidentKind.DEGRADATION);
      assertThat(e.incident().series()).isEqualTo(new SeriesKey("unit-7", SeriesKey.HEALTH_CHANNEL));
      assertThat(e.incident().summary()).startsWith("unit-7: degraded, healthy with probability 0.20");
      assertThat(e.incident().details()).containsEntry("rulMean", "120.0");
    });
    List<IncidentEvent> resolved = tracker.onHealth(health("unit-7", 2, 0.9), at(2), WALL.plusSeconds(2));
    assertThat(resolved).singleElement().satisfies(e -> {
      assertThat(e.incident().id()).isEqualTo(opened.get(0).incident().id());
      assertThat(e.incident().count()).isEqualTo(2);
      assertThat(e.incident().maxScore()).isEqualTo(0.9, org.assertj.core.data.Offset.offset(1e-12));
    });
  }

  @Test
  void anEstimateWithoutStatesIsRejected() {
    HealthEstimate empty = HealthEstimate.newBuilder(health("unit-7", 0, 0.5)).setStateProbabilities(List.of()).build();
    assertThatThrownBy(() -> tracker.onHealth(empty, at(0), WALL))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("health estimate of unit-7 has no state probabilities");
  }

  @Test
  void aFullTableResolvesTheSeriesQuietLongestBeforeOpeningANewOne() {
    IncidentTracker small = new IncidentTracker(new IncidentPolicy(QUIET, QUIET, Severity.LOW, 2, 0.5));
    small.onFlag(flag("a", "x", 0, Severity.HIGH, 0.9), at(0), WALL);
    small.onFlag(flag("b", "x", 0, Severity.HIGH, 0.9), at(1), WALL.plusSeconds(1));
    small.onFlag(flag("a", "x", 2, Severity.HIGH, 0.9), at(2), WALL.plusSeconds(2)); // a is now the fresher
    List<IncidentEvent> events = small.onFlag(flag("c", "x", 3, Severity.HIGH, 0.9), at(3), WALL.plusSeconds(3));
    assertThat(events).extracting(IncidentEvent::action).containsExactly(Action.RESOLVE, Action.TRIGGER);
    assertThat(events.get(0).incident().series().source()).isEqualTo("b");
    assertThat(events.get(0).incident().resolveReason()).isEqualTo("evicted: more than 2 incidents open");
    assertThat(events.get(1).incident().series().source()).isEqualTo("c");
    assertThat(small.openCount()).isEqualTo(2);
  }

  @Test
  void openingOffsetsHoldTheLowestOpeningRecordPerPartition() {
    tracker.onFlag(flag("a", "x", 0, Severity.HIGH, 0.9), new Origin("t", 0, 10, null, null), WALL);
    tracker.onFlag(flag("b", "x", 0, Severity.HIGH, 0.9), new Origin("t", 0, 12, null, null), WALL);
    tracker.onFlag(flag("a", "x", 1, Severity.HIGH, 0.9), new Origin("t", 0, 13, null, null), WALL); // extends a
    tracker.onFlag(flag("c", "x", 0, Severity.HIGH, 0.9), new Origin("t", 1, 4, null, null), WALL);
    assertThat(tracker.openingOffsets()).isEqualTo(Map.of(new TopicPartition("t", 0), 10L, new TopicPartition("t", 1), 4L));
  }

  @Test
  void idsOfLongNamesAreHashedToFitPagerDuty() {
    String id = Incident.idOf(new SeriesKey("s".repeat(300), "c"), T0);
    assertThat(id).hasSizeLessThanOrEqualTo(Incident.MAX_ID_LENGTH).startsWith("sibyl/sha256:");
    assertThat(Incident.idOf(new SeriesKey("s".repeat(300), "c"), T0)).isEqualTo(id);
  }

  @Test
  void policyBoundsAreChecked() {
    assertThatThrownBy(() -> new IncidentPolicy(Duration.ZERO, Duration.ZERO, Severity.LOW, 1, 0.5))
        .hasMessage("quietPeriod must be positive, got PT0S");
    assertThatThrownBy(() -> new IncidentPolicy(QUIET, QUIET, Severity.LOW, 0, 0.5))
        .hasMessage("maxSeries must be at least 1, got 0");
    assertThatThrownBy(() -> new IncidentPolicy(QUIET, QUIET, Severity.LOW, 1, 1.5))
        .hasMessage("healthyThreshold must be in [0, 1], got 1.5");
    assertThatThrownBy(() -> new IncidentPolicy(QUIET, Duration.ZERO, Severity.LOW, 1, 0.5))
        .hasMessage("eventGap must be positive, got PT0S");
  }
}

package dev.sibyl.connectors.alerts;

import dev.sibyl.schemas.AnomalyFlag;
import dev.sibyl.schemas.HealthEstimate;
import dev.sibyl.schemas.Severity;
import java.time.Instant;
import java.util.List;

/** Records the alert tests feed in. */
public final class AlertFixtures {

  /** Event time of the first flag of every test. */
  public static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

  private AlertFixtures() {}

  /** A flag of {@code source/channel} at {@code T0 + seconds}. */
  public static AnomalyFlag flag(String source, String channel, long seconds, Severity severity, double score) {
    return AnomalyFlag.newBuilder()
        .setSource(source)
        .setChannel(channel)
        .setTimestamp(T0.plusSeconds(seconds))
        .setObserved(42.5)
        .setExpected(20.0)
        .setLower(15.0)
        .setUpper(25.0)
        .setScore(score)
        .setSeverity(severity)
        .setReason("above upper bound")
        .setModel("holt-winters")
        .build();
  }

  /** A health estimate of {@code source} at {@code T0 + seconds} with P(healthy) = {@code healthy}. */
  public static HealthEstimate health(String source, long seconds, double healthy) {
    return HealthEstimate.newBuilder()
        .setSource(source)
        .setTimestamp(T0.plusSeconds(seconds))
        .setStateProbabilities(List.of(healthy, 1 - healthy))
        .setRulMean(120)
        .setRulLower(80)
        .setRulUpper(160)
        .setModel("arphmm")
        .build();
  }
}

package dev.sibyl.connectors.alerts.incident;

import dev.sibyl.schemas.Severity;
import java.time.Duration;
import java.util.Objects;

/**
 * How records are grouped into incidents and when an incident ends.
 *
 * @param quietPeriod an incident resolves when no anomalous record of its series has arrived for
 *     this long (wall clock); positive
 * @param eventGap a flag whose event time is more than this after the incident's latest record
 *     ends the episode and opens the next one; positive
 * @param minSeverity anomaly flags below this severity are ignored; never null
 * @param maxSeries most incidents open at once; when one more opens, the one that has been quiet
 *     longest is resolved first (so that no trigger is left without its resolve); at least 1
 * @param healthyThreshold a health estimate whose probability of the healthy state (the first
 *     state) is at least this resolves every incident of its source; below it, it opens or extends
 *     the source's degradation incident; in [0, 1]
 */
public record IncidentPolicy(
    Duration quietPeriod, Duration eventGap, Severity minSeverity, int maxSeries, double healthyThreshold) {

  /** Checks every bound; messages name the setting and the bad value. */
  public IncidentPolicy {
    Objects.requireNonNull(quietPeriod, "quietPeriod");
    Objects.requireNonNull(eventGap, "eventGap");
    Objects.requireNonNull(minSeverity, "minSeverity");
    if (quietPeriod.isNegative() || quietPeriod.isZero()) {
      throw new IllegalArgumentException("quietPeriod must be positive, got " + quietPeriod);
    }
    if (eventGap.isNegative() || eventGap.isZero()) {
      throw new IllegalArgumentException("eventGap must be positive, got " + eventGap);
    }
    if (maxSeries < 1) {
      throw new IllegalArgumentException("maxSeries must be at least 1, got " + maxSeries);
    }
    if (!(healthyThreshold >= 0 && healthyThreshold <= 1)) {
      throw new IllegalArgumentException("healthyThreshold must be in [0, 1], got " + healthyThreshold);
    }
  }
}

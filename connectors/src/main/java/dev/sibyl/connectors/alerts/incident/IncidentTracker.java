package dev.sibyl.connectors.alerts.incident;

import dev.sibyl.schemas.AnomalyFlag;
import dev.sibyl.schemas.HealthEstimate;
import dev.sibyl.schemas.Severity;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.TopicPartition;

/**
 * Groups anomaly flags and health estimates into incidents: one incident per series and episode.
 *
 * <p>The pipeline emits a flag only for anomalous observations, so "back to normal" is decided
 * here, in three ways: an incident resolves when its series has been quiet (no anomalous record
 * arrived) for {@link IncidentPolicy#quietPeriod()} of wall-clock time, checked by {@link
 * #expire}; a flag whose event time is more than {@link IncidentPolicy#eventGap()} after the incident's latest one
 * resolves it and opens the next episode (so that a replay, which delivers hours of event time in
 * seconds, still separates its episodes); and a health estimate that reports its source healthy
 * resolves every incident of that source at once. The wall-clock rule is needed besides the
 * event-time one because a series that stops being anomalous sends nothing at all, so its event
 * time would never advance.
 *
 * <p>The first flag of a series opens an incident (one trigger); later flags only extend it (no
 * notification), raise its severity and score, and restart its quiet period. After a resolve, the
 * next flag opens a new episode with a new id.
 *
 * <p>At most {@link IncidentPolicy#maxSeries()} incidents are held; opening one more first
 * resolves the one quiet for longest. Not thread-safe: one runner thread owns it.
 */
public final class IncidentTracker {

  private final IncidentPolicy policy;

  /** Open incidents by series, least recently extended first (access order). */
  private final LinkedHashMap<SeriesKey, OpenIncident> open = new LinkedHashMap<>(16, 0.75f, true);

  /**
   * @param policy grouping and resolve rules; never null
   */
  public IncidentTracker(IncidentPolicy policy) {
    this.policy = policy;
  }

  /**
   * Takes one anomaly flag.
   *
   * @param flag the flag; never null
   * @param origin where it came from; never null
   * @param now the wall clock
   * @return the events to notify, in order: the resolve of the series' previous episode when the
   *     flag comes more than the event gap after it, or of an evicted incident
   *     when the table is full, then the trigger; empty when the flag extends an open incident or
   *     is below the minimum severity
   */
  public List<IncidentEvent> onFlag(AnomalyFlag flag, Origin origin, Instant now) {
    if (flag.getSeverity().ordinal() < policy.minSeverity().ordinal()) {
      return List.of();
    }
    SeriesKey series = new SeriesKey(flag.getSource(), flag.getChannel());
    String summary =
        String.format(
            Locale.ROOT,
            "%s: %s anomaly, observed %s outside [%s, %s] (expected %s), score %.2f",
            series,
            flag.getSeverity(),
            number(flag.getObserved()),
            number(flag.getLower()),
            number(flag.getUpper()),
            number(flag.getExpected()),
            flag.getScore());
    Map<String, String> details = new LinkedHashMap<>();
    details.put("observed", number(flag.getObserved()));
    details.put("expected", number(flag.getExpected()));
    details.put("lower", number(flag.getLower()));
    details.put("upper", number(flag.getUpper()));
    details.put("score", number(flag.getScore()));
    details.put("reason", flag.getReason());
    details.put("model", flag.getModel());
    details.put("timestamp", flag.getTimestamp().toString());
    return record(
        series, IncidentKind.ANOMALY, flag.getSeverity(), flag.getTimestamp(), flag.getScore(), summary, details,
        origin, now);
  }

  /**
   * Takes one health estimate.
   *
   * @param estimate the estimate; never null
   * @param origin where it came from; never null
   * @param now the wall clock
   * @return the events to notify: resolves of every open incident of the source when it is
   *     healthy; otherwise the trigger of its degradation incident (after an eviction's resolve)
   *     when none is open, or nothing
   * @throws IllegalArgumentException when the estimate has no state probabilities
   */
  public List<IncidentEvent> onHealth(HealthEstimate estimate, Origin origin, Instant now) {
    List<Double> states = estimate.getStateProbabilities();
    if (states.isEmpty()) {
      throw new IllegalArgumentException("health estimate of " + estimate.getSource() + " has no state probabilities");
    }
    double healthy = states.get(0);
    if (healthy >= policy.healthyThreshold()) {
      List<IncidentEvent> events = new ArrayList<>();
      Iterator<Map.Entry<SeriesKey, OpenIncident>> it = open.entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<SeriesKey, OpenIncident> entry = it.next();
        if (entry.getKey().source().equals(estimate.getSource())) {
          it.remove();
          String reason =
              String.format(Locale.ROOT, "health estimate: healthy with probability %.2f", healthy);
          events.add(new IncidentEvent(IncidentEvent.Action.RESOLVE, entry.getValue().resolve(now, reason), origin));
        }
      }
      return events;
    }
    SeriesKey series = new SeriesKey(estimate.getSource(), SeriesKey.HEALTH_CHANNEL);
    String summary =
        String.format(
            Locale.ROOT,
            "%s: degraded, healthy with probability %.2f, remaining useful life %s [%s, %s] cycles",
            estimate.getSource(),
            healthy,
            number(estimate.getRulMean()),
            number(estimate.getRulLower()),
            number(estimate.getRulUpper()));
    Map<String, String> details = new LinkedHashMap<>();
    details.put("healthyProbability", number(healthy));
    details.put("stateProbabilities", states.toString());
    details.put("rulMean", number(estimate.getRulMean()));
    details.put("rulLower", number(estimate.getRulLower()));
    details.put("rulUpper", number(estimate.getRulUpper()));
    details.put("model", estimate.getModel());
    details.put("timestamp", estimate.getTimestamp().toString());
    return record(
        series, IncidentKind.DEGRADATION, Severity.HIGH, estimate.getTimestamp(), 1 - healthy, summary, details,
        origin, now);
  }

  /**
   * Resolves the incidents whose series have been quiet for the quiet period.
   *
   * @param now the wall clock
   * @return the resolves, oldest first
   */
  public List<IncidentEvent> expire(Instant now) {
    List<IncidentEvent> events = new ArrayList<>();
    Instant cutoff = now.minus(policy.quietPeriod());
    Iterator<OpenIncident> it = open.values().iterator();
    while (it.hasNext()) {
      OpenIncident incident = it.next();
      if (incident.lastArrival.isAfter(cutoff)) {
        break; // access order: every later one was extended more recently
      }
      it.remove();
      String reason = "quiet for " + describe(policy.quietPeriod());
      events.add(new IncidentEvent(IncidentEvent.Action.RESOLVE, incident.resolve(now, reason), incident.latest));
    }
    return events;
  }

  /** How many incidents are open. */
  public int openCount() {
    return open.size();
  }

  /**
   * The open incident of a series.
   *
   * @param series the series
   * @return a snapshot, or empty when none is open
   */
  public Optional<Incident> openIncident(SeriesKey series) {
    // Not open.get: in an access-ordered map a lookup would move the entry and break the quiet order.
    for (OpenIncident incident : open.values()) {
      if (incident.series.equals(series)) {
        return Optional.of(incident.snapshot(null, null));
      }
    }
    return Optional.empty();
  }

  /**
   * The lowest offset, per partition, of a record that opened a still-open incident. Committing
   * no further than these means a restart replays the opening records, so every open incident is
   * rebuilt (with the same id) and later resolved.
   *
   * @return a new map; partitions without open incidents are absent
   */
  public Map<TopicPartition, Long> openingOffsets() {
    Map<TopicPartition, Long> offsets = new HashMap<>();
    for (OpenIncident incident : open.values()) {
      Origin origin = incident.opening;
      if (origin.offset() >= 0) {
        offsets.merge(new TopicPartition(origin.topic(), origin.partition()), origin.offset(), Math::min);
      }
    }
    return offsets;
  }

  private List<IncidentEvent> record(
      SeriesKey series, IncidentKind kind, Severity severity, Instant eventTime, double score, String summary,
      Map<String, String> details, Origin origin, Instant now) {
    OpenIncident current = open.get(series); // also marks it most recently used
    List<IncidentEvent> events = new ArrayList<>(2);
    if (current != null) {
      if (!eventTime.isAfter(current.lastEventAt.plus(policy.eventGap()))) {
        current.extend(severity, eventTime, score, summary, details, origin, now);
        return List.of();
      }
      // Quiet for the period in event time: a new episode, though records arrive faster (a replay).
      open.remove(series);
      String reason = "quiet for " + describe(policy.eventGap()) + " of event time";
      events.add(new IncidentEvent(IncidentEvent.Action.RESOLVE, current.resolve(now, reason), origin));
    }
    if (open.size() >= policy.maxSeries()) {
      Iterator<OpenIncident> it = open.values().iterator();
      OpenIncident evicted = it.next();
      it.remove();
      String reason = "evicted: more than " + policy.maxSeries() + " incidents open";
      events.add(new IncidentEvent(IncidentEvent.Action.RESOLVE, evicted.resolve(now, reason), evicted.latest));
    }
    OpenIncident opened = new OpenIncident(series, kind, severity, eventTime, score, summary, details, origin, now);
    open.put(series, opened);
    events.add(new IncidentEvent(IncidentEvent.Action.TRIGGER, opened.snapshot(null, null), origin));
    return events;
  }

  /** {@code 300 s}, or {@code 1500 ms} when not whole seconds. */
  private static String describe(Duration duration) {
    long millis = duration.toMillis();
    return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
  }

  private static String number(double value) {
    return Double.toString(value);
  }

  /** The mutable state of one open incident. */
  private static final class OpenIncident {
    private final String id;
    private final SeriesKey series;
    private final IncidentKind kind;
    private final Instant openedAt;
    private final Origin opening;
    private Severity severity;
    private Instant lastEventAt;
    private long count;
    private double maxScore;
    private String summary;
    private Map<String, String> details;
    private Origin latest;
    private Instant lastArrival;

    OpenIncident(
        SeriesKey series, IncidentKind kind, Severity severity, Instant eventTime, double score, String summary,
        Map<String, String> details, Origin origin, Instant now) {
      this.id = Incident.idOf(series, eventTime);
      this.series = series;
      this.kind = kind;
      this.openedAt = eventTime;
      this.opening = origin;
      this.severity = severity;
      this.lastEventAt = eventTime;
      this.count = 1;
      this.maxScore = score;
      this.summary = summary;
      this.details = details;
      this.latest = origin;
      this.lastArrival = now;
    }

    void extend(
        Severity newSeverity, Instant eventTime, double score, String newSummary, Map<String, String> newDetails,
        Origin origin, Instant now) {
      if (newSeverity.ordinal() > severity.ordinal()) {
        severity = newSeverity;
      }
      if (eventTime.isAfter(lastEventAt)) {
        lastEventAt = eventTime;
      }
      count++;
      maxScore = Math.max(maxScore, score);
      summary = newSummary;
      details = newDetails;
      latest = origin;
      lastArrival = now;
    }

    Incident resolve(Instant now, String reason) {
      return snapshot(now, reason);
    }

    Incident snapshot(Instant resolvedAt, String reason) {
      return new Incident(
          id, series, kind, severity, openedAt, lastEventAt, count, maxScore, summary, details, resolvedAt, reason);
    }
  }
}

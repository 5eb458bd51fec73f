package dev.sibyl.connectors.alerts.sink;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sibyl.connectors.alerts.incident.Incident;
import dev.sibyl.connectors.alerts.incident.IncidentEvent;
import dev.sibyl.connectors.alerts.incident.IncidentKind;
import dev.sibyl.connectors.alerts.notify.DeliveryException;
import dev.sibyl.connectors.alerts.notify.JsonEndpoint;
import dev.sibyl.connectors.alerts.notify.Notifier;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Prometheus Alertmanager, through its API v2: {@code POST <url>/api/v2/alerts} with a JSON array
 * of one postable alert ({@code labels}, {@code annotations}, {@code startsAt}, {@code endsAt},
 * {@code generatorURL}).
 *
 * <p>Labels identify the alert: {@code alertname} ({@value #ANOMALY_ALERTNAME} or {@value
 * #DEGRADATION_ALERTNAME}), {@code source}, {@code channel}, {@code severity} (lower case), plus
 * the configured static labels. Annotations carry the text: {@code summary}, {@code description},
 * {@code incident_id}, {@code records}, {@code max_score}. {@code startsAt} is the event time of
 * the opening record. A trigger's {@code endsAt} is the wall clock plus the configured firing
 * time, after which Alertmanager resolves the alert by itself should sibyl never send the resolve
 * (sibyl does not re-send firing alerts as Prometheus does); a resolve's {@code endsAt} is the
 * resolve time, which tells Alertmanager the alert is over.
 */
public final class AlertmanagerNotifier implements Notifier {

  /** Path of the alerts resource of API v2, appended to the configured base URL. */
  public static final String ALERTS_PATH = "/api/v2/alerts";

  /** {@code alertname} of anomaly incidents. */
  public static final String ANOMALY_ALERTNAME = "SibylAnomaly";

  /** {@code alertname} of degradation incidents. */
  public static final String DEGRADATION_ALERTNAME = "SibylDegradation";

  private final String name;
  private final JsonEndpoint endpoint;
  private final String generatorUrl;
  private final Map<String, String> staticLabels;
  private final Duration firingTime;
  private final Clock clock;
  private final ObjectMapper mapper = new ObjectMapper();

  /**
   * @param name the sink's name
   * @param endpoint the full alerts URL (base URL plus {@link #ALERTS_PATH})
   * @param generatorUrl the {@code generatorURL} of every alert, or null to leave it out
   * @param staticLabels labels added to every alert; never null
   * @param firingTime how long after a trigger Alertmanager keeps the alert firing without a
   *     resolve
   * @param clock the wall clock, for {@code endsAt}
   */
  public AlertmanagerNotifier(
      String name, JsonEndpoint endpoint, String generatorUrl, Map<String, String> staticLabels, Duration firingTime,
      Clock clock) {
    this.name = name;
    this.endpoint = endpoint;
    this.generatorUrl = generatorUrl;
    this.staticLabels = Map.copyOf(staticLabels);
    this.firingTime = firingTime;
    this.clock = clock;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public byte[] render(IncidentEvent event) {
    Incident incident = event.incident();
    ArrayNode alerts = mapper.createArrayNode();
    ObjectNode alert = alerts.addObject();
    ObjectNode labels = alert.putObject("labels");
    // Sorted, so that the body is stable; the incident's own labels win over static ones.
    Map<String, String> all = new TreeMap<>(staticLabels);
    all.put("alertname", incident.kind() == IncidentKind.ANOMALY ? ANOMALY_ALERTNAME : DEGRADATION_ALERTNAME);
    all.put("source", incident.series().source());
    all.put("channel", incident.series().channel());
    all.put("severity", incident.severity().name().toLowerCase(Locale.ROOT));
    all.forEach(labels::put);
    ObjectNode annotations = alert.putObject("annotations");
    annotations.put("summary", incident.summary());
    annotations.put("description", Descriptions.detailLines(incident));
    annotations.put("incident_id", incident.id());
    annotations.put("records", Long.toString(incident.count()));
    annotations.put("max_score", String.format(Locale.ROOT, "%.3f", incident.maxScore()));
    alert.put("startsAt", incident.openedAt().toString());
    alert.put(
        "endsAt",
        event.action() == IncidentEvent.Action.RESOLVE
            ? incident.resolvedAt().toString()
            : clock.instant().plus(firingTime).toString());
    if (generatorUrl != null) {
      alert.put("generatorURL", generatorUrl);
    }
    return Descriptions.bytes(mapper, alerts);
  }

  @Override
  public void deliver(byte[] body) throws DeliveryException {
    endpoint.post(body);
  }
}

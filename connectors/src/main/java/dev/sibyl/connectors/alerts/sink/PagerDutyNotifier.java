package dev.sibyl.connectors.alerts.sink;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sibyl.connectors.alerts.incident.Incident;
import dev.sibyl.connectors.alerts.incident.IncidentEvent;
import dev.sibyl.connectors.alerts.notify.DeliveryException;
import dev.sibyl.connectors.alerts.notify.JsonEndpoint;
import dev.sibyl.connectors.alerts.notify.Notifier;
import dev.sibyl.schemas.Severity;
import java.util.Locale;

/**
 * PagerDuty Events API v2 ({@code POST https://events.pagerduty.com/v2/enqueue}): a trigger event
 * opens a PagerDuty alert and the resolve event with the same {@code dedup_key} (the incident id)
 * closes it.
 *
 * <p>A trigger carries {@code routing_key}, {@code event_action} {@code trigger}, {@code
 * dedup_key}, {@code client} and the {@code payload}: {@code summary} (cut to {@value
 * #MAX_SUMMARY} characters), {@code source}, {@code severity}, {@code timestamp} (event time of the
 * opening record), {@code component} (the channel), {@code group} (the source), {@code class}
 * (anomaly or degradation) and {@code custom_details}. A resolve carries only {@code routing_key},
 * {@code event_action} and {@code dedup_key}, which is all the API reads from it. Severities map
 * CRITICAL to critical, HIGH to error, MEDIUM to warning and LOW to info.
 */
public final class PagerDutyNotifier implements Notifier {

  /** The Events API v2 endpoint. */
  public static final String DEFAULT_URL = "https://events.pagerduty.com/v2/enqueue";

  /** Longest {@code payload.summary} the API takes. */
  public static final int MAX_SUMMARY = 1024;

  /** The {@code client} field: who sent the event. */
  public static final String CLIENT = "sibyl";

  private final String name;
  private final JsonEndpoint endpoint;
  private final String routingKey;
  private final String clientUrl;
  private final ObjectMapper mapper = new ObjectMapper();

  /**
   * @param name the sink's name
   * @param endpoint the enqueue URL
   * @param routingKey the integration key of the PagerDuty service; never null
   * @param clientUrl the {@code client_url} of triggers, or null to leave it out
   */
  public PagerDutyNotifier(String name, JsonEndpoint endpoint, String routingKey, String clientUrl) {
    this.name = name;
    this.endpoint = endpoint;
    this.routingKey = routingKey;
    this.clientUrl = clientUrl;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public byte[] render(IncidentEvent event) {
    Incident incident = event.incident();
    ObjectNode body = mapper.createObjectNode();
    body.put("routing_key", routingKey);
    if (event.action() == IncidentEvent.Action.RESOLVE) {
      body.put("event_action", "resolve");
      body.put("dedup_key", incident.id());
      return Descriptions.bytes(mapper, body);
    }
    body.put("event_action", "trigger");
    body.put("dedup_key", incident.id());
    ObjectNode payload = body.putObject("payload");
    String summary = incident.summary();
    payload.put("summary", summary.length() <= MAX_SUMMARY ? summary : summary.substring(0, MAX_SUMMARY));
    payload.put("source", incident.series().source());
    payload.put("severity", severity(incident.severity()));
    payload.put("timestamp", incident.openedAt().toString());
    payload.put("component", incident.series().channel());
    payload.put("group", incident.series().source());
    payload.put("class", incident.kind().name().toLowerCase(Locale.ROOT));
    ObjectNode custom = payload.putObject("custom_details");
    incident.details().forEach(custom::put);
    custom.put("records", incident.count());
    custom.put("max_score", incident.maxScore());
    body.put("client", CLIENT);
    if (clientUrl != null) {
      body.put("client_url", clientUrl);
    }
    return Descriptions.bytes(mapper, body);
  }

  @Override
  public void deliver(byte[] body) throws DeliveryException {
    endpoint.post(body);
  }

  /**
   * The PagerDuty severity of a flag severity.
   *
   * @param severity the flag's severity
   * @return critical, error, warning or info
   */
  public static String severity(Severity severity) {
    return switch (severity) {
      case CRITICAL -> "critical";
      case HIGH -> "error";
      case MEDIUM -> "warning";
      case LOW -> "info";
    };
  }
}

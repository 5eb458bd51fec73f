package dev.sibyl.connectors.alerts.sink;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sibyl.connectors.alerts.incident.Incident;
import dev.sibyl.connectors.alerts.incident.IncidentEvent;
import dev.sibyl.connectors.alerts.notify.DeliveryException;
import dev.sibyl.connectors.alerts.notify.JsonEndpoint;
import dev.sibyl.connectors.alerts.notify.Notifier;
import java.util.Locale;

/**
 * A generic JSON webhook: {@code POST <url>} with sibyl's own, versioned body:
 *
 * <pre>{@code
 * {"version": 1, "action": "trigger" | "resolve",
 *  "incident": {"id", "source", "channel", "kind": "anomaly" | "degradation",
 *               "severity": "LOW" | "MEDIUM" | "HIGH" | "CRITICAL",
 *               "openedAt", "lastEventAt", "records", "maxScore", "summary",
 *               "details": {...}, "resolvedAt": null | time, "resolveReason": null | text}}
 * }</pre>
 *
 * Times are ISO-8601 UTC. {@code id} is the same in the trigger and the resolve of an episode.
 */
public final class WebhookNotifier implements Notifier {

  /** Version of the body format; raised on any incompatible change. */
  public static final int FORMAT_VERSION = 1;

  private final String name;
  private final JsonEndpoint endpoint;
  private final ObjectMapper mapper = new ObjectMapper();

  /**
   * @param name the sink's name
   * @param endpoint the webhook URL
   */
  public WebhookNotifier(String name, JsonEndpoint endpoint) {
    this.name = name;
    this.endpoint = endpoint;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public byte[] render(IncidentEvent event) {
    Incident incident = event.incident();
    ObjectNode body = mapper.createObjectNode();
    body.put("version", FORMAT_VERSION);
    body.put("action", event.action().name().toLowerCase(Locale.ROOT));
    ObjectNode node = body.putObject("incident");
    node.put("id", incident.id());
    node.put("source", incident.series().source());
    node.put("channel", incident.series().channel());
    node.put("kind", incident.kind().name().toLowerCase(Locale.ROOT));
    node.put("severity", incident.severity().name());
    node.put("openedAt", incident.openedAt().toString());
    node.put("lastEventAt", incident.lastEventAt().toString());
    node.put("records", incident.count());
    node.put("maxScore", incident.maxScore());
    node.put("summary", incident.summary());
    ObjectNode details = node.putObject("details");
    incident.details().forEach(details::put);
    if (incident.resolved()) {
      node.put("resolvedAt", incident.resolvedAt().toString());
      node.put("resolveReason", incident.resolveReason());
    } else {
      node.putNull("resolvedAt");
      node.putNull("resolveReason");
    }
    return Descriptions.bytes(mapper, body);
  }

  @Override
  public void deliver(byte[] body) throws DeliveryException {
    endpoint.post(body);
  }
}

package dev.sibyl.connectors.alerts.sink;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sibyl.connectors.alerts.incident.Incident;
import dev.sibyl.connectors.alerts.incident.IncidentEvent;
import dev.sibyl.connectors.alerts.notify.DeliveryException;
import dev.sibyl.connectors.alerts.notify.JsonEndpoint;
import dev.sibyl.connectors.alerts.notify.Notifier;

/**
 * A Slack incoming webhook: {@code POST <webhook url>} with {@code text} (the notification's
 * fallback text, also shown in notifications) and {@code blocks}: a {@code section} with the
 * headline and the details in {@code mrkdwn}, then a {@code context} line with the incident id.
 * Slack shows one message per trigger and one per resolve; it has no de-duplication of its own.
 * Text is escaped as Slack requires ({@code &}, {@code <}, {@code >}).
 */
public final class SlackNotifier implements Notifier {

  private final String name;
  private final JsonEndpoint endpoint;
  private final ObjectMapper mapper = new ObjectMapper();

  /**
   * @param name the sink's name
   * @param endpoint the incoming webhook URL
   */
  public SlackNotifier(String name, JsonEndpoint endpoint) {
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
    String headline = Descriptions.headline(incident);
    ObjectNode body = mapper.createObjectNode();
    body.put("text", escape(headline));
    ArrayNode blocks = body.putArray("blocks");
    ObjectNode section = blocks.addObject();
    section.put("type", "section");
    ObjectNode text = section.putObject("text");
    text.put("type", "mrkdwn");
    text.put("text", "*" + escape(headline) + "*\n" + escape(Descriptions.detailLines(incident)));
    ObjectNode context = blocks.addObject();
    context.put("type", "context");
    ObjectNode element = context.putArray("elements").addObject();
    element.put("type", "mrkdwn");
    element.put("text", "incident `" + escape(incident.id()) + "` opened " + incident.openedAt());
    return Descriptions.bytes(mapper, body);
  }

  @Override
  public void deliver(byte[] body) throws DeliveryException {
    endpoint.post(body);
  }

  /** Slack's three control characters in message text. */
  static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}

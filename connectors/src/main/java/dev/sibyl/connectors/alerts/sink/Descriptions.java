package dev.sibyl.connectors.alerts.sink;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sibyl.connectors.alerts.incident.Incident;
import java.util.Locale;
import java.util.StringJoiner;

/** The human-readable texts that several sinks share, so that every receiver reads the same. */
final class Descriptions {

  private Descriptions() {}

  /** The incident's details, one {@code key: value} per line. */
  static String detailLines(Incident incident) {
    StringJoiner lines = new StringJoiner("\n");
    incident.details().forEach((key, value) -> lines.add(key + ": " + value));
    return lines.toString();
  }

  /** The headline of a trigger or resolve. */
  static String headline(Incident incident) {
    if (!incident.resolved()) {
      return "[" + incident.severity() + "] " + incident.summary();
    }
    return String.format(
        Locale.ROOT,
        "[RESOLVED] %s (%s): %d records, max score %.2f, %s",
        incident.series(),
        incident.kind().name().toLowerCase(Locale.ROOT),
        incident.count(),
        incident.maxScore(),
        incident.resolveReason());
  }

  static byte[] bytes(ObjectMapper mapper, JsonNode node) {
    try {
      return mapper.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree of strings and numbers failed to serialize", e);
    }
  }
}

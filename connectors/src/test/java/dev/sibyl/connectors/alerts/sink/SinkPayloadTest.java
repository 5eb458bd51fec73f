package dev.sibyl.connectors.alerts.sink;

import static dev.sibyl.connectors.alerts.AlertFixtures.T0;
import static dev.sibyl.connectors.alerts.AlertFixtures.flag;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sibyl.connectors.alerts.RecordingServer;
import dev.sibyl.connectors.alerts.RecordingServer.Request;
import dev.sibyl.connectors.alerts.config.AlertsConfig;
import dev.sibyl.connectors.alerts.config.SinkFactory;
import dev.sibyl.connectors.alerts.delivery.DeliveryOutcome;
import dev.sibyl.connectors.alerts.delivery.SinkDispatcher;
import dev.sibyl.connectors.alerts.incident.IncidentEvent;
import dev.sibyl.connectors.alerts.incident.IncidentPolicy;
import dev.sibyl.connectors.alerts.incident.IncidentTracker;
import dev.sibyl.connectors.alerts.incident.Origin;
import dev.sibyl.schemas.Severity;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Each sink, built from settings as {@code sibyl alerts} builds it, sends one trigger and one
 * resolve to an in-test HTTP server; every field of both bodies is checked.
 */
@Timeout(30)
class SinkPayloadTest {

  private static final Instant WALL = Instant.parse("2026-11-01T00:00:00Z");
  private static final Instant RESOLVED_AT = WALL.plus(Duration.ofMinutes(5)).plusSeconds(2);
  private static final String ID = "sibyl/pump-1/temp/" + T0.toEpochMilli();

  private final ObjectMapper mapper = new ObjectMapper();
  private RecordingServer server;

  @BeforeEach
  void start() throws Exception {
    server = new RecordingServer();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  /** A trigger (after three flags: only the first opens) and its resolve, through one sink. */
  private List<Request> triggerAndResolve(Map<String, String> sinkSettings) {
    Map<String, String> settings = new HashMap<>();
    settings.put(AlertsConfig.SINKS_CONFIG, "s");
    sinkSettings.forEach((key, value) -> settings.put("alerts.sink.s." + key, value));
    AlertsConfig config = new AlertsConfig(settings);
    SinkDispatcher sink =
        new SinkFactory(HttpClient.newHttpClient(), Clock.fixed(WALL, ZoneOffset.UTC)).dispatcher(config.sinks().get(0));
    Duration quiet = Duration.ofMinutes(5);
    IncidentTracker tracker = new IncidentTracker(new IncidentPolicy(quiet, quiet, Severity.LOW, 10, 0.5));
    List<IncidentEvent> events = new ArrayList<>();
    events.addAll(tracker.onFlag(flag("pump-1", "temp", 0, Severity.HIGH, 0.91), Origin.NONE, WALL));
    events.addAll(tracker.onFlag(flag("pump-1", "temp", 1, Severity.CRITICAL, 0.97), Origin.NONE, WALL.plusSeconds(1)));
    events.addAll(tracker.onFlag(flag("pump-1", "temp", 2, Severity.MEDIUM, 0.8), Origin.NONE, WALL.plusSeconds(2)));
    events.addAll(tracker.expire(RESOLVED_AT));
    assertThat(events).extracting(IncidentEvent::action)
        .containsExactly(IncidentEvent.Action.TRIGGER, IncidentEvent.Action.RESOLVE);
    for (IncidentEvent event : events) {
      DeliveryOutcome outcome = sink.deliver(event);
      assertThat(outcome.delivered()).as(outcome.error()).isTrue();
      assertThat(outcome.attempts()).isEqualTo(1);
    }
    List<Request> requests = server.requests();
    assertThat(requests).hasSize(2).allSatisfy(r -> {
      assertThat(r.method()).isEqualTo("POST");
      assertThat(r.header("Content-Type")).isEqualTo("application/json");
    });
    return requests;
  }

  private JsonNode json(Request request) throws Exception {
    return mapper.readTree(request.body());
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      names.add(it.next());
    }
    return names;
  }

  @Test
  void alertmanagerPostsAnArrayOfOnePostableAlertToApiV2() throws Exception {
    List<Request> requests = triggerAndResolve(Map.of(
        "type", "alertmanager",
        "url", server.base() + "/",
        "generator.url", "http://grafana.local/d/pumps",
        "labels", "env=prod, team=plant",
        "authorization", "Bearer t0ken",
        "firing.ms", "3600000"));
    assertThat(requests).allSatisfy(r -> {
      assertThat(r.path()).isEqualTo("/api/v2/alerts");
      assertThat(r.header("Authorization")).isEqualTo("Bearer t0ken");
    });

    JsonNode trigger = json(requests.get(0));
    assertThat(trigger.isArray()).isTrue();
    assertThat(trigger).hasSize(1);
    JsonNode alert = trigger.get(0);
    assertThat(fieldNames(alert)).containsExactly("labels", "annotations", "startsAt", "endsAt", "generatorURL");
    assertThat(mapper.convertValue(alert.get("labels"), Map.class)).isEqualTo(Map.of(
        "alertname", "SibylAnomaly", "source", "pump-1", "channel", "temp", "severity", "high",
        "env", "prod", "team", "plant"));
    JsonNode annotations = alert.get("annotations");
    assertThat(fieldNames(annotations)).containsExactly("summary", "description", "incident_id", "records", "max_score");
    assertThat(annotations.get("summary").asText())
        .isEqualTo("pump-1/temp: HIGH anomaly, observed 42.5 outside [15.0, 25.0] (expected 20.0), score 0.91");
    assertThat(annotations.get("description").asText()).isEqualTo(
        "observed: 42.5\nexpected: 20.0\nlower: 15.0\nupper: 25.0\nscore: 0.91\nreason: above upper bound\n"
            + "model: holt-winters\ntimestamp: 2026-03-01T10:00:00Z");
    assertThat(annotations.get("incident_id").asText()).isEqualTo(ID);
    assertThat(annotations.get("records").asText()).isEqualTo("1");
    assertThat(annotations.get("max_score").asText()).isEqualTo("0.910");
    assertThat(alert.get("startsAt").asText()).isEqualTo("2026-03-01T10:00:00Z");
    assertThat(alert.get("endsAt").asText()).isEqualTo("2026-11-01T01:00:00Z"); // now + firing.ms
    assertThat(alert.get("generatorURL").asText()).isEqualTo("http://grafana.local/d/pumps");

    JsonNode resolve = json(requests.get(1)).get(0);
    // Same labels (Alertmanager identifies the alert by them), escalated severity included.
    assertThat(resolve.get("labels").get("severity").asText()).isEqualTo("critical");
    assertThat(resolve.get("labels").get("source").asText()).isEqualTo("pump-1");
    assertThat(resolve.get("annotations").get("records").asText()).isEqualTo("3");
    assertThat(resolve.get("startsAt").asText()).isEqualTo("2026-03-01T10:00:00Z");
    assertThat(resolve.get("endsAt").asText()).isEqualTo(RESOLVED_AT.toString());
  }

  @Test
  void pagerDutyTriggersAndResolvesWithOneDedupKey() throws Exception {
    List<Request> requests = triggerAndResolve(Map.of(
        "type", "pagerduty",
        "url", server.base() + "/v2/enqueue",
        "routing.key", "R0UT1NGKEY0123456789012345678901",
        "generator.url", "http://grafana.local/d/pumps"));
    assertThat(requests).allSatisfy(r -> assertThat(r.path()).isEqualTo("/v2/enqueue"));

    JsonNode trigger = json(requests.get(0));
    assertThat(fieldNames(trigger))
        .containsExactly("routing_key", "event_action", "dedup_key", "payload", "client", "client_url");
    assertThat(trigger.get("routing_key").asText()).isEqualTo("R0UT1NGKEY0123456789012345678901");
    assertThat(trigger.get("event_action").asText()).isEqualTo("trigger");
    assertThat(trigger.get("dedup_key").asText()).isEqualTo(ID);
    assertThat(trigger.get("client").asText()).isEqualTo("sibyl");
    assertThat(trigger.get("client_url").asText()).isEqualTo("http://grafana.local/d/pumps");
    JsonNode payload = trigger.get("payload");
    assertThat(fieldNames(payload)).containsExactly(
        "summary", "source", "severity", "timestamp", "component", "group", "class", "custom_details");
    assertThat(payload.get("summary").asText()).startsWith("pump-1/temp: HIGH anomaly, observed 42.5");
    assertThat(payload.get("source").asText()).isEqualTo("pump-1");
    assertThat(payload.get("severity").asText()).isEqualTo("error");
    assertThat(payload.get("timestamp").asText()).isEqualTo("2026-03-01T10:00:00Z");
    assertThat(payload.get("component").asText()).isEqualTo("temp");
    assertThat(payload.get("group").asText()).isEqualTo("pump-1");
    assertThat(payload.get("class").asText()).isEqualTo("anomaly");
    JsonNode details = payload.get("custom_details");
    assertThat(details.get("observed").asText()).isEqualTo("42.5");
    assertThat(details.get("reason").asText()).isEqualTo("above upper bound");
    assertThat(details.get("records").asLong()).isEqualTo(1);
    assertThat(details.get("max_score").asDouble()).isEqualTo(0.91);

    JsonNode resolve = json(requests.get(1));
    assertThat(mapper.convertValue(resolve, Map.class)).isEqualTo(Map.of(
        "routing_key", "R0UT1NGKEY0123456789012345678901", "event_action", "resolve", "dedup_key", ID));
  }

  @Test
  void pagerDutySeveritiesFollowTheFourLevels() {
    assertThat(List.of(Severity.values())).extracting(PagerDutyNotifier::severity)
        .containsExactly("info", "warning", "error", "critical");
  }

  @Test
  void slackPostsTextAndBlocksToTheWebhookUrl() throws Exception {
    List<Request> requests = triggerAndResolve(Map.of(
        "type", "slack", "url", server.base() + "/services/T000/B000/XXXX"));
    assertThat(requests).allSatisfy(r -> assertThat(r.path()).isEqualTo("/services/T000/B000/XXXX"));

    JsonNode trigger = json(requests.get(0));
    assertThat(fieldNames(trigger)).containsExactly("text", "blocks");
    String headline =
        "[HIGH] pump-1/temp: HIGH anomaly, observed 42.5 outside [15.0, 25.0] (expected 20.0), score 0.91";
    assertThat(trigger.get("text").asText()).isEqualTo(headline);
    JsonNode blocks = trigger.get("blocks");
    assertThat(blocks).hasSize(2);
    assertThat(blocks.get(0).get("type").asText()).isEqualTo("section");
    assertThat(blocks.get(0).get("text").get("type").asText()).isEqualTo("mrkdwn");
    assertThat(blocks.get(0).get("text").get("text").asText())
        .startsWith("*" + headline + "*\nobserved: 42.5\n")
        .endsWith("timestamp: 2026-03-01T10:00:00Z");
    assertThat(blocks.get(1).get("type").asText()).isEqualTo("context");
    assertThat(blocks.get(1).get("elements")).hasSize(1);
    assertThat(blocks.get(1).get("elements").get(0).get("type").asText()).isEqualTo("mrkdwn");
    assertThat(blocks.get(1).get("elements").get(0).get("text").asText())
        .isEqualTo("incident `" + ID + "` opened 2026-03-01T10:00:00Z");

    JsonNode resolve = json(requests.get(1));
    assertThat(resolve.get("text").asText())
        .isEqualTo("[RESOLVED] pump-1/temp (anomaly): 3 records, max score 0.97, quiet for 300 s");
  }

  @Test
  void slackEscapesItsControlCharacters() {
    assertThat(SlackNotifier.escape("a < b & c > d")).isEqualTo("a &lt; b &amp; c &gt; d");
  }

  @Test
  void webhookPostsSibylsVersionedBody() throws Exception {
    List<Request> requests = triggerAndResolve(Map.of("type", "webhook", "url", server.base() + "/hooks/sibyl"));
    assertThat(requests).allSatisfy(r -> assertThat(r.path()).isEqualTo("/hooks/sibyl"));

    JsonNode trigger = json(requests.get(0));
    assertThat(fieldNames(trigger)).containsExactly("version", "action", "incident");
    assertThat(trigger.get("version").asInt()).isEqualTo(1);
    assertThat(trigger.get("action").asText()).isEqualTo("trigger");
    JsonNode incident = trigger.get("incident");
    assertThat(fieldNames(incident)).containsExactly("id", "source", "channel", "kind", "severity", "openedAt",
        "lastEventAt", "records", "maxScore", "summary", "details", "resolvedAt", "resolveReason");
    assertThat(incident.get("id").asText()).isEqualTo(ID);
    assertThat(incident.get("source").asText()).isEqualTo("pump-1");
    assertThat(incident.get("channel").asText()).isEqualTo("temp");
    assertThat(incident.get("kind").asText()).isEqualTo("anomaly");
    assertThat(incident.get("severity").asText()).isEqualTo("HIGH");
    assertThat(incident.get("openedAt").asText()).isEqualTo("2026-03-01T10:00:00Z");
    assertThat(incident.get("lastEventAt").asText()).isEqualTo("2026-03-01T10:00:00Z");
    assertThat(incident.get("records").asLong()).isEqualTo(1);
    assertThat(incident.get("maxScore").asDouble()).isEqualTo(0.91);
    assertThat(incident.get("details").get("model").asText()).isEqualTo("holt-winters");
    assertThat(incident.get("resolvedAt").isNull()).isTrue();
    assertThat(incident.get("resolveReason").isNull()).isTrue();

    JsonNode resolve = json(requests.get(1));
    assertThat(resolve.get("action").asText()).isEqualTo("resolve");
    JsonNode resolved = resolve.get("incident");
    assertThat(resolved.get("id").asText()).isEqualTo(ID);
    assertThat(resolved.get("severity").asText()).isEqualTo("CRITICAL");
    assertThat(resolved.get("lastEventAt").asText()).isEqualTo("2026-03-01T10:00:02Z");
    assertThat(resolved.get("records").asLong()).isEqualTo(3);
    assertThat(resolved.get("maxScore").asDouble()).isEqualTo(0.97);
    assertThat(resolved.get("resolvedAt").asText()).isEqualTo(RESOLVED_AT.toString());
    assertThat(resolved.get("resolveReason").asText()).isEqualTo("quiet for 300 s");
  }
}

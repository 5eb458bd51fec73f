package dev.sibyl.connectors.alerts.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sibyl.connectors.alerts.delivery.RetryPolicy;
import dev.sibyl.connectors.alerts.incident.IncidentPolicy;
import dev.sibyl.schemas.Severity;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class AlertsConfigTest {

  private static AlertsConfig parse(String... keyValues) {
    Map<String, String> settings = new HashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      settings.put(keyValues[i], keyValues[i + 1]);
    }
    return new AlertsConfig(settings);
  }

  @Test
  void defaultsOfEveryKey() {
    AlertsConfig config = parse("alerts.sinks", "hook", "alerts.sink.hook.type", "webhook",
        "alerts.sink.hook.url", "http://example.org/hook", "topic.anomalies", "ignored.here");
    assertThat(config.groupId()).isEqualTo("sibyl-alerts");
    assertThat(config.deadLetterTopic()).isEqualTo("sibyl.alerts.dead-letters");
    assertThat(config.readHealth()).isTrue();
    assertThat(config.incidentPolicy())
        .isEqualTo(new IncidentPolicy(Duration.ofMinutes(5), Duration.ofMinutes(5), Severity.LOW, 10_000, 0.5));
    SinkConfig sink = config.sinks().get(0);
    assertThat(sink.name()).isEqualTo("hook");
    assertThat(sink.type()).isEqualTo(SinkType.WEBHOOK);
    assertThat(sink.url()).isEqualTo(URI.create("http://example.org/hook"));
    assertThat(sink.routingKey()).isNull();
    assertThat(sink.authorization()).isNull();
    assertThat(sink.generatorUrl()).isNull();
    assertThat(sink.labels()).isEmpty();
    assertThat(sink.firingTime()).isEqualTo(Duration.ofDays(1));
    assertThat(sink.timeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(sink.retryPolicy()).isEqualTo(new RetryPolicy(5, Duration.ofMillis(500), Duration.ofSeconds(30)));
    assertThat(sink.ratePerSecond()).isEqualTo(1.0);
    assertThat(sink.rateBurst()).isEqualTo(10);
    assertThat(sink.rateMaxWait()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void severalSinksKeepTheirOrderAndSettings() {
    AlertsConfig config = parse("alerts.sinks", "pager, chat",
        "alerts.sink.pager.type", "pagerduty", "alerts.sink.pager.routing.key", "abc",
        "alerts.sink.chat.type", "slack", "alerts.sink.chat.url", "https://hooks.slack.com/services/T/B/X",
        "alerts.sink.chat.rate.per.minute", "6", "alerts.resolve.quiet.ms", "1000", "alerts.min.severity", "HIGH");
    assertThat(config.sinks()).extracting(SinkConfig::name).containsExactly("pager", "chat");
    assertThat(config.sinks().get(0).url()).isNull(); // PagerDuty's own endpoint
    assertThat(config.sinks().get(0).routingKey()).isEqualTo("abc");
    assertThat(config.sinks().get(1).ratePerSecond()).isEqualTo(0.1);
    assertThat(config.incidentPolicy().quietPeriod()).isEqualTo(Duration.ofSeconds(1));
    assertThat(config.incidentPolicy().eventGap()).isEqualTo(Duration.ofSeconds(1)); // -1: the quiet period
    assertThat(parse("alerts.sinks", "x", "alerts.sink.x.type", "webhook", "alerts.sink.x.url", "http://h/",
        "alerts.resolve.event-gap.ms", "3600000").incidentPolicy().eventGap()).isEqualTo(Duration.ofHours(1));
    assertThat(config.incidentPolicy().minSeverity()).isEqualTo(Severity.HIGH);
  }

  @Test
  void badSettingsFailWithOneLineNamingTheFullKey() {
    assertThatThrownBy(() -> parse())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("\"alerts.sinks\"");
    assertThatThrownBy(() -> parse("alerts.sinks", ""))
        .hasMessageContaining("alerts.sinks").hasMessageContaining("name at least one sink");
    assertThatThrownBy(() -> parse("alerts.sinks", "a,a", "alerts.sink.a.type", "webhook", "alerts.sink.a.url", "http://h/"))
        .hasMessageContaining("sink 'a' is named twice");
    assertThatThrownBy(() -> parse("alerts.sinks", "a.b"))
        .hasMessageContaining("sink name 'a.b' must use only letters, digits, '_' and '-'");
    assertThatThrownBy(() -> parse("alerts.sinks", "x"))
        .hasMessageContaining("\"alerts.sink.x.type\"");
    assertThatThrownBy(() -> parse("alerts.sinks", "x", "alerts.sink.x.type", "email"))
        .hasMessageContaining("alerts.sink.x.type").hasMessageContaining("email");
    assertThatThrownBy(() -> parse("alerts.sinks", "x", "alerts.sink.x.type", "slack"))
        .hasMessage("alerts.sink.x.url is required for a slack sink");
    assertThatThrownBy(() -> parse("alerts.sinks", "x", "alerts.sink.x.type", "slack", "alerts.sink.x.url", "ftp://h/x"))
        .hasMessageContaining("alerts.sink.x.url").hasMessageContaining("must be an http or https URL with a host");
    assertThatThrownBy(() -> parse("alerts.sinks", "x", "alerts.sink.x.type", "pagerduty"))
        .hasMessage("alerts.sink.x.routing.key is required for a pagerduty sink");
    assertThatThrownBy(() -> parse("alerts.sinks", "x", "alerts.sink.x.type", "webhook", "alerts.sink.x.url", "http://h/",
        "alerts.sink.x.retry.attempts", "0"))
        .hasMessageContaining("alerts.sink.x.retry.attempts").hasMessageContaining("at least 1");
    assertThatThrownBy(() -> parse("alerts.sinks", "x", "alerts.sink.x.type", "webhook", "alerts.sink.x.url", "http://h/",
        "alerts.sink.x.retry.backoff.ms", "5000", "alerts.sink.x.retry.backoff.max.ms", "100"))
        .hasMessage("alerts.sink.x.retry.backoff.max.ms (100) must be at least alerts.sink.x.retry.backoff.ms (5000)");
    assertThatThrownBy(() -> parse("alerts.sinks", "x", "alerts.sink.x.type", "alertmanager", "alerts.sink.x.url",
        "http://h/", "alerts.sink.x.labels", "env"))
        .hasMessageContaining("each entry must be name=value with a Prometheus label name, got 'env'");
    assertThatThrownBy(() -> parse("alerts.sinks", "x", "alerts.sink.x.type", "webhook", "alerts.sink.x.url", "http://h/",
        "alerts.min.severity", "SEVERE"))
        .hasMessageContaining("alerts.min.severity").hasMessageContaining("SEVERE");
    assertThatThrownBy(() -> parse("alerts.sinks", "x", "alerts.sink.x.type", "webhook", "alerts.sink.x.url", "http://h/",
        "alerts.health.healthy.threshold", "1.5"))
        .hasMessageContaining("alerts.health.healthy.threshold");
    assertThatThrownBy(() -> parse("alerts.sinks", "x", "alerts.sink.x.type", "webhook", "alerts.sink.x.url", "http://h/",
        "alerts.resolve.event-gap.ms", "0"))
        .hasMessageContaining("alerts.resolve.event-gap.ms").hasMessageContaining("or -1 for alerts.resolve.quiet.ms");
  }

  @Test
  void unknownKeysAreNamed() {
    assertThatThrownBy(() -> parse("alerts.sinks", "x", "alerts.sink.x.type", "webhook", "alerts.sink.x.url", "http://h/",
        "alerts.sink.x.retry.attempt", "3"))
        .hasMessageStartingWith("alerts.sink.x.retry.attempt is not a sink setting; known: authorization, firing.ms,");
    assertThatThrownBy(() -> parse("alerts.sinks", "x", "alerts.sink.x.type", "webhook", "alerts.sink.x.url", "http://h/",
        "alerts.sink.y.type", "slack"))
        .hasMessage("alerts.sink.y.type configures sink 'y', which alerts.sinks does not name (x)");
    assertThatThrownBy(() -> parse("alerts.sinks", "x", "alerts.sink.x.type", "webhook", "alerts.sink.x.url", "http://h/",
        "alerts.quiet.ms", "5"))
        .hasMessageStartingWith("alerts.quiet.ms is not an alerts setting; known: alerts.group.id,");
  }

  @Test
  void theAlertmanagerPathIsAppendedOnce() {
    assertThat(SinkFactory.withPath(URI.create("http://am:9093"), "/api/v2/alerts"))
        .isEqualTo(URI.create("http://am:9093/api/v2/alerts"));
    assertThat(SinkFactory.withPath(URI.create("http://am:9093/"), "/api/v2/alerts"))
        .isEqualTo(URI.create("http://am:9093/api/v2/alerts"));
  }
}

package dev.sibyl.connectors.alerts.config;

import dev.sibyl.connectors.alerts.delivery.SinkDispatcher;
import dev.sibyl.connectors.alerts.delivery.TokenBucket;
import dev.sibyl.connectors.alerts.notify.JsonEndpoint;
import dev.sibyl.connectors.alerts.notify.Notifier;
import dev.sibyl.connectors.alerts.sink.AlertmanagerNotifier;
import dev.sibyl.connectors.alerts.sink.PagerDutyNotifier;
import dev.sibyl.connectors.alerts.sink.SlackNotifier;
import dev.sibyl.connectors.alerts.sink.WebhookNotifier;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/** Builds the configured sinks, each behind its own rate limit and retry policy. */
public final class SinkFactory {

  private final HttpClient client;
  private final Clock clock;

  /**
   * @param client the HTTP client all sinks share
   * @param clock the wall clock (Alertmanager's {@code endsAt})
   */
  public SinkFactory(HttpClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  /**
   * One dispatcher per configured sink, in the configured order.
   *
   * @param config the alerts settings
   * @return the dispatchers
   */
  public List<SinkDispatcher> dispatchers(AlertsConfig config) {
    return config.sinks().stream().map(this::dispatcher).toList();
  }

  /**
   * The dispatcher of one sink.
   *
   * @param sink the sink's settings
   * @return its dispatcher, with a full token bucket
   */
  public SinkDispatcher dispatcher(SinkConfig sink) {
    return new SinkDispatcher(
        notifier(sink),
        sink.retryPolicy(),
        new TokenBucket(sink.ratePerSecond(), sink.rateBurst(), System::nanoTime),
        sink.rateMaxWait());
  }

  /**
   * The notifier of one sink.
   *
   * @param sink the sink's settings
   * @return the notifier of its type
   */
  public Notifier notifier(SinkConfig sink) {
    Map<String, String> headers =
        sink.authorization() == null ? Map.of() : Map.of("Authorization", sink.authorization());
    return switch (sink.type()) {
      case ALERTMANAGER -> new AlertmanagerNotifier(
          sink.name(),
          endpoint(sink, withPath(sink.url(), AlertmanagerNotifier.ALERTS_PATH), headers),
          sink.generatorUrl(),
          sink.labels(),
          sink.firingTime(),
          clock);
      case SLACK -> new SlackNotifier(sink.name(), endpoint(sink, sink.url(), headers));
      case PAGERDUTY -> new PagerDutyNotifier(
          sink.name(),
          endpoint(sink, sink.url() != null ? sink.url() : URI.create(PagerDutyNotifier.DEFAULT_URL), headers),
          sink.routingKey(),
          sink.generatorUrl());
      case WEBHOOK -> new WebhookNotifier(sink.name(), endpoint(sink, sink.url(), headers));
    };
  }

  private JsonEndpoint endpoint(SinkConfig sink, URI uri, Map<String, String> headers) {
    return new JsonEndpoint(client, uri, sink.timeout(), headers);
  }

  /** The base URL with the API path appended, whether or not the base ends with a slash. */
  static URI withPath(URI base, String path) {
    String text = base.toString();
    while (text.endsWith("/")) {
      text = text.substring(0, text.length() - 1);
    }
    return URI.create(text + path);
  }
}

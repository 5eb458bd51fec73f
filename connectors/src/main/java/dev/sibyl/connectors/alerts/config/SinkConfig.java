package dev.sibyl.connectors.alerts.config;

import dev.sibyl.connectors.alerts.delivery.RetryPolicy;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * The settings of one sink: the keys below, each written {@code alerts.sink.<name>.<key>} (e.g.
 * {@code alerts.sink.pager.routing.key}). Error messages name the full key.
 */
public final class SinkConfig extends AbstractConfig {

  public static final String TYPE_CONFIG = "type";
  private static final String TYPE_DOC =
      "Kind of sink: alertmanager (API v2), slack (incoming webhook), pagerduty (Events API v2) or"
          + " webhook (sibyl's own JSON). Required.";

  public static final String URL_CONFIG = "url";
  private static final String URL_DOC =
      "http(s) URL: the Alertmanager base URL (e.g. http://alertmanager:9093; /api/v2/alerts is"
          + " appended), the Slack webhook URL, the webhook URL, or the PagerDuty enqueue URL"
          + " (default https://events.pagerduty.com/v2/enqueue). Required except for pagerduty.";

  public static final String ROUTING_KEY_CONFIG = "routing.key";
  private static final String ROUTING_KEY_DOC =
      "PagerDuty: the integration (routing) key of the Events API v2 integration. Required for pagerduty.";

  public static final String AUTHORIZATION_CONFIG = "authorization";
  private static final String AUTHORIZATION_DOC =
      "Value of an Authorization header sent with every request (e.g. 'Bearer <token>' for an"
          + " Alertmanager behind a proxy, or a webhook's secret); unset: none.";

  public static final String GENERATOR_URL_CONFIG = "generator.url";
  private static final String GENERATOR_URL_DOC =
      "Alertmanager: generatorURL of every alert (e.g. a dashboard); PagerDuty: client_url of"
          + " triggers. Unset: left out.";

  public static final String LABELS_CONFIG = "labels";
  private static final String LABELS_DOC =
      "Alertmanager: static labels added to every alert, as name=value pairs, comma-separated"
          + " (e.g. env=prod,team=plant).";

  public static final String FIRING_MS_CONFIG = "firing.ms";
  private static final String FIRING_MS_DOC =
      "Alertmanager: endsAt of a trigger is now plus this; Alertmanager resolves the alert by itself"
          + " after it should the resolve never come.";

  public static final String TIMEOUT_MS_CONFIG = "timeout.ms";
  private static final String TIMEOUT_MS_DOC = "Bound on one HTTP request, connection and answer included.";

  public static final String RETRY_ATTEMPTS_CONFIG = "retry.attempts";
  private static final String RETRY_ATTEMPTS_DOC =
      "Attempts per notification, the first included, for answers that may succeed later (network"
          + " errors, 408, 429, 5xx); other answers are dead-lettered at once.";

  public static final String RETRY_BACKOFF_MS_CONFIG = "retry.backoff.ms";
  private static final String RETRY_BACKOFF_MS_DOC =
      "Wait after the first failed attempt; it doubles after each further one.";

  public static final String RETRY_BACKOFF_MAX_MS_CONFIG = "retry.backoff.max.ms";
  private static final String RETRY_BACKOFF_MAX_MS_DOC =
      "Longest wait between attempts, a receiver's Retry-After included.";

  public static final String RATE_PER_MINUTE_CONFIG = "rate.per.minute";
  private static final String RATE_PER_MINUTE_DOC =
      "Rate limit: notifications per minute to this sink (token bucket refill rate).";

  public static final String RATE_BURST_CONFIG = "rate.burst";
  private static final String RATE_BURST_DOC = "Rate limit: notifications that may go at once (bucket size).";

  public static final String RATE_MAX_WAIT_MS_CONFIG = "rate.max.wait.ms";
  private static final String RATE_MAX_WAIT_MS_DOC =
      "Longest wait for the rate limit; a notification that would wait longer is dead-lettered.";

  private static final ConfigDef DEFINITION =
      new ConfigDef()
          .define(TYPE_CONFIG, Type.STRING, ConfigDef.NO_DEFAULT_VALUE,
              ConfigDef.ValidString.in(Arrays.stream(SinkType.values()).map(SinkType::configName).toArray(String[]::new)),
              Importance.HIGH, TYPE_DOC)
          .define(URL_CONFIG, Type.STRING, null, Importance.HIGH, URL_DOC)
          .define(ROUTING_KEY_CONFIG, Type.PASSWORD, null, Importance.HIGH, ROUTING_KEY_DOC)
          .define(AUTHORIZATION_CONFIG, Type.PASSWORD, null, Importance.MEDIUM, AUTHORIZATION_DOC)
          .define(GENERATOR_URL_CONFIG, Type.STRING, null, Importance.LOW, GENERATOR_URL_DOC)
          .define(LABELS_CONFIG, Type.LIST, "", Importance.LOW, LABELS_DOC)
          .define(FIRING_MS_CONFIG, Type.LONG, 86_400_000L, Range.atLeast(1), Importance.LOW, FIRING_MS_DOC)
          .define(TIMEOUT_MS_CONFIG, Type.LONG, 10_000L, Range.atLeast(1), Importance.LOW, TIMEOUT_MS_DOC)
          .define(RETRY_ATTEMPTS_CONFIG, Type.INT, 5, Range.atLeast(1), Importance.MEDIUM, RETRY_ATTEMPTS_DOC)
          .define(RETRY_BACKOFF_MS_CONFIG, Type.LONG, 500L, Range.atLeast(0), Importance.LOW, RETRY_BACKOFF_MS_DOC)
          .define(RETRY_BACKOFF_MAX_MS_CONFIG, Type.LONG, 30_000L, Range.atLeast(0), Importance.LOW,
              RETRY_BACKOFF_MAX_MS_DOC)
          .define(RATE_PER_MINUTE_CONFIG, Type.DOUBLE, 60.0, Range.atLeast(0.001), Importance.MEDIUM,
              RATE_PER_MINUTE_DOC)
          .define(RATE_BURST_CONFIG, Type.INT, 10, Range.atLeast(1), Importance.LOW, RATE_BURST_DOC)
          .define(RATE_MAX_WAIT_MS_CONFIG, Type.LONG, 30_000L, Range.atLeast(0), Importance.LOW,
              RATE_MAX_WAIT_MS_DOC);

  private final String name;
  private final SinkType type;
  private final URI url;
  private final Map<String, String> labels;

  /**
   * Parses and checks one sink's settings.
   *
   * @param name the sink's name
   * @param settings its keys, prefix removed
   * @return the sink's configuration
   * @throws ConfigException naming the full key ({@code alerts.sink.<name>.<key>}) and the bad value
   */
  public static SinkConfig parse(String name, Map<String, ?> settings) {
    try {
      return new SinkConfig(name, settings);
    } catch (ConfigException e) {
      throw withFullKeys(name, e);
    }
  }

  /**
   * Parses and checks one sink's settings.
   *
   * @param name the sink's name
   * @param settings its keys, prefix removed
   * @throws ConfigException naming the full key and the bad value
   */
  private SinkConfig(String name, Map<String, ?> settings) {
    super(DEFINITION, settings, false);
    this.name = name;
    for (String key : settings.keySet()) {
      if (!DEFINITION.names().contains(key)) {
        throw new ConfigException(
            key(key) + " is not a sink setting; known: " + String.join(", ", new TreeSet<>(DEFINITION.names())));
      }
    }
    this.type = SinkType.valueOf(getString(TYPE_CONFIG).toUpperCase(Locale.ROOT));
    this.url = parseUrl();
    if (type == SinkType.PAGERDUTY && getPassword(ROUTING_KEY_CONFIG) == null) {
      throw new ConfigException(key(ROUTING_KEY_CONFIG) + " is required for a pagerduty sink");
    }
    if (getLong(RETRY_BACKOFF_MAX_MS_CONFIG) < getLong(RETRY_BACKOFF_MS_CONFIG)) {
      throw new ConfigException(
          key(RETRY_BACKOFF_MAX_MS_CONFIG) + " (" + getLong(RETRY_BACKOFF_MAX_MS_CONFIG) + ") must be at least "
              + key(RETRY_BACKOFF_MS_CONFIG) + " (" + getLong(RETRY_BACKOFF_MS_CONFIG) + ")");
    }
    this.labels = parseLabels();
  }

  /**
   * The prefix of a sink's keys.
   *
   * @param name the sink's name
   * @return {@code alerts.sink.<name>.}
   */
  public static String prefixOf(String name) {
    return AlertsConfig.PREFIX + "sink." + name + ".";
  }

  /** Every per-sink key (without prefix) with its type, default, validator and documentation. */
  public static ConfigDef configDef() {
    return new ConfigDef(DEFINITION);
  }

  /** The sink's name. */
  public String name() {
    return name;
  }

  /** The kind of sink. */
  public SinkType type() {
    return type;
  }

  /** The configured URL, or null (pagerduty only) for the default. */
  public URI url() {
    return url;
  }

  /** The routing key (pagerduty), or null. */
  public String routingKey() {
    Password key = getPassword(ROUTING_KEY_CONFIG);
    return key == null ? null : key.value();
  }

  /** The Authorization header value, or null for none. */
  public String authorization() {
    Password value = getPassword(AUTHORIZATION_CONFIG);
    return value == null ? null : value.value();
  }

  /** The generator / client URL, or null. */
  public String generatorUrl() {
    return getString(GENERATOR_URL_CONFIG);
  }

  /** Static Alertmanager labels, in the order written. */
  public Map<String, String> labels() {
    return labels;
  }

  /** How long Alertmanager keeps a triggered alert firing without a resolve. */
  public Duration firingTime() {
    return Duration.ofMillis(getLong(FIRING_MS_CONFIG));
  }

  /** Bound on one request. */
  public Duration timeout() {
    return Duration.ofMillis(getLong(TIMEOUT_MS_CONFIG));
  }

  /** The retry policy. */
  public RetryPolicy retryPolicy() {
    return new RetryPolicy(
        getInt(RETRY_ATTEMPTS_CONFIG),
        Duration.ofMillis(getLong(RETRY_BACKOFF_MS_CONFIG)),
        Duration.ofMillis(getLong(RETRY_BACKOFF_MAX_MS_CONFIG)));
  }

  /** Token bucket refill rate, per second. */
  public double ratePerSecond() {
    return getDouble(RATE_PER_MINUTE_CONFIG) / 60.0;
  }

  /** Token bucket size. */
  public int rateBurst() {
    return getInt(RATE_BURST_CONFIG);
  }

  /** Longest wait for a token. */
  public Duration rateMaxWait() {
    return Duration.ofMillis(getLong(RATE_MAX_WAIT_MS_CONFIG));
  }

  private URI parseUrl() {
    String text = getString(URL_CONFIG);
    if (text == null || text.isBlank()) {
      if (type == SinkType.PAGERDUTY) {
        return null;
      }
      throw new ConfigException(key(URL_CONFIG) + " is required for a " + type.configName() + " sink");
    }
    try {
      URI uri = new URI(text.strip());
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
        throw new ConfigException(key(URL_CONFIG), text, "must be an http or https URL with a host");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new ConfigException(key(URL_CONFIG), text, "not a URL: " + e.getReason());
    }
  }

  private Map<String, String> parseLabels() {
    Map<String, String> parsed = new LinkedHashMap<>();
    List<String> pairs = getList(LABELS_CONFIG);
    for (String pair : pairs) {
      int eq = pair.indexOf('=');
      String label = eq < 0 ? "" : pair.substring(0, eq).strip();
      if (!label.matches("[a-zA-Z_][a-zA-Z0-9_]*")) {
        throw new ConfigException(key(LABELS_CONFIG), String.join(",", pairs),
            "each entry must be name=value with a Prometheus label name, got '" + pair + "'");
      }
      parsed.put(label, pair.substring(eq + 1).strip());
    }
    return Collections.unmodifiableMap(parsed);
  }

  private String key(String relative) {
    return prefixOf(name) + relative;
  }

  /** Kafka's own messages name the key as parsed, without the prefix: say the full key. */
  private static ConfigException withFullKeys(String name, ConfigException e) {
    String message = e.getMessage();
    if (message.contains(prefixOf(name))) {
      return e;
    }
    for (String relative : DEFINITION.names()) {
      message = message
          .replace("configuration " + relative + " ", "configuration " + prefixOf(name) + relative + " ")
          .replace("configuration " + relative + ":", "configuration " + prefixOf(name) + relative + ":")
          .replace("\"" + relative + "\"", "\"" + prefixOf(name) + relative + "\"");
    }
    return new ConfigException(message);
  }
}

package dev.sibyl.connectors.alerts.config;

import dev.sibyl.connectors.alerts.incident.IncidentPolicy;
import dev.sibyl.schemas.Severity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * The {@code alerts.*} settings of {@code sibyl alerts}: which sinks to notify, how incidents are
 * grouped and resolved, the consumer group and the dead-letter topic. Each sink named in {@value
 * #SINKS_CONFIG} is configured by the {@code alerts.sink.<name>.*} keys of {@link SinkConfig}.
 * Other keys of the map (the pipeline's, Kafka's) are ignored here.
 */
public final class AlertsConfig extends AbstractConfig {

  /** Prefix of every key of the alerts runner. */
  public static final String PREFIX = "alerts.";

  public static final String SINKS_CONFIG = "alerts.sinks";
  private static final String SINKS_DOC =
      "Names of the sinks to notify, comma-separated (e.g. pager,chat); each is configured by the"
          + " alerts.sink.<name>.* keys, alerts.sink.<name>.type first. Required.";

  public static final String GROUP_ID_CONFIG = "alerts.group.id";
  public static final String GROUP_ID_DEFAULT = "sibyl-alerts";
  private static final String GROUP_ID_DOC =
      "Kafka consumer group of the alerts runner; offsets are committed only after the notifications"
          + " of the records read are delivered or dead-lettered.";

  public static final String QUIET_MS_CONFIG = "alerts.resolve.quiet.ms";
  public static final long QUIET_MS_DEFAULT = 300_000L;
  private static final String QUIET_MS_DOC =
      "An incident resolves when no anomalous record of its series (source and channel) has arrived"
          + " for this long, in wall-clock milliseconds.";

  public static final String EVENT_GAP_MS_CONFIG = "alerts.resolve.event-gap.ms";
  private static final String EVENT_GAP_MS_DOC =
      "A flag whose event time is more than this many milliseconds after the latest record of its"
          + " series' open incident resolves that incident and opens the next episode, so that a replay"
          + " (hours of event time in seconds) keeps its episodes apart. -1: the same as "
          + "alerts.resolve.quiet.ms.";

  public static final String MIN_SEVERITY_CONFIG = "alerts.min.severity";
  public static final String MIN_SEVERITY_DEFAULT = "LOW";
  private static final String MIN_SEVERITY_DOC =
      "Anomaly flags below this severity are ignored: they neither open nor extend an incident.";

  public static final String MAX_SERIES_CONFIG = "alerts.max.series";
  public static final int MAX_SERIES_DEFAULT = 10_000;
  private static final String MAX_SERIES_DOC =
      "Most incidents open at once; opening one more first resolves the one quiet for longest, so"
          + " that memory stays bounded and no trigger is left without its resolve.";

  public static final String HEALTHY_THRESHOLD_CONFIG = "alerts.health.healthy.threshold";
  public static final double HEALTHY_THRESHOLD_DEFAULT = 0.5;
  private static final String HEALTHY_THRESHOLD_DOC =
      "A HealthEstimate whose probability of the healthy (first) state is at least this resolves every"
          + " open incident of its source; below it, it opens or extends the source's degradation"
          + " incident (channel 'health').";

  public static final String DEAD_LETTER_TOPIC_CONFIG = "alerts.topic.dead-letters";
  public static final String DEAD_LETTER_TOPIC_DEFAULT = "sibyl.alerts.dead-letters";
  private static final String DEAD_LETTER_TOPIC_DOC =
      "Topic of DeadLetter records for notifications that could not be delivered (value: the exact"
          + " request body; stage: notify:<sink>) and for input records that could not be decoded.";

  public static final String READ_HEALTH_CONFIG = "alerts.read.health";
  private static final String READ_HEALTH_DOC =
      "Whether to read the health topic (topic.health) besides the anomaly topic (topic.anomalies).";

  private static final ConfigDef DEFINITION =
      new ConfigDef()
          .define(SINKS_CONFIG, Type.LIST, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.Validator() {
                @Override
                public void ensureValid(String name, Object value) {
                  List<?> list = (List<?>) value;
                  if (list == null || list.isEmpty()) {
                    throw new ConfigException(name, value, "name at least one sink");
                  }
                }

                @Override
                public String toString() {
                  return "non-empty list of names";
                }
              },
              Importance.HIGH, SINKS_DOC)
          .define(GROUP_ID_CONFIG, Type.STRING, GROUP_ID_DEFAULT, new ConfigDef.NonEmptyString(),
              Importance.MEDIUM, GROUP_ID_DOC)
          .define(QUIET_MS_CONFIG, Type.LONG, QUIET_MS_DEFAULT, Range.atLeast(1), Importance.HIGH, QUIET_MS_DOC)
          .define(EVENT_GAP_MS_CONFIG, Type.LONG, -1L, Range.atLeast(-1), Importance.MEDIUM, EVENT_GAP_MS_DOC)
          .define(MIN_SEVERITY_CONFIG, Type.STRING, MIN_SEVERITY_DEFAULT,
              ConfigDef.ValidString.in(names(Severity.values())), Importance.MEDIUM, MIN_SEVERITY_DOC)
          .define(MAX_SERIES_CONFIG, Type.INT, MAX_SERIES_DEFAULT, Range.atLeast(1), Importance.LOW, MAX_SERIES_DOC)
          .define(HEALTHY_THRESHOLD_CONFIG, Type.DOUBLE, HEALTHY_THRESHOLD_DEFAULT, Range.between(0, 1),
              Importance.MEDIUM, HEALTHY_THRESHOLD_DOC)
          .define(DEAD_LETTER_TOPIC_CONFIG, Type.STRING, DEAD_LETTER_TOPIC_DEFAULT, new ConfigDef.NonEmptyString(),
              Importance.HIGH, DEAD_LETTER_TOPIC_DOC)
          .define(READ_HEALTH_CONFIG, Type.BOOLEAN, true, Importance.LOW, READ_HEALTH_DOC);

  private final List<SinkConfig> sinks;

  /**
   * Parses and checks the settings, every named sink's included.
   *
   * @param settings the merged settings; keys outside {@code alerts.*} are ignored
   * @throws ConfigException with a one-line message naming the key and the bad value
   */
  public AlertsConfig(Map<String, ?> settings) {
    super(DEFINITION, settings, false);
    if (getLong(EVENT_GAP_MS_CONFIG) == 0) {
      throw new ConfigException(EVENT_GAP_MS_CONFIG, 0L, "must be positive, or -1 for alerts.resolve.quiet.ms");
    }
    List<String> names = getList(SINKS_CONFIG);
    Set<String> seen = new HashSet<>();
    List<SinkConfig> parsed = new ArrayList<>();
    for (String name : names) {
      if (!name.matches("[A-Za-z0-9_-]+")) {
        throw new ConfigException(SINKS_CONFIG, String.join(",", names),
            "sink name '" + name + "' must use only letters, digits, '_' and '-'");
      }
      if (!seen.add(name)) {
        throw new ConfigException(SINKS_CONFIG, String.join(",", names), "sink '" + name + "' is named twice");
      }
      parsed.add(SinkConfig.parse(name, originalsWithPrefix(SinkConfig.prefixOf(name))));
    }
    this.sinks = List.copyOf(parsed);
    checkUnknownKeys(settings.keySet(), seen);
  }

  /** A misspelt key would otherwise be ignored silently: name it. */
  private static void checkUnknownKeys(Set<String> keys, Set<String> sinkNames) {
    String sinkPrefix = PREFIX + "sink.";
    for (String key : new TreeSet<>(keys)) {
      if (!key.startsWith(PREFIX) || DEFINITION.names().contains(key)) {
        continue;
      }
      if (key.startsWith(sinkPrefix)) {
        String rest = key.substring(sinkPrefix.length());
        int dot = rest.indexOf('.');
        String sink = dot < 0 ? rest : rest.substring(0, dot);
        if (!sinkNames.contains(sink)) {
          throw new ConfigException(key + " configures sink '" + sink + "', which " + SINKS_CONFIG
              + " does not name (" + String.join(",", sinkNames) + ")");
        }
        continue; // checked by the sink's own config
      }
      throw new ConfigException(key + " is not an alerts setting; known: "
          + String.join(", ", new TreeSet<>(DEFINITION.names())) + ", " + sinkPrefix + "<name>.*");
    }
  }

  /** Every {@code alerts.*} key with its type, default, validator and documentation. */
  public static ConfigDef configDef() {
    return new ConfigDef(DEFINITION);
  }

  /** The configured sinks, in the order named. */
  public List<SinkConfig> sinks() {
    return sinks;
  }

  /** The consumer group. */
  public String groupId() {
    return getString(GROUP_ID_CONFIG);
  }

  /** The dead-letter topic. */
  public String deadLetterTopic() {
    return getString(DEAD_LETTER_TOPIC_CONFIG);
  }

  /** Whether the health topic is read. */
  public boolean readHealth() {
    return getBoolean(READ_HEALTH_CONFIG);
  }

  /** The grouping and resolve rules. */
  public IncidentPolicy incidentPolicy() {
    long quietMs = getLong(QUIET_MS_CONFIG);
    long gapMs = getLong(EVENT_GAP_MS_CONFIG);
    return new IncidentPolicy(
        Duration.ofMillis(quietMs),
        Duration.ofMillis(gapMs < 0 ? quietMs : gapMs),
        Severity.valueOf(getString(MIN_SEVERITY_CONFIG)),
        getInt(MAX_SERIES_CONFIG),
        getDouble(HEALTHY_THRESHOLD_CONFIG));
  }

  private static String[] names(Enum<?>[] values) {
    return Arrays.stream(values).map(Enum::name).collect(Collectors.toList()).toArray(String[]::new);
  }
}

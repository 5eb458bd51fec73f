package dev.sibyl.app.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * The settings of the {@code sibyl} application, merged from three layers (later wins):
 *
 * <ol>
 *   <li>one properties file ({@code --config <file>}, optional);
 *   <li>environment variables {@code SIBYL_*}: the name without the prefix is lower-cased, then
 *       {@code __} becomes {@code -} and {@code _} becomes {@code .}; e.g. {@code
 *       SIBYL_KAFKA_BOOTSTRAP_SERVERS} sets {@code kafka.bootstrap.servers} and {@code
 *       SIBYL_TOPIC_DEAD__LETTERS} sets {@code topic.dead-letters} ({@link #envToKey});
 *   <li>command-line {@code --set key=value} overrides.
 * </ol>
 *
 * <p>Keys starting with {@value #KAFKA_PREFIX} are Kafka client properties, passed with the prefix
 * removed to every producer, consumer and admin client ({@link #kafkaClientProperties()}), security
 * settings included: {@code kafka.security.protocol=SASL_SSL}. The keys of this class are declared
 * below; keys of other components (e.g. {@code topic.*}, {@code forecast.*} of the pipeline) pass
 * through {@link #merged()} unvalidated here and are checked by their own config classes.
 */
public final class AppConfig extends AbstractConfig {

  /** Prefix of the environment variables read as settings. */
  public static final String ENV_PREFIX = "SIBYL_";

  /** Environment variables with the prefix that are not settings (the launcher's JVM options). */
  public static final Set<String> ENV_IGNORED = Set.of("SIBYL_JAVA_OPTS");

  /** Prefix of Kafka client properties. */
  public static final String KAFKA_PREFIX = "kafka.";

  public static final String BOOTSTRAP_SERVERS_CONFIG = KAFKA_PREFIX + "bootstrap.servers";
  private static final String BOOTSTRAP_SERVERS_DOC =
      "Kafka cluster to use (host:port,...). Unset: the embedded broker of the data directory is"
          + " used (see " + AppConfig.BROKER_EMBEDDED_CONFIG + ")."; // qualified: declared below

  public static final String DATA_DIR_CONFIG = "sibyl.data.dir";
  public static final String DATA_DIR_DEFAULT = "./data";
  private static final String DATA_DIR_DOC =
      "Directory of local state: the embedded broker's data (in its kafka/ subdirectory) and"
          + " other components' files. Relative paths are resolved against the working directory.";

  public static final String BROKER_EMBEDDED_CONFIG = "broker.embedded";
  private static final String BROKER_EMBEDDED_DOC =
      "Whether commands that need Kafka start a broker inside the process (data under"
          + " <sibyl.data.dir>/kafka, kept across runs). Default: true exactly when "
          + BOOTSTRAP_SERVERS_CONFIG + " is unset.";

  public static final String BROKER_HOST_CONFIG = "broker.host";
  public static final String BROKER_HOST_DEFAULT = "127.0.0.1";
  private static final String BROKER_HOST_DOC =
      "Host the embedded broker listens on and advertises; loopback by default, so that it is"
          + " not reachable from the network.";

  public static final String BROKER_PORT_CONFIG = "broker.port";
  private static final String BROKER_PORT_DOC =
      "Client port of the embedded broker; 0 picks a free port (the address is logged, and other"
          + " sibyl processes on the same data directory find it themselves).";

  public static final String BROKER_RETENTION_MS_CONFIG = "broker.retention.ms";
  private static final String BROKER_RETENTION_MS_DOC =
      "How long the embedded broker keeps records, by record timestamp; -1 (default) for no time"
          + " limit, since replayed data carry old event times that a time limit would delete.";

  public static final String BROKER_RETENTION_BYTES_CONFIG = "broker.retention.bytes";
  private static final String BROKER_RETENTION_BYTES_DOC =
      "Bytes the embedded broker keeps per partition before deleting the oldest segments; -1 for"
          + " no limit.";

  public static final String TOPIC_PARTITIONS_CONFIG = "topic.partitions";
  private static final String TOPIC_PARTITIONS_DOC =
      "Partitions of the topics that sibyl creates when they do not exist (existing topics are"
          + " left as they are).";

  private static final ConfigDef DEFINITION =
      new ConfigDef()
          .define(BOOTSTRAP_SERVERS_CONFIG, Type.STRING, null, Importance.HIGH, BOOTSTRAP_SERVERS_DOC)
          .define(DATA_DIR_CONFIG, Type.STRING, DATA_DIR_DEFAULT, new ConfigDef.NonEmptyString(),
              Importance.HIGH, DATA_DIR_DOC)
          .define(BROKER_EMBEDDED_CONFIG, Type.BOOLEAN, null, Importance.HIGH, BROKER_EMBEDDED_DOC)
          .define(BROKER_HOST_CONFIG, Type.STRING, BROKER_HOST_DEFAULT, new ConfigDef.NonEmptyString(),
              Importance.LOW, BROKER_HOST_DOC)
          .define(BROKER_PORT_CONFIG, Type.INT, 0, Range.between(0, 65535), Importance.MEDIUM,
              BROKER_PORT_DOC)
          .define(BROKER_RETENTION_MS_CONFIG, Type.LONG, -1L, Range.atLeast(-1L), Importance.LOW,
              BROKER_RETENTION_MS_DOC)
          .define(BROKER_RETENTION_BYTES_CONFIG, Type.LONG, 1L << 30, Range.atLeast(-1L),
              Importance.LOW, BROKER_RETENTION_BYTES_DOC)
          .define(TOPIC_PARTITIONS_CONFIG, Type.INT, 3, Range.atLeast(1), Importance.MEDIUM,
              TOPIC_PARTITIONS_DOC);

  private final Map<String, String> merged;

  private AppConfig(Map<String, String> merged) {
    super(DEFINITION, merged, false);
    this.merged = Collections.unmodifiableMap(new TreeMap<>(merged));
    checkCrossKeys();
  }

  /**
   * Loads and merges the three layers.
   *
   * @param configFile the properties file, or null for none
   * @param env the environment (usually {@code System.getenv()}); only {@code SIBYL_*} entries
   *     are read
   * @param overrides {@code --set} values; never null, may be empty
   * @return the merged configuration
   * @throws ConfigException with a one-line message when the file is missing or unreadable, or a
   *     value is invalid
   */
  public static AppConfig load(Path configFile, Map<String, String> env, Map<String, String> overrides) {
    Map<String, String> merged = new HashMap<>();
    if (configFile != null) {
      merged.putAll(readFile(configFile));
    }
    env.forEach(
        (name, value) -> {
          String key = envToKey(name);
          if (key != null) {
            merged.put(key, value);
          }
        });
    merged.putAll(overrides);
    return new AppConfig(merged);
  }

  /**
   * A configuration from explicit values only (no file, no environment); for tests and embedding.
   *
   * @param values settings; never null
   * @return the configuration
   * @throws ConfigException when a value is invalid
   */
  public static AppConfig of(Map<String, String> values) {
    return new AppConfig(new HashMap<>(values));
  }

  /**
   * This configuration with more overrides on top (e.g. a command's {@code --bootstrap-servers}).
   *
   * @param overrides settings that win over every layer; never null
   * @return a new configuration
   * @throws ConfigException when a value is invalid
   */
  public AppConfig withOverrides(Map<String, String> overrides) {
    Map<String, String> copy = new HashMap<>(merged);
    copy.putAll(overrides);
    return new AppConfig(copy);
  }

  /**
   * The setting an environment variable stands for.
   *
   * @param name an environment variable name
   * @return the key ({@code SIBYL_TOPIC_DEAD__LETTERS -> topic.dead-letters}), or null when the
   *     variable is not a setting (no {@value #ENV_PREFIX} prefix, empty rest, or in {@link
   *     #ENV_IGNORED})
   */
  public static String envToKey(String name) {
    if (!name.startsWith(ENV_PREFIX) || name.length() == ENV_PREFIX.length() || ENV_IGNORED.contains(name)) {
      return null;
    }
    return name.substring(ENV_PREFIX.length())
        .toLowerCase(Locale.ROOT)
        .replace("__", "-")
        .replace('_', '.');
  }

  /** Every merged setting, sorted by key, unmodifiable; keys of other components included. */
  public Map<String, String> merged() {
    return merged;
  }

  /**
   * The Kafka client properties: every {@value #KAFKA_PREFIX}{@code *} setting with the prefix
   * removed.
   *
   * @return a new mutable map (callers add serializers, group ids...)
   */
  public Map<String, Object> kafkaClientProperties() {
    Map<String, Object> props = new HashMap<>();
    merged.forEach(
        (key, value) -> {
          if (key.startsWith(KAFKA_PREFIX) && key.length() > KAFKA_PREFIX.length()) {
            props.put(key.substring(KAFKA_PREFIX.length()), value);
          }
        });
    return props;
  }

  /** The configured bootstrap servers, or null when unset or blank. */
  public String bootstrapServers() {
    String value = getString(BOOTSTRAP_SERVERS_CONFIG);
    return value == null || value.isBlank() ? null : value;
  }

  /** Whether commands start the embedded broker (explicit setting, else: no bootstrap servers). */
  public boolean brokerEmbedded() {
    Boolean explicit = getBoolean(BROKER_EMBEDDED_CONFIG);
    return explicit != null ? explicit : bootstrapServers() == null;
  }

  /** The data directory ({@value #DATA_DIR_CONFIG}), as given (may be relative). */
  public Path dataDir() {
    return Path.of(getString(DATA_DIR_CONFIG));
  }

  /** The embedded broker's data directory: {@code <data dir>/kafka}. */
  public Path brokerDataDir() {
    return dataDir().resolve("kafka");
  }

  /** The embedded broker's listener host. */
  public String brokerHost() {
    return getString(BROKER_HOST_CONFIG);
  }

  /** The embedded broker's client port; 0 for a free one. */
  public int brokerPort() {
    return getInt(BROKER_PORT_CONFIG);
  }

  /** The embedded broker's time retention in ms; -1 for none. */
  public long brokerRetentionMs() {
    return getLong(BROKER_RETENTION_MS_CONFIG);
  }

  /** The embedded broker's size retention per partition in bytes; -1 for none. */
  public long brokerRetentionBytes() {
    return getLong(BROKER_RETENTION_BYTES_CONFIG);
  }

  /** Partitions of topics that sibyl creates. */
  public int topicPartitions() {
    return getInt(TOPIC_PARTITIONS_CONFIG);
  }

  /**
   * A merged setting of any component, or a default.
   *
   * @param key a setting key
   * @param defaultValue returned when the key is unset
   * @return the value
   */
  public String get(String key, String defaultValue) {
    return merged.getOrDefault(key, defaultValue);
  }

  /** The definition of every key of this class, for documentation. */
  public static ConfigDef configDef() {
    return new ConfigDef(DEFINITION);
  }

  private void checkCrossKeys() {
    if (Boolean.TRUE.equals(getBoolean(BROKER_EMBEDDED_CONFIG)) && bootstrapServers() != null) {
      throw new ConfigException(
          BROKER_EMBEDDED_CONFIG + "=true contradicts " + BOOTSTRAP_SERVERS_CONFIG + "="
              + bootstrapServers() + ": set only one of them");
    }
    if (getLong(BROKER_RETENTION_MS_CONFIG) == 0 || getLong(BROKER_RETENTION_BYTES_CONFIG) == 0) {
      throw new ConfigException(
          BROKER_RETENTION_MS_CONFIG + " and " + BROKER_RETENTION_BYTES_CONFIG
              + " must be -1 (no limit) or positive, got 0");
    }
  }

  private static Map<String, String> readFile(Path file) {
    Properties props = new Properties();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      props.load(in);
    } catch (NoSuchFileException e) {
      throw new ConfigException("config file not found: " + file);
    } catch (IOException | IllegalArgumentException e) {
      throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
    }
    Map<String, String> values = new HashMap<>();
    props.stringPropertyNames().forEach(name -> values.put(name, props.getProperty(name).trim()));
    return values;
  }
}

package dev.sibyl.app.cli;

import dev.sibyl.app.broker.EmbeddedKafkaBroker;
import dev.sibyl.app.broker.TopicAdmin;
import dev.sibyl.app.config.AppConfig;
import dev.sibyl.schemas.serde.AvroSerdes;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka cluster a command works with: the configured one, or the embedded broker of the data
 * directory (joined when another sibyl process runs it, started otherwise and then stopped on
 * {@link #close()}).
 */
public final class KafkaSession implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaSession.class);

  /**
   * Bound on closing a producer: records still unsent after it are dropped (a replay flushes
   * before it returns, so only a failed one leaves any).
   */
  public static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  /** Bound on topic creation. */
  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

  private final AppConfig config;
  private final String bootstrapServers;
  private final EmbeddedKafkaBroker ownedBroker;

  private KafkaSession(AppConfig config, String bootstrapServers, EmbeddedKafkaBroker ownedBroker) {
    this.config = config;
    this.bootstrapServers = bootstrapServers;
    this.ownedBroker = ownedBroker;
  }

  /**
   * Connects to the configured cluster, or joins or starts the embedded broker.
   *
   * @param config the merged configuration
   * @return the session; close it to stop a broker it started
   * @throws ConfigException when no cluster is configured and the embedded broker is disabled
   * @throws org.apache.kafka.common.KafkaException when the embedded broker cannot start
   */
  public static KafkaSession open(AppConfig config) {
    String configured = config.bootstrapServers();
    if (configured != null) {
      return new KafkaSession(config, configured, null);
    }
    if (!config.brokerEmbedded()) {
      throw new ConfigException(
          "no Kafka cluster: set " + AppConfig.BOOTSTRAP_SERVERS_CONFIG + " (or --bootstrap-servers),"
              + " or " + AppConfig.BROKER_EMBEDDED_CONFIG + "=true");
    }
    Optional<String> running = EmbeddedKafkaBroker.findRunning(config.brokerDataDir());
    if (running.isPresent()) {
      LOG.info("using the embedded Kafka broker that another sibyl process runs at {}", running.get());
      return new KafkaSession(config, running.get(), null);
    }
    EmbeddedKafkaBroker broker =
        EmbeddedKafkaBroker.builder()
            .optDataDir(config.brokerDataDir())
            .optHost(config.brokerHost())
            .optPort(config.brokerPort())
            .optRetentionMs(config.brokerRetentionMs())
            .optRetentionBytes(config.brokerRetentionBytes())
            .build();
    broker.start();
    return new KafkaSession(config, broker.bootstrapServers(), broker);
  }

  /** The bootstrap address clients use. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** Whether this session started an embedded broker (which {@link #close()} stops). */
  public boolean ownsBroker() {
    return ownedBroker != null;
  }

  /**
   * Kafka client properties: every {@code kafka.*} setting plus the bootstrap address.
   *
   * @return a new mutable map
   */
  public Map<String, Object> clientProperties() {
    Map<String, Object> props = config.kafkaClientProperties();
    props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return props;
  }

  /**
   * Creates the topics that do not exist yet, with {@code topic.partitions} partitions.
   *
   * @param topics topic names
   * @return the topics created
   * @throws org.apache.kafka.common.KafkaException naming the topic when creation fails
   */
  public Set<String> ensureTopics(Collection<String> topics) {
    Map<String, Integer> partitions = new LinkedHashMap<>();
    topics.forEach(topic -> partitions.put(topic, config.topicPartitions()));
    return TopicAdmin.ensureTopics(clientProperties(), partitions, ADMIN_TIMEOUT);
  }

  /**
   * A plain (non-transactional) producer of one record type, keyed by string, with the project's
   * Avro serde. A {@code kafka.transactional.id} setting is ignored here: it belongs to the
   * pipeline's exactly-once producers.
   *
   * @param type the generated record class
   * @return a producer; the caller closes it
   */
  public <T extends SpecificRecord> KafkaProducer<String, T> producer(Class<T> type) {
    Map<String, Object> props = clientProperties();
    props.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
    props.remove(ConsumerConfig.GROUP_ID_CONFIG); // a consumer setting; avoids an "unused" warning
    Map<String, Object> serdeConfig = new HashMap<>(props);
    return new KafkaProducer<>(
        props, new StringSerializer(), AvroSerdes.forType(type, serdeConfig, false).serializer());
  }

  /** Stops the embedded broker when this session started it. */
  @Override
  public void close() {
    if (ownedBroker != null) {
      ownedBroker.close();
    }
  }
}

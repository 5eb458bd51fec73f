package dev.sibyl.connectors.alerts.kafka;

import dev.sibyl.connectors.alerts.delivery.DeliveryOutcome;
import dev.sibyl.connectors.alerts.delivery.SinkDispatcher;
import dev.sibyl.connectors.alerts.incident.IncidentEvent;
import dev.sibyl.connectors.alerts.incident.IncidentTracker;
import dev.sibyl.connectors.alerts.incident.Origin;
import dev.sibyl.schemas.AnomalyFlag;
import dev.sibyl.schemas.DeadLetter;
import dev.sibyl.schemas.HealthEstimate;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the anomaly topic (and optionally the health topic) in a consumer group, turns records
 * into incidents, and notifies every sink of each trigger and resolve.
 *
 * <p>Nothing is lost on a restart: a batch's offsets are committed only after every notification
 * it caused was delivered or written, synchronously, to the dead-letter topic; and offsets are not
 * committed past the record that opened a still-open incident ({@link
 * IncidentTracker#openingOffsets()}), so that after a restart the open incidents are rebuilt from
 * their records and still get their resolve. The price is at-least-once notification: after a
 * restart, triggers of the replayed records are sent again with the same incident id (Alertmanager
 * and PagerDuty de-duplicate them; Slack and webhooks show them again).
 *
 * <p>A record that cannot be decoded, or is invalid, is dead-lettered with stage {@value
 * #STAGE_DESERIALIZE} or {@value #STAGE_VALIDATE}; a notification that a sink did not accept is
 * dead-lettered with stage {@code notify:<sink>}, the exact request body as value and the incident
 * id as key. A failure to write a dead letter stops the runner without committing.
 *
 * <p>The consumer and producer are the caller's (it closes them). One thread runs {@link #run()};
 * {@link #stop()} may be called from any thread.
 */
public final class AlertsRunner {

  private static final Logger LOG = LoggerFactory.getLogger(AlertsRunner.class);

  /** Dead-letter stage of a record that could not be decoded. */
  public static final String STAGE_DESERIALIZE = "deserialize";

  /** Dead-letter stage of a record that decoded but is invalid. */
  public static final String STAGE_VALIDATE = "validate";

  /** Dead-letter stage prefix of an undelivered notification; the sink's name follows. */
  public static final String STAGE_NOTIFY_PREFIX = "notify:";

  /** Longest wait of one poll, so that quiet periods and stop requests are noticed in time. */
  public static final Duration POLL_TIMEOUT = Duration.ofMillis(200);

  private final Consumer<byte[], byte[]> consumer;
  private final Producer<String, DeadLetter> deadLetters;
  private final String anomalyTopic;
  private final String healthTopic;
  private final String deadLetterTopic;
  private final Deserializer<AnomalyFlag> flagDeserializer;
  private final Deserializer<HealthEstimate> healthDeserializer;
  private final IncidentTracker tracker;
  private final List<SinkDispatcher> sinks;
  private final Clock clock;
  private final Duration idleTimeout;
  private long lastRecordNanos;
  private final Map<TopicPartition, Long> committed = new HashMap<>();
  private final AtomicLong recordsRead = new AtomicLong();
  private final AtomicLong triggers = new AtomicLong();
  private final AtomicLong resolves = new AtomicLong();
  private final AtomicLong delivered = new AtomicLong();
  private final AtomicLong deadLettered = new AtomicLong();
  private volatile boolean stopRequested;

  private AlertsRunner(Builder builder) {
    this.consumer = builder.consumer;
    this.deadLetters = builder.deadLetters;
    this.anomalyTopic = builder.anomalyTopic;
    this.healthTopic = builder.healthTopic;
    this.deadLetterTopic = builder.deadLetterTopic;
    this.flagDeserializer = builder.flagDeserializer;
    this.healthDeserializer = builder.healthDeserializer;
    this.tracker = builder.tracker;
    this.sinks = List.copyOf(builder.sinks);
    this.clock = builder.clock;
    this.idleTimeout = builder.idleTimeout;
  }

  /** A builder; every {@code set} value is required. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Subscribes and runs until {@link #stop()}, or until idle when an idle timeout is set.
   *
   * @throws KafkaException when Kafka fails, or a dead letter cannot be written (nothing of the
   *     current batch is committed then)
   */
  public void run() {
    List<String> topics = new ArrayList<>(List.of(anomalyTopic));
    if (healthTopic != null) {
      topics.add(healthTopic);
    }
    consumer.subscribe(topics);
    LOG.info("alerts: reading {} for {} sink(s): {}", topics, sinks.size(),
        sinks.stream().map(SinkDispatcher::name).toList());
    lastRecordNanos = System.nanoTime();
    try {
      while (!stopRequested && !idle()) {
        pollOnce();
      }
    } catch (WakeupException e) {
      if (!stopRequested) {
        throw e;
      }
    }
  }

  /** Asks {@link #run()} to return after the current notification; any thread. */
  public void stop() {
    stopRequested = true;
    consumer.wakeup();
  }

  /** Counters since the start. */
  public Stats stats() {
    return new Stats(recordsRead.get(), triggers.get(), resolves.get(), delivered.get(), deadLettered.get(),
        tracker.openCount());
  }

  /**
   * What the runner did.
   *
   * @param records input records read
   * @param triggers incidents opened
   * @param resolves incidents resolved
   * @param delivered notifications delivered (one per sink and event)
   * @param deadLettered records and notifications written to the dead-letter topic
   * @param open incidents open now
   */
  public record Stats(long records, long triggers, long resolves, long delivered, long deadLettered, int open) {}

  /** Whether the idle timeout has passed with partitions assigned, no incident open and no record read. */
  private boolean idle() {
    return idleTimeout != null
        && tracker.openCount() == 0
        && System.nanoTime() - lastRecordNanos >= idleTimeout.toNanos();
  }

  private void pollOnce() {
    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL_TIMEOUT)) {
      lastRecordNanos = System.nanoTime();
      recordsRead.incrementAndGet();
      announce(handle(record));
    }
    if (consumer.assignment().isEmpty()) {
      lastRecordNanos = System.nanoTime(); // still joining the group: not idle yet
    }
    announce(tracker.expire(clock.instant()));
    commit();
  }

  private List<IncidentEvent> handle(ConsumerRecord<byte[], byte[]> record) {
    Origin origin = new Origin(record.topic(), record.partition(), record.offset(), record.key(), record.value());
    boolean isFlag = record.topic().equals(anomalyTopic);
    Object value;
    try {
      if (record.value() == null) {
        throw new IllegalArgumentException("null value (a tombstone)");
      }
      value = isFlag
          ? flagDeserializer.deserialize(record.topic(), record.value())
          : healthDeserializer.deserialize(record.topic(), record.value());
    } catch (RuntimeException e) { // serde errors are unchecked of several kinds; each is one bad record
      deadLetter(origin, null, STAGE_DESERIALIZE, describe(e));
      return List.of();
    }
    try {
      return isFlag
          ? tracker.onFlag((AnomalyFlag) value, origin, clock.instant())
          : tracker.onHealth((HealthEstimate) value, origin, clock.instant());
    } catch (IllegalArgumentException e) {
      deadLetter(origin, null, STAGE_VALIDATE, describe(e));
      return List.of();
    }
  }

  private void announce(List<IncidentEvent> events) {
    for (IncidentEvent event : events) {
      (event.action() == IncidentEvent.Action.TRIGGER ? triggers : resolves).incrementAndGet();
      LOG.info("{} {}: {}", event.action(), event.incident().id(), event.incident().summary());
      for (SinkDispatcher sink : sinks) {
        DeliveryOutcome outcome = sink.deliver(event);
        if (outcome.delivered()) {
          delivered.incrementAndGet();
        } else {
          Origin origin = event.origin();
          deadLetter(
              new Origin(origin.topic(), origin.partition(), origin.offset(),
                  event.incident().id().getBytes(StandardCharsets.UTF_8), outcome.body()),
              event.incident().id(),
              STAGE_NOTIFY_PREFIX + sink.name(),
              outcome.error());
        }
      }
    }
  }

  private void deadLetter(Origin origin, String key, String stage, String error) {
    DeadLetter letter =
        DeadLetter.newBuilder()
            .setTopic(origin.topic())
            .setPartition(origin.partition())
            .setOffset(origin.offset())
            .setKey(origin.key() == null ? null : ByteBuffer.wrap(origin.key()))
            .setValue(origin.value() == null ? null : ByteBuffer.wrap(origin.value()))
            .setError(error)
            .setStage(stage)
            .setTime(clock.instant())
            .build();
    try {
      // Synchronous: the offsets that follow must not be committed before the letter is stored.
      deadLetters.send(new ProducerRecord<>(deadLetterTopic, key, letter)).get();
    } catch (ExecutionException e) {
      throw new KafkaException("cannot write a dead letter to " + deadLetterTopic + " (" + stage + ": " + error + ")",
          e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaException("interrupted while writing a dead letter to " + deadLetterTopic, e);
    }
    deadLettered.incrementAndGet();
    LOG.warn("dead-lettered ({}) {}-{}@{}: {}", stage, origin.topic(), origin.partition(), origin.offset(), error);
  }

  /** Commits each assigned partition's position, held back to the opening of open incidents. */
  private void commit() {
    Map<TopicPartition, Long> holds = tracker.openingOffsets();
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition partition : consumer.assignment()) {
      long position = consumer.position(partition);
      long offset = Math.min(position, holds.getOrDefault(partition, Long.MAX_VALUE));
      if (!Objects.equals(committed.get(partition), offset)) {
        offsets.put(partition, new OffsetAndMetadata(offset));
      }
    }
    if (!offsets.isEmpty()) {
      consumer.commitSync(offsets);
      offsets.forEach((partition, offset) -> committed.put(partition, offset.offset()));
    }
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    if (e.getCause() != null && e.getCause().getMessage() != null) {
      message = message + ": " + e.getCause().getMessage();
    }
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message.replace('\n', ' '));
  }

  /** Builds an {@link AlertsRunner}; {@link #build()} checks that every part is set. */
  public static final class Builder {
    private Consumer<byte[], byte[]> consumer;
    private Producer<String, DeadLetter> deadLetters;
    private String anomalyTopic;
    private String healthTopic;
    private String deadLetterTopic;
    private Deserializer<AnomalyFlag> flagDeserializer;
    private Deserializer<HealthEstimate> healthDeserializer;
    private IncidentTracker tracker;
    private List<SinkDispatcher> sinks;
    private Clock clock = Clock.systemUTC();
    private Duration idleTimeout;

    private Builder() {}

    /** The consumer (byte arrays; auto-commit off; group set). */
    public Builder setConsumer(Consumer<byte[], byte[]> consumer) {
      this.consumer = consumer;
      return this;
    }

    /** The producer of dead letters. */
    public Builder setDeadLetterProducer(Producer<String, DeadLetter> producer) {
      this.deadLetters = producer;
      return this;
    }

    /** The anomaly topic. */
    public Builder setAnomalyTopic(String topic) {
      this.anomalyTopic = topic;
      return this;
    }

    /** The health topic; unset or null: not read. */
    public Builder optHealthTopic(String topic) {
      this.healthTopic = topic;
      return this;
    }

    /** The dead-letter topic. */
    public Builder setDeadLetterTopic(String topic) {
      this.deadLetterTopic = topic;
      return this;
    }

    /** Deserializers of the two record types. */
    public Builder setDeserializers(Deserializer<AnomalyFlag> flags, Deserializer<HealthEstimate> health) {
      this.flagDeserializer = flags;
      this.healthDeserializer = health;
      return this;
    }

    /** The incident tracker. */
    public Builder setTracker(IncidentTracker tracker) {
      this.tracker = tracker;
      return this;
    }

    /** The sinks, at least one. */
    public Builder setSinks(List<SinkDispatcher> sinks) {
      this.sinks = sinks;
      return this;
    }

    /** The wall clock; default the system's UTC clock. */
    public Builder optClock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /**
     * Makes {@link AlertsRunner#run()} return once no incident is open and no record has been
     * read for this long (a batch run that drains the topics); unset or null: run until stopped.
     */
    public Builder optIdleTimeout(Duration idleTimeout) {
      this.idleTimeout = idleTimeout;
      return this;
    }

    /**
     * @return the runner
     * @throws IllegalStateException naming the first missing part
     */
    public AlertsRunner build() {
      sanityCheck();
      return new AlertsRunner(this);
    }

    private void sanityCheck() {
      require(consumer, "consumer");
      require(deadLetters, "deadLetterProducer");
      require(anomalyTopic, "anomalyTopic");
      require(deadLetterTopic, "deadLetterTopic");
      require(flagDeserializer, "deserializers");
      require(healthDeserializer, "deserializers");
      require(tracker, "tracker");
      require(sinks, "sinks");
      require(clock, "clock");
      if (sinks.isEmpty()) {
        throw new IllegalStateException("sinks must name at least one sink");
      }
      if (idleTimeout != null && (idleTimeout.isNegative() || idleTimeout.isZero())) {
        throw new IllegalStateException("idleTimeout must be positive, got " + idleTimeout);
      }
      if (anomalyTopic.equals(healthTopic)) {
        throw new IllegalStateException("healthTopic must differ from anomalyTopic, both are " + anomalyTopic);
      }
    }

    private static void require(Object value, String name) {
      if (value == null) {
        throw new IllegalStateException(name + " must be set");
      }
    }
  }
}

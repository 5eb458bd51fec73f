package dev.sibyl.app.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sibyl.app.SibylMain;
import dev.sibyl.app.config.AppConfig;
import dev.sibyl.schemas.serde.RecordDecoder;
import dev.sibyl.schemas.serde.SchemaRegistryException;
import dev.sibyl.streams.PipelineConfig;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code sibyl tail}: prints the records of a topic as JSON lines on stdout. A record that cannot
 * be decoded prints a line with an {@code error} field instead; tail goes on.
 */
@Command(
    name = "tail",
    sortOptions = false,
    description = {
      "Print the records of a topic as JSON lines on stdout.",
      "Fields: topic, partition, offset, timestamp, key, type, value; or error instead of type"
          + " and value when a record cannot be decoded.",
      "Reads without a consumer group (commits nothing) and only committed transactional records."
    })
public final class TailCommand implements Callable<Integer> {

  /** Longest wait of one poll, so that stop requests and the idle timeout are noticed. */
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(200);

  /** How long to wait for the topic to appear, when --idle-timeout does not say otherwise. */
  private static final Duration TOPIC_WAIT = Duration.ofSeconds(30);

  @ParentCommand private SibylMain root;

  @Spec private CommandSpec spec;

  @Mixin private KafkaOptions kafka;

  @Option(
      names = "--topic",
      paramLabel = "TOPIC",
      description = "Topic to read (default: setting topic.telemetry, else "
          + PipelineConfig.TELEMETRY_TOPIC_DEFAULT + ").")
  private String topic;

  @Option(names = "--from-beginning", description = "Start at the oldest record rather than at the end.")
  private boolean fromBeginning;

  @Option(names = "--max", paramLabel = "N", description = "Stop after N records.")
  private Long max;

  @Option(
      names = "--idle-timeout",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Stop when no record arrived for this long (e.g. 10s; default: never).")
  private Duration idleTimeout;

  private final ObjectMapper mapper = new ObjectMapper();


  /** Tails the topic; see the command description. */
  @Override
  public Integer call() {
    if (max != null && max < 1) {
      throw new ParameterException(spec.commandLine(), "--max must be at least 1, got " + max);
    }
    if (idleTimeout != null && (idleTimeout.isNegative() || idleTimeout.isZero())) {
      throw new ParameterException(spec.commandLine(), "--idle-timeout must be positive, got " + idleTimeout);
    }
    AppConfig config = kafka.apply(root.config());
    String source =
        topic != null ? topic : config.get(PipelineConfig.TELEMETRY_TOPIC_CONFIG, PipelineConfig.TELEMETRY_TOPIC_DEFAULT);
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();

    try (StopSignal stopSignal = StopSignal.install();
        KafkaSession session = KafkaSession.open(config);
        KafkaConsumer<byte[], byte[]> consumer = consumer(session)) {
      // Configured like the serdes: a schema.registry.url setting enables the Confluent format.
      RecordDecoder decoder = RecordDecoder.fromConfigs(session.clientProperties());
      List<TopicPartition> partitions = awaitPartitions(consumer, source, err);
      consumer.assign(partitions);
      if (fromBeginning) {
        consumer.seekToBeginning(partitions);
      } else {
        consumer.seekToEnd(partitions);
      }
      long printed = 0;
      long lastRecordNanos = System.nanoTime();
      stopSignal.onStop(consumer::wakeup);
      try {
        while (max == null || printed < max) {
          ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL_TIMEOUT);
          for (ConsumerRecord<byte[], byte[]> record : records) {
            out.println(toJsonLine(record, decoder));
            if (max != null && ++printed >= max) {
              break;
            }
          }
          out.flush();
          if (!records.isEmpty()) {
            lastRecordNanos = System.nanoTime();
          } else if (idleTimeout != null && System.nanoTime() - lastRecordNanos >= idleTimeout.toNanos()) {
            break;
          }
        }
      } catch (WakeupException e) {
        // Ctrl-C: the shutdown hook woke the consumer up; end normally so that it is closed.
      }
      return 0;
    }
  }

  private static KafkaConsumer<byte[], byte[]> consumer(KafkaSession session) {
    Map<String, Object> props = session.clientProperties();
    // No group: tail must never commit offsets into a group of the pipeline's.
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    props.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG); // a producer setting: "unused" warning otherwise
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    // Show what downstream exactly-once consumers see, unless the settings ask otherwise.
    props.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** The topic's partitions, waiting (bounded) for the topic to be created. */
  private List<TopicPartition> awaitPartitions(KafkaConsumer<byte[], byte[]> consumer, String name, PrintWriter err) {
    Duration wait = idleTimeout != null ? idleTimeout : TOPIC_WAIT;
    long deadline = System.nanoTime() + wait.toNanos();
    boolean told = false;
    while (true) {
      List<PartitionInfo> infos = consumer.partitionsFor(name, Duration.ofSeconds(10));
      if (infos != null && !infos.isEmpty()) {
        List<TopicPartition> partitions = new ArrayList<>();
        infos.forEach(info -> partitions.add(new TopicPartition(info.topic(), info.partition())));
        return partitions;
      }
      if (System.nanoTime() >= deadline) {
        throw new IllegalStateException("topic " + name + " does not exist (waited " + wait.toSeconds() + " s)");
      }
      if (!told) {
        err.println("waiting for topic " + name + " to be created...");
        err.flush();
        told = true;
      }
      try {
        Thread.sleep(POLL_TIMEOUT.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for topic " + name, e);
      }
    }
  }

  private String toJsonLine(ConsumerRecord<byte[], byte[]> record, RecordDecoder decoder) {
    ObjectNode line = mapper.createObjectNode();
    line.put("topic", record.topic());
    line.put("partition", record.partition());
    line.put("offset", record.offset());
    line.put("timestamp", Instant.ofEpochMilli(record.timestamp()).toString());
    if (record.key() == null) {
      line.putNull("key");
    } else {
      line.put("key", new String(record.key(), StandardCharsets.UTF_8));
    }
    if (record.value() == null) {
      line.putNull("value"); // a tombstone
      return line.toString();
    }
    try {
      SpecificRecord value = decoder.decode(record.topic(), record.value());
      line.put("type", value.getSchema().getName());
      line.set("value", mapper.readTree(RecordDecoder.toJson(value)));
    } catch (SerializationException | SchemaRegistryException | JsonProcessingException e) {
      // One bad record must not end the tail: report it in place and go on.
      line.put("error", Failures.oneLine(e.getMessage()));
    }
    return line.toString();
  }
}

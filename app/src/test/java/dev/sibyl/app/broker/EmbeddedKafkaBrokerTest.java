package dev.sibyl.app.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** One broker lifecycle: format and start, produce and consume, restart on the same data. */
@Timeout(120)
class EmbeddedKafkaBrokerTest {

  @TempDir Path dir;

  @Test
  @SuppressWarnings("try") // close() is called inside try-with-resources on purpose: idempotence
  void keepsRecordsAndClusterIdAcrossARestartAndSupportsTransactions() throws Exception {
    Path data = dir.resolve("kafka");
    String clusterId;

    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().optDataDir(data).build()) {
      broker.start();
      assertThat(broker.formattedOnStart()).isTrue();
      assertThat(Files.exists(data.resolve("meta.properties"))).isTrue();
      assertThat(EmbeddedKafkaBroker.findRunning(data)).contains(broker.bootstrapServers());
      clusterId = broker.clusterId();
      System.err.printf("first start (format): %d ms%n", broker.startDuration().toMillis());

      assertThat(broker.ensureTopics(Map.of("plain", 2, "tx", 1))).containsExactlyInAnyOrder("plain", "tx");
      assertThat(broker.ensureTopics(Map.of("plain", 2))).isEmpty();

      // Plain produce, then consume.
      try (KafkaProducer<String, String> producer = producer(broker, null)) {
        producer.send(new ProducerRecord<>("plain", "k", "before-restart")).get();
      }
      assertThat(readAll(broker, "plain", "read_uncommitted", 2)).containsExactly("before-restart");

      // Exactly-once: a committed and an aborted transaction; read_committed sees only the first.
      try (KafkaProducer<String, String> producer = producer(broker, "test-tx")) {
        producer.initTransactions();
        producer.beginTransaction();
        producer.send(new ProducerRecord<>("tx", "k", "committed"));
        producer.commitTransaction();
        producer.beginTransaction();
        producer.send(new ProducerRecord<>("tx", "k", "aborted"));
        producer.flush();
        producer.abortTransaction();
      }
      assertThat(readAll(broker, "tx", "read_committed", 1)).containsExactly("committed");

      // A second broker on the same directory is refused with a clear message.
      try (EmbeddedKafkaBroker second = EmbeddedKafkaBroker.builder().optDataDir(data).build()) {
        assertThatThrownBy(second::start)
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("is in use by another broker (its broker answers at "
                + broker.bootstrapServers() + ")");
      }
      broker.close();
      broker.close(); // idempotent
      assertThat(EmbeddedKafkaBroker.findRunning(data)).isEmpty();
    }

    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().optDataDir(data).build()) {
      broker.start();
      System.err.printf("restart: %d ms%n", broker.startDuration().toMillis());
      assertThat(broker.formattedOnStart()).isFalse();
      assertThat(broker.clusterId()).isEqualTo(clusterId);
      assertThat(readAll(broker, "plain", "read_uncommitted", 2)).containsExactly("before-restart");
    }
  }

  @Test
  void builderRejectsBadValues() {
    assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().optPort(70000).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("port must be in [0,65535], got 70000");
    assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().optRetentionMs(0).build())
        .hasMessage("retentionMs must be -1 or positive, got 0");
    assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().build().bootstrapServers())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("embedded Kafka broker is not running, it is NEW");
  }

  private static KafkaProducer<String, String> producer(EmbeddedKafkaBroker broker, String txId) {
    Map<String, Object> props = broker.clientProperties();
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    if (txId != null) {
      props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, txId);
    }
    return new KafkaProducer<>(props);
  }

  /** Reads one partition from the start up to its end offset. */
  private static List<String> readAll(
      EmbeddedKafkaBroker broker, String topic, String isolation, int partitions) {
    Map<String, Object> props = broker.clientProperties();
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> assigned = new ArrayList<>();
      for (int p = 0; p < partitions; p++) {
        assigned.add(new TopicPartition(topic, p));
      }
      consumer.assign(assigned);
      consumer.seekToBeginning(assigned);
      Map<TopicPartition, Long> end = consumer.endOffsets(assigned);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline
          && assigned.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
          values.add(record.value());
        }
      }
    }
    return values;
  }
}

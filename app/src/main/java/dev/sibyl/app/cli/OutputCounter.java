package dev.sibyl.app.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Counts the committed records that arrive on some topics from now on, on a thread of its own.
 * Reading the output topics with {@code read_committed}, rather than counting inside the pipeline,
 * makes the counts what a downstream consumer sees: aborted transactions are not counted.
 */
final class OutputCounter implements AutoCloseable {

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Map<String, AtomicLong> counts = new HashMap<>();
  private final Thread thread;
  private volatile boolean running = true;

  private OutputCounter(Map<String, Object> kafka, List<String> topics) {
    Map<String, Object> props = new HashMap<>(kafka);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    this.consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> partitions = new ArrayList<>();
    for (String topic : topics) {
      counts.put(topic, new AtomicLong());
      for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
        partitions.add(new TopicPartition(topic, info.partition()));
      }
    }
    consumer.assign(partitions);
    consumer.seekToEnd(partitions);
    partitions.forEach(consumer::position); // fix the starting offsets before anything is produced
    this.thread = new Thread(this::run, "sibyl-output-counter");
    this.thread.setDaemon(true);
  }

  /**
   * Starts counting what arrives on {@code topics} after this call.
   *
   * @param kafka client properties
   * @param topics existing topics
   */
  static OutputCounter start(Map<String, Object> kafka, List<String> topics) {
    OutputCounter counter = new OutputCounter(kafka, topics);
    counter.thread.start();
    return counter;
  }

  /** Committed records seen on {@code topic} since the start. */
  long count(String topic) {
    return counts.get(topic).get();
  }

  /** The sum over every counted topic, to tell when output has stopped changing. */
  long total() {
    return counts.values().stream().mapToLong(AtomicLong::get).sum();
  }

  private void run() {
    try {
      while (running) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          counts.get(record.topic()).incrementAndGet();
        }
      }
    } catch (WakeupException e) {
      // close() asked us to stop
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  /** Stops the thread and closes the consumer, waiting up to 10 s. */
  @Override
  public void close() throws InterruptedException {
    running = false;
    consumer.wakeup();
    thread.join(10_000);
  }
}

package dev.sibyl.app.broker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates topics that do not exist yet, on any cluster (embedded or not). */
public final class TopicAdmin {

  private static final Logger LOG = LoggerFactory.getLogger(TopicAdmin.class);

  /** Pause between two checks of new topics' leaders. */
  private static final long RETRY_MILLIS = 50;

  private TopicAdmin() {}

  /**
   * Creates each topic that does not exist yet with the given number of partitions and the
   * broker's default replication factor. Existing topics are left as they are, whatever their
   * partition count.
   *
   * @param adminProperties Kafka client properties ({@code bootstrap.servers}, security...)
   * @param partitions topic name to partition count (at least 1); may be empty
   * @param timeout bound on the whole operation
   * @return the topics this call created
   * @throws IllegalArgumentException when a partition count is below 1
   * @throws KafkaException naming the topics when listing or creating fails or times out
   */
  public static Set<String> ensureTopics(
      Map<String, Object> adminProperties, Map<String, Integer> partitions, Duration timeout) {
    partitions.forEach(
        (topic, count) -> {
          if (count == null || count < 1) {
            throw new IllegalArgumentException(
                "partitions of topic " + topic + " must be at least 1, got " + count);
          }
        });
    if (partitions.isEmpty()) {
      return Set.of();
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Admin admin = Admin.create(adminProperties)) {
      Set<String> existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      List<NewTopic> missing = new ArrayList<>();
      partitions.forEach(
          (topic, count) -> {
            if (!existing.contains(topic)) {
              missing.add(new NewTopic(topic, Optional.of(count), Optional.empty()));
            }
          });
      if (missing.isEmpty()) {
        return Set.of();
      }
      List<String> created = new ArrayList<>();
      for (Map.Entry<String, org.apache.kafka.common.KafkaFuture<Void>> entry :
          admin.createTopics(missing).values().entrySet()) {
        long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
        try {
          entry.getValue().get(left, TimeUnit.MILLISECONDS);
          created.add(entry.getKey());
        } catch (ExecutionException e) {
          // Another client may have created it since the listing: that is what we wanted.
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new KafkaException(
                "cannot create topic " + entry.getKey() + ": " + e.getCause().getMessage(), e.getCause());
          }
        }
      }
      awaitLeaders(admin, created, partitions, deadline);
      LOG.info("created topics {}", created);
      return Set.copyOf(created);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaException("interrupted while creating topics " + partitions.keySet(), e);
    } catch (TimeoutException e) {
      throw new KafkaException(
          "no answer from Kafka within " + timeout.toSeconds() + " s while creating topics "
              + partitions.keySet(), e);
    } catch (ExecutionException e) {
      throw new KafkaException(
          "cannot list topics: " + e.getCause().getMessage(), e.getCause());
    }
  }

  /**
   * Waits until the leader of every partition of the new topics serves requests. A topic is
   * created once the controller commits it, but a broker applies it a moment later; a producer
   * that sends in between gets NOT_LEADER_OR_FOLLOWER for its first request, and with several
   * requests in flight a later one can be appended first, after which the idempotent producer's
   * retries of the first fail with OUT_OF_ORDER_SEQUENCE_NUMBER until they expire (KAFKA-15591,
   * seen here with the embedded broker). A list-offsets request is answered by the partition's
   * leader replica itself (the admin client retries it until then), so its success closes that
   * window before any producer of ours sends.
   */
  private static void awaitLeaders(Admin admin, List<String> topics, Map<String, Integer> partitions, long deadline)
      throws InterruptedException, ExecutionException, TimeoutException {
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    for (String topic : topics) {
      for (int p = 0; p < partitions.get(topic); p++) {
        request.put(new TopicPartition(topic, p), OffsetSpec.latest());
      }
    }
    if (request.isEmpty()) {
      return;
    }
    // Until the broker has the topic in its metadata, the admin client fails the request at once
    // (unknown topic or partition, a retriable error) instead of waiting: ask again until the deadline.
    while (true) {
      long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
      try {
        admin.listOffsets(request).all().get(left, TimeUnit.MILLISECONDS);
        return;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof RetriableException) || System.nanoTime() > deadline) {
          throw new KafkaException(
              "new topics " + topics + " have no serving leader: " + e.getCause().getMessage(), e.getCause());
        }
        Thread.sleep(RETRY_MILLIS);
      }
    }
  }
}

package dev.sibyl.connectors.alerts.kafka;

import static dev.sibyl.connectors.alerts.AlertFixtures.flag;
import static dev.sibyl.connectors.alerts.AlertFixtures.health;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sibyl.connectors.alerts.RecordingServer;
import dev.sibyl.connectors.alerts.config.AlertsConfig;
import dev.sibyl.connectors.alerts.config.SinkFactory;
import dev.sibyl.connectors.alerts.incident.IncidentTracker;
import dev.sibyl.schemas.AnomalyFlag;
import dev.sibyl.schemas.DeadLetter;
import dev.sibyl.schemas.HealthEstimate;
import dev.sibyl.schemas.Severity;
import dev.sibyl.schemas.serde.AvroSerdes;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The runner against Kafka's mock consumer and producer: one trigger for many flags, the resolve
 * after the quiet period, dead letters for an undecodable record and for a sink that refuses, and
 * commits held back to the opening record while its incident is open.
 */
@Timeout(60)
class AlertsRunnerTest {

  private static final String ANOMALIES = "sibyl.anomalies";
  private static final String HEALTH = "sibyl.health";
  private static final String DLQ = "sibyl.alerts.dead-letters";
  private static final TopicPartition FLAGS_0 = new TopicPartition(ANOMALIES, 0);
  private static final TopicPartition HEALTH_0 = new TopicPartition(HEALTH, 0);

  /** A wall clock the test moves. */
  private static final class MovableClock extends Clock {
    private volatile Instant now = Instant.parse("2026-11-01T00:00:00Z");

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  /** A runner on the mock consumer and producer with the test's topics, sinks and clock. */
  private static AlertsRunner runner(
      MockConsumer<byte[], byte[]> consumer, MockProducer<String, DeadLetter> producer, AlertsConfig config, MovableClock clock) {
    return AlertsRunner.builder()
        .setConsumer(consumer)
        .setDeadLetterProducer(producer)
        .setAnomalyTopic(ANOMALIES)
        .optHealthTopic(HEALTH)
        .setDeadLetterTopic(DLQ)
        .setDeserializers(
            AvroSerdes.forType(AnomalyFlag.class, Map.of(), false).deserializer(),
            AvroSerdes.forType(HealthEstimate.class, Map.of(), false).deserializer())
        .setTracker(new IncidentTracker(config.incidentPolicy()))
        .setSinks(new SinkFactory(HttpClient.newHttpClient(), clock).dispatchers(config))
        .optClock(clock)
        .build();
  }

  @Test
  void notifiesOnceResolvesAfterQuietDeadLettersFailuresAndCommitsSafely() throws Exception {
    MovableClock clock = new MovableClock();
    try (RecordingServer good = new RecordingServer(); RecordingServer bad = new RecordingServer()) {
      bad.answer(400, 400);
      Map<String, String> settings = new HashMap<>();
      settings.put("alerts.sinks", "good,bad");
      settings.put("alerts.sink.good.type", "webhook");
      settings.put("alerts.sink.good.url", good.base() + "/hook");
      settings.put("alerts.sink.bad.type", "webhook");
      settings.put("alerts.sink.bad.url", bad.base() + "/hook");
      settings.put("alerts.resolve.quiet.ms", "60000");
      AlertsConfig config = new AlertsConfig(settings);

      MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
      Serializer<DeadLetter> letters = AvroSerdes.forType(DeadLetter.class, Map.of(), false).serializer();
      MockProducer<String, DeadLetter> producer = new MockProducer<>(true, null, new StringSerializer(), letters);
      AlertsRunner runner = runner(consumer, producer, config, clock);

      Serializer<AnomalyFlag> flags = AvroSerdes.forType(AnomalyFlag.class, Map.of(), false).serializer();
      List<Map<TopicPartition, OffsetAndMetadata>> commits = new ArrayList<>();
      consumer.schedulePollTask(() -> {
        consumer.updateBeginningOffsets(Map.of(FLAGS_0, 0L, HEALTH_0, 0L));
        consumer.rebalance(List.of(FLAGS_0, HEALTH_0));
        consumer.addRecord(new ConsumerRecord<>(ANOMALIES, 0, 0, "k".getBytes(StandardCharsets.UTF_8),
            "not avro".getBytes(StandardCharsets.UTF_8)));
        for (int i = 1; i <= 5; i++) {
          AnomalyFlag f = flag("pump-1", "temp", i, Severity.HIGH, 0.9);
          consumer.addRecord(new ConsumerRecord<>(ANOMALIES, 0, i, null, flags.serialize(ANOMALIES, f)));
        }
      });
      consumer.schedulePollTask(() -> {
        commits.add(consumer.committed(Set.of(FLAGS_0)));
        clock.now = clock.now.plusSeconds(61);
      });
      consumer.schedulePollTask(() -> {
        commits.add(consumer.committed(Set.of(FLAGS_0)));
        runner.stop();
      });
      runner.run();

      // One trigger and one resolve of one incident reached the good sink.
      ObjectMapper mapper = new ObjectMapper();
      List<RecordingServer.Request> requests = good.requests();
      assertThat(requests).hasSize(2);
      JsonNode trigger = mapper.readTree(requests.get(0).body());
      JsonNode resolve = mapper.readTree(requests.get(1).body());
      assertThat(trigger.get("action").asText()).isEqualTo("trigger");
      assertThat(resolve.get("action").asText()).isEqualTo("resolve");
      assertThat(resolve.get("incident").get("id").asText()).isEqualTo(trigger.get("incident").get("id").asText());
      assertThat(resolve.get("incident").get("records").asLong()).isEqualTo(5);
      assertThat(resolve.get("incident").get("resolveReason").asText()).isEqualTo("quiet for 60 s");

      // Dead letters: the undecodable record, and both notifications the bad sink refused.
      List<ProducerRecord<String, DeadLetter>> dead = producer.history();
      assertThat(dead).hasSize(3).allSatisfy(r -> assertThat(r.topic()).isEqualTo(DLQ));
      DeadLetter undecodable = dead.get(0).value();
      assertThat(undecodable.getStage()).isEqualTo("deserialize");
      assertThat(undecodable.getOffset()).isZero();
      assertThat(StandardCharsets.UTF_8.decode(undecodable.getValue()).toString()).isEqualTo("not avro");
      DeadLetter refusedTrigger = dead.get(1).value();
      assertThat(refusedTrigger.getStage()).isEqualTo("notify:bad");
      assertThat(refusedTrigger.getTopic()).isEqualTo(ANOMALIES);
      assertThat(refusedTrigger.getOffset()).isEqualTo(1); // the opening flag
      assertThat(refusedTrigger.getError()).isEqualTo("sink bad: refused: POST " + bad.base() + "/hook answered 400");
      assertThat(mapper.readTree(StandardCharsets.UTF_8.decode(refusedTrigger.getValue()).toString()))
          .isEqualTo(trigger); // the exact body, ready to be re-sent
      assertThat(dead.get(1).key()).isEqualTo(trigger.get("incident").get("id").asText());
      DeadLetter refusedResolve = dead.get(2).value();
      assertThat(refusedResolve.getOffset()).isEqualTo(5); // the incident's latest flag
      assertThat(mapper.readTree(StandardCharsets.UTF_8.decode(refusedResolve.getValue()).toString()))
          .isEqualTo(resolve);

      // While the incident was open the commit stayed at its opening flag; after the resolve it moved on.
      assertThat(commits.get(0).get(FLAGS_0).offset()).isEqualTo(1);
      assertThat(commits.get(1).get(FLAGS_0).offset()).isEqualTo(6);
      assertThat(runner.stats()).isEqualTo(new AlertsRunner.Stats(6, 1, 1, 2, 3, 0));
    }
  }

  @Test
  void healthEstimatesOpenAndResolveADegradationAndAnInvalidOneIsDeadLettered() throws Exception {
    MovableClock clock = new MovableClock();
    try (RecordingServer hook = new RecordingServer()) {
      AlertsConfig config = new AlertsConfig(Map.of(
          "alerts.sinks", "hook", "alerts.sink.hook.type", "webhook", "alerts.sink.hook.url", hook.base() + "/h"));
      MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
      MockProducer<String, DeadLetter> producer = new MockProducer<>(
          true, null, new StringSerializer(), AvroSerdes.forType(DeadLetter.class, Map.of(), false).serializer());
      AlertsRunner runner = runner(consumer, producer, config, clock);
      Serializer<HealthEstimate> estimates = AvroSerdes.forType(HealthEstimate.class, Map.of(), false).serializer();
      HealthEstimate invalid = HealthEstimate.newBuilder(health("unit-3", 0, 0.5)).setStateProbabilities(List.of()).build();
      consumer.schedulePollTask(() -> {
        consumer.updateBeginningOffsets(Map.of(FLAGS_0, 0L, HEALTH_0, 0L));
        consumer.rebalance(List.of(FLAGS_0, HEALTH_0));
        consumer.addRecord(new ConsumerRecord<>(HEALTH, 0, 0, null, estimates.serialize(HEALTH, health("unit-3", 0, 0.2))));
        consumer.addRecord(new ConsumerRecord<>(HEALTH, 0, 1, null, estimates.serialize(HEALTH, health("unit-3", 1, 0.1))));
        consumer.addRecord(new ConsumerRecord<>(HEALTH, 0, 2, null, estimates.serialize(HEALTH, invalid)));
        consumer.addRecord(new ConsumerRecord<>(HEALTH, 0, 3, null, estimates.serialize(HEALTH, health("unit-3", 2, 0.7))));
      });
      consumer.schedulePollTask(runner::stop);
      runner.run();

      ObjectMapper mapper = new ObjectMapper();
      List<JsonNode> bodies = new ArrayList<>();
      for (RecordingServer.Request request : hook.requests()) {
        bodies.add(mapper.readTree(request.body()));
      }
      assertThat(bodies).extracting(b -> b.get("action").asText()).containsExactly("trigger", "resolve");
      assertThat(bodies).allSatisfy(b -> {
        assertThat(b.get("incident").get("kind").asText()).isEqualTo("degradation");
        assertThat(b.get("incident").get("channel").asText()).isEqualTo("health");
      });
      assertThat(bodies.get(1).get("incident").get("records").asLong()).isEqualTo(2);
      assertThat(bodies.get(1).get("incident").get("resolveReason").asText())
          .isEqualTo("health estimate: healthy with probability 0.70");
      assertThat(producer.history()).singleElement().satisfies(r -> {
        assertThat(r.value().getStage()).isEqualTo("validate");
        assertThat(r.value().getTopic()).isEqualTo(HEALTH);
        assertThat(r.value().getOffset()).isEqualTo(2);
        assertThat(r.value().getError())
            .isEqualTo("IllegalArgumentException: health estimate of unit-3 has no state probabilities");
      });
    }
  }
}

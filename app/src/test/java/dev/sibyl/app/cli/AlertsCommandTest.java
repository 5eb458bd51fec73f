package dev.sibyl.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.sibyl.app.broker.EmbeddedKafkaBroker;
import dev.sibyl.app.cli.SibylMainTest.Run;
import dev.sibyl.schemas.AnomalyFlag;
import dev.sibyl.schemas.DeadLetter;
import dev.sibyl.schemas.Severity;
import dev.sibyl.schemas.serde.AvroSerdes;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sibyl alerts} end to end: AnomalyFlag records on the embedded broker, the command run
 * in-process with a config file, and an in-test HTTP server that must receive one trigger and one
 * resolve per series, in the webhook and Alertmanager formats; a refusing sink's notifications
 * must land on the dead-letter topic.
 */
@Timeout(180)
class AlertsCommandTest {

  private static final String ANOMALIES = "alerts-e2e.anomalies";
  private static final String DLQ = "alerts-e2e.dead-letters";

  @TempDir Path dir;

  private final ObjectMapper mapper = new ObjectMapper();

  /** One received request: path and body. */
  private record Received(String path, String body) {}

  @Test
  void flagsOnTheTopicBecomeOneTriggerAndOneResolvePerSeries() throws Exception {
    List<Received> received = new CopyOnWriteArrayList<>();
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> {
      try (InputStream in = exchange.getRequestBody()) {
        received.add(new Received(exchange.getRequestURI().getPath(), new String(in.readAllBytes(), StandardCharsets.UTF_8)));
      }
      int status = exchange.getRequestURI().getPath().startsWith("/refuse") ? 400 : 200;
      exchange.sendResponseHeaders(status, -1);
      exchange.close();
    });
    server.start();
    String base = "http://127.0.0.1:" + server.getAddress().getPort();
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().optDataDir(dir.resolve("kafka")).build()) {
      broker.start();
      broker.ensureTopics(Map.of(ANOMALIES, 2));
      Instant t0 = Instant.parse("2026-03-01T10:00:00Z");
      List<AnomalyFlag> flags = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        flags.add(flag("pump-1", "temp", t0.plusSeconds(i)));
      }
      for (int i = 0; i < 3; i++) {
        flags.add(flag("pump-2", "pressure", t0.plusSeconds(i)));
      }
      send(broker, flags);

      Path config = dir.resolve("alerts.properties");
      Files.writeString(config, String.join("\n",
          "topic.anomalies=" + ANOMALIES,
          "alerts.read.health=false",
          "alerts.topic.dead-letters=" + DLQ,
          "alerts.group.id=alerts-e2e",
          "alerts.resolve.quiet.ms=1500",
          "alerts.sinks=hook,am,refuser",
          "alerts.sink.hook.type=webhook",
          "alerts.sink.hook.url=" + base + "/hook",
          "alerts.sink.am.type=alertmanager",
          "alerts.sink.am.url=" + base + "/am",
          "alerts.sink.refuser.type=webhook",
          "alerts.sink.refuser.url=" + base + "/refuse",
          ""));

      Run run = SibylMainTest.run(
          "alerts", "--config", config.toString(), "--bootstrap-servers", broker.bootstrapServers(),
          "--idle-timeout", "4s", "--duration", "90s");

      assertThat(run.exitCode()).as(run.err()).isZero();
      assertThat(run.out().strip()).isEqualTo(
          "alerts: 9 records, 2 triggers, 2 resolves, 8 notifications delivered, 4 dead-lettered, 0 incidents open");

      List<JsonNode> hook = bodies(received, "/hook");
      assertThat(hook).hasSize(4);
      for (String source : List.of("pump-1", "pump-2")) {
        List<JsonNode> ofSource = hook.stream().filter(b -> b.get("incident").get("source").asText().equals(source)).toList();
        assertThat(ofSource).extracting(b -> b.get("action").asText()).containsExactly("trigger", "resolve");
        assertThat(ofSource.get(0).get("incident").get("id").asText())
            .isEqualTo(ofSource.get(1).get("incident").get("id").asText())
            .isEqualTo("sibyl/" + source + "/" + (source.equals("pump-1") ? "temp" : "pressure") + "/" + t0.toEpochMilli());
        assertThat(ofSource.get(1).get("incident").get("records").asLong()).isEqualTo(source.equals("pump-1") ? 6 : 3);
        assertThat(ofSource.get(1).get("incident").get("resolveReason").asText()).isEqualTo("quiet for 1500 ms");
      }

      List<JsonNode> am = bodies(received, "/am/api/v2/alerts");
      assertThat(am).hasSize(4).allSatisfy(body -> {
        assertThat(body.isArray()).isTrue();
        assertThat(body.get(0).get("labels").get("alertname").asText()).isEqualTo("SibylAnomaly");
      });
      JsonNode resolve = am.stream()
          .filter(b -> b.get(0).get("labels").get("source").asText().equals("pump-2"))
          .reduce((first, second) -> second).orElseThrow().get(0);
      assertThat(resolve.get("startsAt").asText()).isEqualTo(t0.toString());
      assertThat(Instant.parse(resolve.get("endsAt").asText())).isBefore(Instant.now());

      // The refusing sink's four notifications are dead letters carrying the exact bodies.
      List<DeadLetter> letters = readDeadLetters(broker, 4);
      assertThat(letters).hasSize(4).allSatisfy(letter -> {
        assertThat(letter.getStage()).isEqualTo("notify:refuser");
        assertThat(letter.getTopic()).isEqualTo(ANOMALIES);
        assertThat(letter.getError()).isEqualTo("sink refuser: refused: POST " + base + "/refuse answered 400");
      });
      assertThat(letters.stream().map(l -> StandardCharsets.UTF_8.decode(l.getValue()).toString()).map(this::json))
          .containsExactlyInAnyOrderElementsOf(hook);

      // Everything was committed: a second run reads nothing and notifies nothing.
      int before = received.size();
      Run again = SibylMainTest.run(
          "alerts", "--config", config.toString(), "--bootstrap-servers", broker.bootstrapServers(),
          "--idle-timeout", "2s");
      assertThat(again.exitCode()).as(again.err()).isZero();
      assertThat(again.out()).contains("alerts: 0 records, 0 triggers");
      assertThat(received).hasSize(before);
    } finally {
      server.stop(0);
    }
  }

  @Test
  void badAlertSettingsAreAOneLineUsageError() throws IOException {
    Path config = dir.resolve("bad.properties");
    Files.writeString(config, "alerts.sinks=pager\nalerts.sink.pager.type=pagerduty\n");
    Run run = SibylMainTest.run("alerts", "--config", config.toString());
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err().lines()).singleElement().asString().isEqualTo(
        "bad alerts settings: alerts.sink.pager.routing.key is required for a pagerduty sink (see sibyl alerts --help)");

    Run none = SibylMainTest.run("alerts", "--set", "sibyl.data.dir=" + dir.resolve("data"));
    assertThat(none.exitCode()).isEqualTo(2);
    assertThat(none.err().lines()).singleElement().asString()
        .startsWith("bad alerts settings: Missing required configuration \"alerts.sinks\"");

    Run badDuration = SibylMainTest.run("alerts", "--config", config.toString(), "--idle-timeout", "0s");
    assertThat(badDuration.exitCode()).isEqualTo(2);
    assertThat(badDuration.err()).contains("--idle-timeout must be positive, got PT0S");
  }

  private static AnomalyFlag flag(String source, String channel, Instant time) {
    return AnomalyFlag.newBuilder()
        .setSource(source).setChannel(channel).setTimestamp(time)
        .setObserved(9.0).setExpected(1.0).setLower(0.0).setUpper(2.0)
        .setScore(0.95).setSeverity(Severity.HIGH).setReason("above upper bound").setModel("seasonal-naive")
        .build();
  }

  private static void send(EmbeddedKafkaBroker broker, List<AnomalyFlag> flags) {
    Map<String, Object> props = broker.clientProperties();
    // Not idempotent: see KafkaTestIo (the in-process broker once answered a fresh idempotent
    // producer with an out-of-order sequence).
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, AnomalyFlag> producer = new KafkaProducer<>(
        props, new StringSerializer(), AvroSerdes.forType(AnomalyFlag.class, Map.of(), false).serializer())) {
      for (AnomalyFlag flag : flags) {
        producer.send(new ProducerRecord<>(ANOMALIES, flag.getSource(), flag));
      }
      producer.flush();
    }
  }

  private List<DeadLetter> readDeadLetters(EmbeddedKafkaBroker broker, int expected) {
    Map<String, Object> props = broker.clientProperties();
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "dlq-reader-" + System.nanoTime());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    var deserializer = AvroSerdes.forType(DeadLetter.class, Map.of(), false).deserializer();
    List<DeadLetter> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(DLQ));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (out.size() < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          out.add(deserializer.deserialize(DLQ, record.value()));
        }
      }
    }
    return out;
  }

  private List<JsonNode> bodies(List<Received> received, String path) {
    return received.stream().filter(r -> r.path().equals(path)).map(r -> json(r.body())).toList();
  }

  private JsonNode json(String text) {
    try {
      return mapper.readTree(text);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + text, e);
    }
  }
}

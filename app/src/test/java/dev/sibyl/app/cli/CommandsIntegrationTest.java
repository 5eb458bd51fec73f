package dev.sibyl.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sibyl.app.broker.EmbeddedKafkaBroker;
import dev.sibyl.app.cli.SibylMainTest.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** simulate, replay and tail against one embedded broker, run in-process. */
@Timeout(120)
class CommandsIntegrationTest {

  @TempDir static Path dir;

  private static EmbeddedKafkaBroker broker;

  private final ObjectMapper mapper = new ObjectMapper();

  @BeforeAll
  static void startBroker() {
    broker = EmbeddedKafkaBroker.builder().optDataDir(dir.resolve("data").resolve("kafka")).build();
    broker.start();
  }

  @AfterAll
  static void stopBroker() {
    broker.close();
  }

  private List<JsonNode> jsonLines(String out) throws IOException {
    List<JsonNode> lines = new ArrayList<>();
    for (String line : out.split("\\R")) {
      if (!line.isBlank()) {
        lines.add(mapper.readTree(line));
      }
    }
    return lines;
  }

  @Test
  void simulateJoinsTheRunningEmbeddedBrokerAndTailDecodesItsPoints() throws IOException {
    Path labels = dir.resolve("labels.csv");
    // No bootstrap servers: the command finds the broker that runs on the data directory.
    Run simulate =
        SibylMainTest.run(
            "simulate", "--sources", "2", "--points", "300", "--rate", "0", "--seed", "5",
            "--anomaly-rate", "0.02", "--topic", "sim", "--labels-out", labels.toString(),
            "--set", "sibyl.data.dir=" + dir.resolve("data"));
    assertThat(simulate.exitCode()).as(simulate.err()).isZero();
    assertThat(simulate.err()).contains("sent 600 points to sim at " + broker.bootstrapServers());
    assertThat(simulate.out()).isEmpty();

    // An undecodable record: tail reports it and goes on.
    Map<String, Object> props = broker.clientProperties();
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>("sim", 0, "junk", new byte[] {1, 2, 3}));
    }

    Run tail =
        SibylMainTest.run(
            "tail", "--topic", "sim", "--from-beginning", "--max", "601", "--idle-timeout", "20s",
            "--bootstrap-servers", broker.bootstrapServers());
    assertThat(tail.exitCode()).as(tail.err()).isZero();
    List<JsonNode> lines = jsonLines(tail.out());
    assertThat(lines).hasSize(601);
    List<JsonNode> errors = lines.stream().filter(l -> l.has("error")).toList();
    assertThat(errors).singleElement()
        .satisfies(e -> assertThat(e.get("key").asText()).isEqualTo("junk"))
        .satisfies(e -> assertThat(e.get("error").asText()).contains("neither Avro single-object encoding"));
    JsonNode point = lines.stream().filter(l -> !l.has("error")).findFirst().orElseThrow();
    assertThat(point.get("type").asText()).isEqualTo("TelemetryPoint");
    assertThat(point.get("value").get("values").fieldNames())
        .toIterable().containsExactlyInAnyOrder("temperature", "vibration", "pressure");
    // Avro's JSON encoding: timestamps in epoch milliseconds (the Kafka timestamp is ISO-8601).
    assertThat(point.get("value").get("timestamp").asLong())
        .isGreaterThanOrEqualTo(Instant.parse("2024-01-01T00:00:00Z").toEpochMilli());
    assertThat(point.get("timestamp").asText()).startsWith("2024-01-01T");

    // The labels CSV lists exactly the labelled points that were sent.
    long labelled = lines.stream().filter(l -> l.has("value") && l.get("value").get("labels").has("anomaly")).count();
    assertThat(Files.readAllLines(labels)).hasSize((int) labelled + 1);
    assertThat(labelled).isPositive();
  }

  @Test
  void replaySendsAFileAndReportsABadRowWithItsLine() throws IOException {
    Path good = dir.resolve("nab.csv");
    Files.writeString(good, "timestamp,value\r\n2014-04-01 00:00:00,20.0\r\n2014-04-01 00:05:00,21.0\r\n");
    Run replay =
        SibylMainTest.run(
            "replay", "--file", good.toString(), "--topic", "nab", "--source", "m1",
            "--bootstrap-servers", broker.bootstrapServers());
    assertThat(replay.exitCode()).as(replay.err()).isZero();
    assertThat(replay.err()).contains("sent 2 points to nab");

    Run tail =
        SibylMainTest.run(
            "tail", "--topic", "nab", "--from-beginning", "--max", "2",
            "--bootstrap-servers", broker.bootstrapServers());
    List<JsonNode> lines = jsonLines(tail.out());
    assertThat(lines).extracting(l -> l.get("key").asText()).containsExactly("m1", "m1");
    assertThat(lines.get(1).get("value").get("values").get("value").asDouble()).isEqualTo(21.0);

    Path bad = dir.resolve("bad.csv");
    Files.writeString(bad, "timestamp,value\n2014-04-01 00:00:00,20.0\n2014-04-01 00:05:00,x\n");
    Run failed =
        SibylMainTest.run(
            "replay", "--file", bad.toString(), "--topic", "nab",
            "--bootstrap-servers", broker.bootstrapServers());
    assertThat(failed.exitCode()).isEqualTo(1);
    assertThat(failed.err().lines().filter(l -> l.startsWith("sibyl: ")))
        .containsExactly("sibyl: " + bad + ":3: column 'value': not a number: 'x'");
  }

  @Test
  void replaySendsACmapssFileWithUnitsAsSourcesAndCyclesAsTime() throws IOException {
    StringBuilder text = new StringBuilder();
    for (int unit = 1; unit <= 2; unit++) {
      for (int cycle = 1; cycle <= 2; cycle++) {
        text.append(unit).append(' ').append(cycle).append(" 0.0023 0.0003 100.0");
        for (int s = 1; s <= 21; s++) {
          text.append(' ').append(unit * 1000 + cycle * 10 + s);
        }
        text.append('\n');
      }
    }
    Path file = dir.resolve("test_FD001.txt");
    Files.writeString(file, text);
    Run replay =
        SibylMainTest.run(
            "replay", "--file", file.toString(), "--topic", "cmapss", "--cycle-length", "10m",
            "--bootstrap-servers", broker.bootstrapServers());
    assertThat(replay.exitCode()).as(replay.err()).isZero();
    assertThat(replay.err()).contains("sent 4 points to cmapss");

    Run tail =
        SibylMainTest.run(
            "tail", "--topic", "cmapss", "--from-beginning", "--max", "4",
            "--bootstrap-servers", broker.bootstrapServers());
    List<JsonNode> lines = jsonLines(tail.out());
    assertThat(lines).extracting(l -> l.get("key").asText())
        .containsExactly("test_FD001-1", "test_FD001-2", "test_FD001-1", "test_FD001-2");
    JsonNode last = lines.get(3).get("value");
    assertThat(last.get("values").get("s2").asDouble()).isEqualTo(2022.0);
    assertThat(last.get("labels").get("cycle").asText()).isEqualTo("2");

    Run wrong =
        SibylMainTest.run("replay", "--file", file.toString(), "--source-column", "unit", "--bootstrap-servers", broker.bootstrapServers());
    assertThat(wrong.exitCode()).isEqualTo(2);
    assertThat(wrong.err()).contains("--timestamp-column and --source-column apply to CSV files");
  }
}

package dev.sibyl.app.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sibyl.app.broker.EmbeddedKafkaBroker;
import dev.sibyl.connectors.cmapss.CmapssReader;
import dev.sibyl.models.api.ForecasterRegistry;
import dev.sibyl.models.api.Prognostic;
import dev.sibyl.models.api.TrainingListener;
import dev.sibyl.models.arphmm.Cmapss;
import dev.sibyl.models.rul.Prognostics;
import dev.sibyl.schemas.AnomalyFlag;
import dev.sibyl.schemas.HealthEstimate;
import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.streams.PipelineConfig;
import dev.sibyl.streams.kafka.ForecastPipeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prognostics end to end on a real broker with a real model: an ARPHMM trained on 30 FD001 units,
 * saved as an artifact and loaded as the pipeline loads {@code health.artifact}; C-MAPSS units
 * replayed as telemetry. Every cycle gives one health estimate, the last estimate of a unit equals
 * the model's batch assessment of the unit's whole history, and a run-to-failure unit raises a
 * health flag near its end.
 */
@Timeout(240)
class HealthPipelineTest {

  private static final Instant START = Instant.parse("2024-01-01T00:00:00Z");
  private static final long HOUR = 3_600_000;

  @TempDir Path dir;

  private static List<String> lines(Path file, int fromUnit, int toUnit) throws Exception {
    return Files.readAllLines(file).stream()
        .filter(l -> !l.isBlank())
        .filter(l -> {
          int unit = Integer.parseInt(l.trim().split("\\s+")[0]);
          return unit >= fromUnit && unit <= toUnit;
        })
        .toList();
  }

  @Test
  void everyCycleGivesAnEstimateAndAFailingUnitRaisesAHealthFlag() throws Exception {
    Path cmapss = Path.of(System.getProperty("sibyl.datasets", "../shared/datasets"), "cmapss");
    assumeTrue(Files.isRegularFile(cmapss.resolve("train_FD001.txt")), "C-MAPSS FD001 absent");

    // 1. Train and save a small model, then load it as the pipeline does
    Path trainFile = dir.resolve("train.txt");
    Files.write(trainFile, lines(cmapss.resolve("train_FD001.txt"), 1, 30));
    Prognostics.Trained trained =
        Prognostics.train("arphmm", Cmapss.readUnits(trainFile), Map.of("states", "4"), 2021, TrainingListener.NONE, line -> {});
    Path artifact = dir.resolve("arphmm");
    Prognostics.save(artifact, Prognostics.manifest(trained, "train.txt", Prognostics.fingerprint(trainFile)), trained.model());
    Prognostic model = Prognostics.load(artifact);

    // 2. Stream a run-to-failure unit the model has not seen (train unit 31) and two test units
    Path streamFile = dir.resolve("stream.txt");
    List<String> stream = new ArrayList<>(lines(cmapss.resolve("train_FD001.txt"), 31, 31));
    stream.addAll(lines(cmapss.resolve("test_FD001.txt"), 1, 2));
    Files.write(streamFile, stream);
    List<TelemetryPoint> points = CmapssReader.read(streamFile, "fd001", START, HOUR);
    Map<String, List<TelemetryPoint>> byUnit = points.stream().collect(Collectors.groupingBy(TelemetryPoint::getSource));

    Map<String, Object> settings = new HashMap<>();
    settings.put(PipelineConfig.TELEMETRY_TOPIC_CONFIG, "hp.telemetry");
    settings.put(PipelineConfig.FORECASTS_TOPIC_CONFIG, "hp.forecasts");
    settings.put(PipelineConfig.ANOMALIES_TOPIC_CONFIG, "hp.anomalies");
    settings.put(PipelineConfig.HEALTH_TOPIC_CONFIG, "hp.health");
    settings.put(PipelineConfig.DEAD_LETTER_TOPIC_CONFIG, "hp.dead-letters");
    settings.put(PipelineConfig.LOOKBACK_CONFIG, "32");
    settings.put(PipelineConfig.HORIZON_CONFIG, "8");
    settings.put(PipelineConfig.CADENCE_CONFIG, "8");
    settings.put(PipelineConfig.HEALTH_ARTIFACT_CONFIG, artifact.toString());
    settings.put(PipelineConfig.HEALTH_ALERT_STATES_CONFIG, "1");
    PipelineConfig config = new PipelineConfig(settings);

    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().optDataDir(dir.resolve("kafka")).build()) {
      broker.start();
      try (Admin admin = Admin.create(broker.clientProperties())) {
        ForecastPipeline.ensureTopics(admin, config, 2, (short) 1);
      }
      KafkaTestIo io = new KafkaTestIo(broker.clientProperties());
      io.send("hp.telemetry", points, List.of());
      Properties props = ForecastPipeline.streamsProperties(broker.clientProperties());
      props.put(StreamsConfig.APPLICATION_ID_CONFIG, "health-app");
      props.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
      try (ForecastPipeline pipeline =
          ForecastPipeline.start(config, ForecasterRegistry.create("seasonal-naive", Map.of()), model, props, Map.of())) {
        pipeline.awaitRunning(Duration.ofSeconds(60));
        List<HealthEstimate> estimates =
            io.readCommitted("hp.health", HealthEstimate.class, l -> l.size() >= points.size(), Duration.ofSeconds(120));
        List<AnomalyFlag> flags =
            io.readCommitted("hp.anomalies", AnomalyFlag.class, l -> l.stream().anyMatch(f -> f.getChannel().equals("health")), Duration.ofSeconds(30));

        // one estimate per cycle, nothing else
        assertThat(estimates).hasSize(points.size());
        Map<String, List<HealthEstimate>> estimatesByUnit =
            estimates.stream().collect(Collectors.groupingBy(HealthEstimate::getSource));
        assertThat(estimatesByUnit.keySet()).containsExactlyInAnyOrder("fd001-31", "fd001-1", "fd001-2");
        for (Map.Entry<String, List<TelemetryPoint>> unit : byUnit.entrySet()) {
          List<HealthEstimate> mine = estimatesByUnit.get(unit.getKey());
          assertThat(mine).hasSize(unit.getValue().size());
          // the streamed history equals the batch history: same last assessment
          double[][] history = new double[unit.getValue().size()][];
          for (int c = 0; c < history.length; c++) {
            Map<String, Double> values = unit.getValue().get(c).getValues();
            history[c] = model.inputColumns().stream().mapToDouble(values::get).toArray();
          }
          Prognostic.Prognosis batch = model.assess(history);
          HealthEstimate last = mine.get(mine.size() - 1);
          assertThat(last.getTimestamp()).isEqualTo(unit.getValue().get(history.length - 1).getTimestamp());
          assertThat(last.getRulMean()).isCloseTo(batch.rulMean(), within(1e-9));
          assertThat(last.getStateProbabilities()).hasSize(model.states());
          assertThat(last.getStateProbabilities().stream().mapToDouble(Double::doubleValue).sum()).isCloseTo(1.0, within(1e-9));
          assertThat(last.getModel()).isEqualTo("arphmm");
        }
        // the run-to-failure unit ends in the failure state and is flagged; the young test units are not
        assertThat(flags).filteredOn(f -> f.getChannel().equals("health"))
            .isNotEmpty()
            .allSatisfy(f -> assertThat(f.getSource()).isEqualTo("fd001-31"));
      }
    }
  }
}

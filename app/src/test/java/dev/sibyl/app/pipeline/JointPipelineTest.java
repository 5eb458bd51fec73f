package dev.sibyl.app.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sibyl.app.SibylMain;
import dev.sibyl.app.broker.EmbeddedKafkaBroker;
import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.ForecasterRegistry;
import dev.sibyl.models.api.JointForecaster;
import dev.sibyl.schemas.DeadLetter;
import dev.sibyl.schemas.Forecast;
import dev.sibyl.schemas.ForecastPoint;
import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.streams.PipelineConfig;
import dev.sibyl.streams.kafka.ForecastPipeline;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * S-Mamba end to end: {@code sibyl train} on a slice of ETTh1 records the channel names, and the
 * pipeline on a real broker forecasts the seven channels of a source together from that artifact.
 */
@Timeout(240)
class JointPipelineTest {

  private static final String[] CHANNELS = {"HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"};

  @TempDir Path dir;

  @Test
  void aTrainedSMambaServesEveryChannelOfASourceOnARealBroker() throws Exception {
    // 1. Train on the first 400 hours of ETTh1 (70/10/20 split), small and one epoch
    List<String> lines = Files.readAllLines(Path.of(System.getProperty("sibyl.datasets", "../shared/datasets"), "ett", "ETTh1.csv"));
    Path csv = dir.resolve("etth1-400.csv");
    Files.write(csv, lines.subList(0, 401));
    Path artifact = dir.resolve("s-mamba");
    StringWriter err = new StringWriter();
    int rc =
        SibylMain.execute(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), Map.of(),
            "train", "--model", "s-mamba", "--data", csv.toString(), "--protocol", "csv", "--lookback", "24",
            "--horizon", "6", "--epochs", "1", "--lr", "0.005", "--hp", "d.model=8", "--hp", "d.ff=8",
            "--hp", "d.state=2", "--hp", "layers=1", "--threads", "1", "--out", artifact.toString());
    assertThat(rc).as(err.toString()).isZero();
    assertThat(new ObjectMapper().readTree(artifact.resolve("manifest.json").toFile()).at("/hyperparameters/channel.names").asText())
        .isEqualTo(String.join(",", CHANNELS));

    // 2. Served as model.family=s-mamba, model.option.artifact=<dir> are
    Forecaster forecaster = ForecasterRegistry.create("s-mamba", Map.of("artifact", artifact.toString(), "calibration.size", "8"));
    assertThat(forecaster).isInstanceOf(JointForecaster.class);
    Map<String, String> settings = new HashMap<>();
    settings.put(PipelineConfig.TELEMETRY_TOPIC_CONFIG, "joint.telemetry");
    settings.put(PipelineConfig.FORECASTS_TOPIC_CONFIG, "joint.forecasts");
    settings.put(PipelineConfig.ANOMALIES_TOPIC_CONFIG, "joint.anomalies");
    settings.put(PipelineConfig.HEALTH_TOPIC_CONFIG, "joint.health");
    settings.put(PipelineConfig.DEAD_LETTER_TOPIC_CONFIG, "joint.dead-letters");
    settings.put(PipelineConfig.LOOKBACK_CONFIG, "40");
    settings.put(PipelineConfig.HORIZON_CONFIG, "6");
    settings.put(PipelineConfig.CADENCE_CONFIG, "3");
    PipelineConfig config = new PipelineConfig(settings);

    // 3. 40 hours of a transformer (rows 1000-1039), then one point without OT
    Instant first = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofDays(10));
    List<TelemetryPoint> points = new ArrayList<>();
    for (int i = 0; i <= 40; i++) {
      String[] cells = lines.get(1 + 1000 + i).split(",");
      Map<String, Double> values = new LinkedHashMap<>();
      for (int ch = 0; ch < CHANNELS.length; ch++) {
        values.put(CHANNELS[ch], Double.parseDouble(cells[ch + 1]));
      }
      if (i == 40) {
        values.remove("OT");
      }
      points.add(new TelemetryPoint("transformer-1", first.plus(Duration.ofHours(i)), values, Map.of()));
    }

    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().optDataDir(dir.resolve("kafka")).build()) {
      broker.start();
      try (Admin admin = Admin.create(broker.clientProperties())) {
        ForecastPipeline.ensureTopics(admin, config, 1, (short) 1);
      }
      KafkaTestIo io = new KafkaTestIo(broker.clientProperties());
      io.send("joint.telemetry", points, List.of());
      Properties props = ForecastPipeline.streamsProperties(broker.clientProperties());
      props.put(StreamsConfig.APPLICATION_ID_CONFIG, "joint-app");
      props.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
      try (ForecastPipeline pipeline = ForecastPipeline.start(config, forecaster, props, Map.of())) {
        pipeline.awaitRunning(Duration.ofSeconds(60));
        // due at 25 points (L + 1), then every 3: 6 forecasts of 7 channels
        List<Forecast> forecasts = io.readCommitted("joint.forecasts", Forecast.class, l -> l.size() >= 42, Duration.ofSeconds(90));
        List<DeadLetter> dead = io.readCommitted("joint.dead-letters", DeadLetter.class, l -> !l.isEmpty(), Duration.ofSeconds(30));

        assertThat(forecasts).hasSize(42);
        assertThat(forecasts.subList(0, 7)).extracting(Forecast::getChannel).containsExactly(CHANNELS);
        assertThat(forecasts).allSatisfy(f -> {
          assertThat(f.getModel()).isEqualTo("s-mamba");
          assertThat(f.getPoints()).hasSize(6);
          for (ForecastPoint p : f.getPoints()) {
            assertThat(p.getLower()).isLessThan(p.getMean());
            assertThat(p.getUpper()).isGreaterThan(p.getMean());
          }
        });
        assertThat(forecasts.get(41).getIssuedAt()).isEqualTo(first.plus(Duration.ofHours(39)));
        assertThat(dead).hasSize(1);
        assertThat(dead.get(0).getStage()).isEqualTo("forecast");
        assertThat(dead.get(0).getError()).startsWith("missing channels [OT] of s-mamba");
      }
    }
  }
}

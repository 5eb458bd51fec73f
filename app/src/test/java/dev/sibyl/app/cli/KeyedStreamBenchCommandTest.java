package dev.sibyl.app.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sibyl.app.SibylMain;
import dev.sibyl.models.artifact.Artifacts;
import dev.sibyl.models.artifact.Manifest;
import dev.sibyl.models.autotimes.AutoTimes;
import dev.sibyl.models.autotimes.AutoTimesConfig;
import dev.sibyl.models.autotimes.AutoTimesFamily;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sibyl bench keyed-stream} with an untrained AutoTimes artifact on the real stories260K
 * backbone (segments of 8, context 32) over ETTh1, at a small scale.
 */
class KeyedStreamBenchCommandTest {

  @TempDir Path dir;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return SibylMain.execute(new PrintWriter(out, true), new PrintWriter(err, true), Map.of(), args);
  }

  @Test
  void comparesBothPathsOnTheSameRowsAndRefusesBadOptions() throws Exception {
    Path datasets = Path.of(System.getProperty("sibyl.datasets", "../shared/datasets"));
    Path backbone = datasets.resolve("tinylm").resolve("stories260K.bin");
    Path ett = datasets.resolve("ett").resolve("ETTh1.csv");
    assumeTrue(Files.isRegularFile(backbone) && Files.isRegularFile(ett), "datasets absent");
    AutoTimes model =
        new AutoTimesFamily()
            .create(Map.of(AutoTimesConfig.BACKBONE, backbone.toString(), AutoTimesConfig.SEGMENT_LENGTH, "8", AutoTimesConfig.MLP_HIDDEN, "16"), 32, 8, 3);
    Path artifact = dir.resolve("autotimes");
    Artifacts.save(
        artifact,
        new Manifest(Artifacts.FORMAT_VERSION, model.family(), model.version(), model.hyperparameters(), 32, 8, "ab", Map.of(), 0, "x", Artifacts.now()),
        model);

    assertThat(run("bench", "keyed-stream", "--artifact", artifact.toString(), "--data", ett.toString(), "--channels", "2",
        "--start", "100", "--points", "40", "--horizon", "8", "--cadence", "4", "--calibration", "4")).isEqualTo(0);
    List<String> lines = out.toString().strip().lines().toList();
    JsonNode json = new ObjectMapper().readTree(lines.get(lines.size() - 1));
    assertThat(json.get("bench").asText()).isEqualTo("keyed-stream");
    assertThat(json.get("model").asText()).isEqualTo("autotimes");
    // the window (32 + 4 + 8 = 44 rows before --start) then 40 rows; forecasts from 33 rows on, every 4
    assertThat(json.get("forecasts").asInt()).isEqualTo(2 * ((84 - 33) / 4 + 1));
    assertThat(json.get("checks").asInt()).isEqualTo(2 * 40);
    assertThat(json.get("ratio").asDouble()).isPositive();
    assertThat(json.get("keyed_coverage").asDouble()).isBetween(0.0, 1.0);
    assertThat(json.get("stateless_coverage").asDouble()).isBetween(0.0, 1.0);
    assertThat(json.get("keyed_mae").asDouble()).isPositive();

    err.getBuffer().setLength(0);
    assertThat(run("bench", "keyed-stream", "--artifact", artifact.toString(), "--cadence", "9", "--horizon", "8")).isEqualTo(2);
    assertThat(err.toString().strip().lines()).hasSize(1);
    assertThat(err.toString()).contains("1 <= --cadence <= --horizon");
  }
}

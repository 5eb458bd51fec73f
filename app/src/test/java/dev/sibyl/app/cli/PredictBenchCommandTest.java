package dev.sibyl.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sibyl.app.SibylMain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PredictBenchCommandTest {

  @TempDir Path dir;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return SibylMain.execute(new PrintWriter(out, true), new PrintWriter(err, true), Map.of(), args);
  }

  @Test
  void timesAnArtifactAtEachBatchSizeAndRefusesBadBatches() throws Exception {
    StringBuilder s = new StringBuilder("date,a,b\n");
    for (int t = 0; t < 600; t++) {
      s.append("t").append(t).append(',').append(Math.sin(2 * Math.PI * t / 24)).append(',')
          .append(Math.cos(2 * Math.PI * t / 12)).append('\n');
    }
    Path csv = dir.resolve("tiny.csv");
    Files.writeString(csv, s);
    Path art = dir.resolve("ar");
    assertThat(run("train", "--model", "ar", "--data", csv.toString(), "--lookback", "48",
        "--horizon", "12", "--hp", "orders=1,24", "--out", art.toString())).isEqualTo(0);

    out.getBuffer().setLength(0);
    assertThat(run("bench", "predict", "--artifact", art.toString(), "--data", csv.toString(),
        "--batches", "1,8", "--repeats", "3")).isEqualTo(0);
    JsonNode r = new ObjectMapper().readTree(out.toString().strip().lines().reduce((a, b) -> b).orElseThrow());
    assertThat(r.get("family").asText()).isEqualTo("ar");
    assertThat(r.get("channels").asInt()).isEqualTo(2);
    JsonNode ms = r.get("infer_ms_per_window");
    assertThat(ms.size()).isEqualTo(2);
    assertThat(ms.get("1").asDouble()).isPositive();
    assertThat(ms.get("8").asDouble()).isPositive();
    assertThat(err.toString()).contains("batch 8:").contains("median of 3");

    // csv protocol: 120 test rows, 109 windows at H = 12
    err.getBuffer().setLength(0);
    assertThat(run("bench", "predict", "--artifact", art.toString(), "--data", csv.toString(),
        "--batches", "200")).isEqualTo(2);
    assertThat(err.toString()).contains("--batches 200 exceeds the 109 test windows");
    assertThat(run("bench", "predict", "--artifact", art.toString(), "--data", csv.toString(),
        "--batches", "0")).isEqualTo(2);
    assertThat(err.toString()).contains("--batches values must be >= 1, got 0");
  }
}

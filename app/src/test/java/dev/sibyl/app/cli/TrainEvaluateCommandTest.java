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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainEvaluateCommandTest {

  @TempDir Path dir;
  private Path csv;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @BeforeEach
  void writeCsv() throws Exception {
    StringBuilder s = new StringBuilder("date,a,b\n");
    for (int t = 0; t < 600; t++) {
      s.append("t").append(t).append(',')
          .append(Math.sin(2 * Math.PI * t / 24)).append(',')
          .append(Math.cos(2 * Math.PI * t / 12) + 0.01 * t).append('\n');
    }
    csv = dir.resolve("tiny.csv");
    Files.writeString(csv, s);
  }

  private int run(String... args) {
    return SibylMain.execute(new PrintWriter(out, true), new PrintWriter(err, true), Map.of(), args);
  }

  @Test
  void badOptionsAreOneLineUsageErrors() {
    assertThat(run("train", "--model", "arima", "--data", csv.toString(), "--lookback", "48",
        "--horizon", "12", "--out", dir.resolve("a").toString())).isEqualTo(2);
    assertThat(err.toString()).contains("--model: unknown family 'arima'; trainable families: [ar, autotimes, dlinear, s-mamba, smetimes, time-llm]");
    assertThat(err.toString().strip().lines()).hasSize(1);

    assertThat(run("train", "--model", "ar", "--data", csv.toString(), "--lookback", "0",
        "--horizon", "12", "--out", dir.resolve("a").toString())).isEqualTo(2);
    assertThat(run("evaluate", "--data", csv.toString(), "--horizons", "12",
        "--report", dir.resolve("r.json").toString())).isEqualTo(2);
    assertThat(err.toString()).contains("give either --artifact (one or more) or --model seasonal-naive");
    // --backbone: required by the LLM-backed family, refused by the others
    assertThat(run("train", "--model", "time-llm", "--data", csv.toString(), "--lookback", "48",
        "--horizon", "12", "--out", dir.resolve("a").toString())).isEqualTo(2);
    assertThat(err.toString()).contains("--backbone is required for time-llm");
    assertThat(run("train", "--model", "ar", "--data", csv.toString(), "--lookback", "48",
        "--horizon", "12", "--backbone", csv.toString(), "--out", dir.resolve("a").toString())).isEqualTo(2);
    assertThat(err.toString()).contains("--backbone applies to LLM-backed families only; ar has no backbone");
  }

  @Test
  void trainsAndEvaluatesAnArtifact() throws Exception {
    Path art = dir.resolve("ar");
    assertThat(run("train", "--model", "ar", "--data", csv.toString(), "--lookback", "48",
        "--horizon", "12", "--hp", "orders=1,12,24", "--out", art.toString())).isEqualTo(0);
    assertThat(art.resolve("manifest.json")).exists();

    Path report = dir.resolve("r.json");
    assertThat(run("evaluate", "--artifact", art.toString(), "--data", csv.toString(),
        "--horizons", "12,24", "--report", report.toString())).isEqualTo(0);

    JsonNode r = new ObjectMapper().readTree(report.toFile());
    assertThat(r.get("family").asText()).isEqualTo("ar");
    assertThat(r.get("protocol").asText()).isEqualTo("csv");
    assertThat(r.get("lookback").asInt()).isEqualTo(48);
    assertThat(r.get("results")).hasSize(2);
    // csv protocol: 600 rows, test = 120 rows, windows = 120 - 12 + 1
    assertThat(r.get("results").get(0).get("windows").asInt()).isEqualTo(109);
    assertThat(r.get("params_trainable").asLong()).isPositive();
  }

  @Test
  void aDirectModelRefusesOtherHorizons() {
    Path art = dir.resolve("dl");
    assertThat(run("train", "--model", "dlinear", "--data", csv.toString(), "--lookback", "48",
        "--horizon", "12", "--epochs", "1", "--out", art.toString())).isEqualTo(0);

    assertThat(run("evaluate", "--artifact", art.toString(), "--data", csv.toString(),
        "--horizons", "24", "--report", dir.resolve("r.json").toString())).isEqualTo(2);
    assertThat(err.toString())
        .contains("--horizons 24: no artifact serves it; dlinear was trained for horizon(s) 12 and does not roll forward");
  }
}

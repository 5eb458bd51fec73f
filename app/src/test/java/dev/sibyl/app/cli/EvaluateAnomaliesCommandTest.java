package dev.sibyl.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sibyl.app.SibylMain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvaluateAnomaliesCommandTest {

  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
  private static final LocalDateTime T0 = LocalDateTime.of(2014, 4, 1, 0, 0);

  @TempDir Path dir;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  /** One NAB-layout file of 1200 five-minute rows with a level shift at row 900 inside its window. */
  @BeforeEach
  void writeCorpus() throws Exception {
    Random rnd = new Random(7);
    StringBuilder s = new StringBuilder("timestamp,value\n");
    for (int i = 0; i < 1200; i++) {
      double v = 10 + rnd.nextGaussian() + (i >= 900 ? 8 : 0);
      s.append(STAMP.format(T0.plusMinutes(5L * i))).append(',').append(v).append('\n');
    }
    Files.createDirectories(dir.resolve("data/cat"));
    Files.writeString(dir.resolve("data/cat/shift.csv"), s);
    Files.writeString(dir.resolve("windows.json"),
        "{\"cat/shift.csv\": [[\"" + STAMP.format(T0.plusMinutes(5L * 860)) + ".000000\", \""
            + STAMP.format(T0.plusMinutes(5L * 980)) + ".000000\"]]}");
  }

  private int run(String... args) {
    return SibylMain.execute(new PrintWriter(out, true), new PrintWriter(err, true), Map.of(), args);
  }

  @Test
  void onsetDetectorFindsTheShiftEarlyInItsWindow() throws Exception {
    Path report = dir.resolve("r.json");
    assertThat(run("evaluate-anomalies", "--data", dir.resolve("data").toString(), "--windows",
        dir.resolve("windows.json").toString(), "--report", report.toString(), "--detector", "onset"))
        .isEqualTo(0);
    JsonNode r = new ObjectMapper().readTree(report.toFile());
    assertThat(r.get("detector").asText()).isEqualTo("onset");
    assertThat(r.get("per_file").get(0).get("season_length").asInt()).isEqualTo(288);
    // detected at row 900 of a 121-row window starting at 860: a sigmoid reward near 0.9, no false
    // positive, so the normalised score is about (0.9 + 1) / 2
    assertThat(r.get("profiles").get("standard").get("recall").asDouble()).isEqualTo(1.0);
    assertThat(r.get("standard").asDouble()).isGreaterThan(90.0);
  }

  @Test
  void unknownDetectorIsAOneLineUsageError() {
    assertThat(run("evaluate-anomalies", "--data", dir.resolve("data").toString(), "--windows",
        dir.resolve("windows.json").toString(), "--report", dir.resolve("r.json").toString(),
        "--detector", "htm")).isEqualTo(2);
    assertThat(err.toString()).contains("--detector must be forecast, zscore or onset, got 'htm'");
    assertThat(err.toString().strip().lines()).hasSize(1);
  }
}

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
import dev.sibyl.models.backbone.PinnedBackbone;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sibyl evaluate} with in-context prompts and calendar times, on an untrained AutoTimes of
 * the real stories260K backbone at a small scale (segments of 8, context 32).
 */
class InContextOptionsTest {

  private static final int S = 8;
  private static final int L = 32;

  @TempDir Path dir;
  private Path csv;
  private Path related;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @BeforeEach
  void writeData() throws Exception {
    csv = dir.resolve("tiny.csv");
    related = dir.resolve("related.csv");
    Files.writeString(csv, table(0));
    Files.writeString(related, table(1.3));
  }

  /** 300 hourly rows from 2016-07-01, two channels a and b. */
  private static String table(double phase) {
    StringBuilder s = new StringBuilder("date,a,b\n");
    LocalDateTime t = LocalDateTime.parse("2016-07-01T00:00:00");
    for (int i = 0; i < 300; i++) {
      s.append(t.plusHours(i).toString().replace('T', ' ')).append(":00,")
          .append(Math.sin(2 * Math.PI * i / 24 + phase)).append(',')
          .append(Math.cos(2 * Math.PI * i / 12 + phase) + 0.01 * i).append('\n');
    }
    return s.toString();
  }

  private Path artifact(String timestamps) throws Exception {
    Path backbone = Path.of(System.getProperty("sibyl.datasets", "../shared/datasets"), "tinylm", "stories260K.bin");
    assumeTrue(Files.isRegularFile(backbone), "tinylm absent");
    Map<String, String> hp = new HashMap<>();
    hp.put(AutoTimesConfig.BACKBONE, backbone.toString());
    hp.put(AutoTimesConfig.BACKBONE_SHA256, PinnedBackbone.sha256(backbone));
    hp.put(AutoTimesConfig.SEGMENT_LENGTH, "" + S);
    hp.put(AutoTimesConfig.MLP_HIDDEN, "16");
    hp.put(AutoTimesConfig.TIMESTAMPS, timestamps);
    AutoTimes model = new AutoTimesFamily().create(hp, L, S, 3);
    Path a = dir.resolve("autotimes-" + timestamps);
    Artifacts.save(a, new Manifest(Artifacts.FORMAT_VERSION, model.family(), model.version(), model.hyperparameters(),
        L, S, "ab", Map.of("mse", 1.0, "mae", 1.0), 0.0, "tiny.csv", Artifacts.now()), model);
    return a;
  }

  private int run(String... args) {
    return SibylMain.execute(new PrintWriter(out, true), new PrintWriter(err, true), Map.of(), args);
  }

  /** Runs evaluate with extra options; expects a one-line usage error containing the message. */
  private void refused(Path artifact, String message, String... extra) {
    refused(csv, artifact, message, extra);
  }

  private void refused(Path data, Path artifact, String message, String... extra) {
    err.getBuffer().setLength(0);
    List<String> args = new ArrayList<>(List.of("evaluate", "--data", data.toString(), "--horizons", "8",
        "--report", dir.resolve("r.json").toString()));
    if (artifact == null) {
      args.addAll(List.of("--model", "seasonal-naive", "--lookback", "48"));
    } else {
      args.addAll(List.of("--artifact", artifact.toString()));
    }
    args.addAll(List.of(extra));
    assertThat(run(args.toArray(new String[0]))).as(String.join(" ", extra)).isEqualTo(2);
    assertThat(err.toString()).contains(message);
    assertThat(err.toString().strip().lines()).as(err.toString()).hasSize(1);
  }

  @Test
  void badPromptOptionsAreOneLineErrors() throws Exception {
    Path a = artifact("relative");
    String r = related.toString();
    refused(a, "--prompt-column, --prompt-segments, --prompt-start, --prompt-lag and --prompt-placement need --prompt-data",
        "--prompt-segments", "2");
    refused(null, "--prompt-data: in-context forecasting needs an autotimes artifact", "--prompt-data", r, "--prompt-lag", "0");
    refused(a, "--prompt-data: no such file: ", "--prompt-data", dir.resolve("none.csv").toString(), "--prompt-lag", "0");
    refused(a, "--prompt-data needs exactly one of --prompt-start (fixed rows) and --prompt-lag (rows at each window's time)",
        "--prompt-data", r);
    refused(a, "--prompt-data needs exactly one of", "--prompt-data", r, "--prompt-lag", "0", "--prompt-start", "0");
    refused(a, "--prompt-segments must be >= 1, got 0", "--prompt-data", r, "--prompt-lag", "0", "--prompt-segments", "0");
    refused(a, "--prompt-placement must be extend or fixed, got 'middle'", "--prompt-data", r, "--prompt-lag", "0",
        "--prompt-placement", "middle");
    refused(a, "--prompt-segments: a fixed placement keeps 4 tokens, so the prompt must have fewer than 4 segments, got 4",
        "--prompt-data", r, "--prompt-lag", "0", "--prompt-segments", "4", "--prompt-placement", "fixed");
    refused(a, "--prompt-lag must be >= 0 (the prompt ends before the forecast origin), got -1",
        "--prompt-data", r, "--prompt-lag", "-1");
    // csv protocol on 300 rows: the test period starts at row 240
    refused(a, "--prompt-start: rows [230, 246) must end before the test period starts at row 240 (no future data)",
        "--prompt-data", r, "--prompt-start", "230");
    refused(a, "--prompt-start: rows [290, 306) do not fit related.csv's 300 rows", "--prompt-data", r, "--prompt-start", "290");
    refused(a, "--prompt-lag 230: the first test window's prompt would start at row -6, before the file's first row",
        "--prompt-data", r, "--prompt-lag", "230");
    refused(a, "--prompt-column: related.csv has no column 'c'; it has [a, b]", "--prompt-data", r, "--prompt-lag", "0",
        "--prompt-column", "c");
  }

  @Test
  void evaluatesWithAPromptAndWithCalendarTimes() throws Exception {
    Path a = artifact("relative");
    Path plain = dir.resolve("plain.json");
    Path prompted = dir.resolve("prompted.json");
    assertThat(run("evaluate", "--artifact", a.toString(), "--data", csv.toString(), "--horizons", "8",
        "--report", plain.toString())).isEqualTo(0);
    assertThat(run("evaluate", "--artifact", a.toString(), "--data", csv.toString(), "--horizons", "8",
        "--prompt-data", related.toString(), "--prompt-lag", "0", "--prompt-segments", "2", "--report", prompted.toString()))
        .as(err.toString()).isEqualTo(0);
    ObjectMapper json = new ObjectMapper();
    JsonNode p = json.readTree(prompted.toFile());
    assertThat(p.get("prompt").get("data").asText()).isEqualTo("related.csv");
    assertThat(p.get("prompt").get("segments").asInt()).isEqualTo(2);
    assertThat(p.get("prompt").get("lag").asInt()).isEqualTo(0);
    assertThat(p.get("prompt").get("placement").asText()).isEqualTo("extend");
    JsonNode q = json.readTree(plain.toFile());
    assertThat(q.has("prompt")).isFalse();
    assertThat(p.get("results").get(0).get("windows").asInt()).isEqualTo(q.get("results").get(0).get("windows").asInt());
    assertThat(p.get("results").get(0).get("mse").asDouble()).isNotEqualTo(q.get("results").get(0).get("mse").asDouble());
    // a calendar artifact reads the date column, for the windows and for a fixed prompt from the same file
    Path c = artifact("calendar");
    assertThat(run("evaluate", "--artifact", c.toString(), "--data", csv.toString(), "--horizons", "8",
        "--prompt-data", csv.toString(), "--prompt-start", "0", "--prompt-placement", "fixed", "--report",
        dir.resolve("c.json").toString())).as(err.toString()).isEqualTo(0);
    assertThat(json.readTree(dir.resolve("c.json").toFile()).get("results").get(0).get("mse").asDouble()).isFinite();
    assertThat(run("evaluate", "--artifact", c.toString(), "--data", csv.toString(), "--horizons", "12", "--report",
        dir.resolve("c2.json").toString())).as(err.toString()).isEqualTo(0);
    Path undated = dir.resolve("undated.csv");
    Files.writeString(undated, Files.readString(csv).replaceAll("(?m)^[^,]*,", ""));
    refused(undated, c, "--data: the artifact writes calendar timestamps and undated.csv has no date column");
  }
}

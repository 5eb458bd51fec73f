package dev.sibyl.app.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sibyl.app.SibylMain;
import dev.sibyl.models.api.Prognostic;
import dev.sibyl.models.rul.Prognostics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train / evaluate of the prognostic families on a reduced FD001 (30 training, 12 test units). */
class PrognosticCommandTest {

  @TempDir Path dir;
  private Path train;
  private Path test;
  private Path rul;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @BeforeEach
  void reduceFd001() throws Exception {
    Path cmapss = Path.of(System.getProperty("sibyl.datasets", "../shared/datasets"), "cmapss");
    assumeTrue(Files.isRegularFile(cmapss.resolve("train_FD001.txt")), "C-MAPSS FD001 absent");
    train = dir.resolve("train_FD001.txt");
    test = dir.resolve("test_FD001.txt");
    rul = dir.resolve("RUL_FD001.txt");
    Files.write(train, firstUnits(cmapss.resolve("train_FD001.txt"), 30));
    Files.write(test, firstUnits(cmapss.resolve("test_FD001.txt"), 12));
    Files.write(rul, Files.readAllLines(cmapss.resolve("RUL_FD001.txt")).subList(0, 12));
  }

  private static List<String> firstUnits(Path file, int units) throws Exception {
    return Files.readAllLines(file).stream()
        .filter(l -> !l.isBlank() && Integer.parseInt(l.trim().split("\\s+")[0]) <= units)
        .toList();
  }

  private int run(String... args) {
    return SibylMain.execute(new PrintWriter(out, true), new PrintWriter(err, true), Map.of(), args);
  }

  private JsonNode evaluate(Path artifact) throws Exception {
    Path report = dir.resolve(artifact.getFileName() + ".json");
    assertThat(run("evaluate", "--artifact", artifact.toString(), "--data", test.toString(),
        "--rul", rul.toString(), "--report", report.toString())).as(err.toString()).isEqualTo(0);
    JsonNode r = new ObjectMapper().readTree(report.toFile());
    assertThat(r.get("units").asInt()).isEqualTo(12);
    assertThat(r.get("predictions")).hasSize(12);
    double[] truth = Files.readAllLines(rul).stream().mapToDouble(Double::parseDouble).toArray();
    double s = 0;
    double score = 0;
    for (int i = 0; i < 12; i++) {
      JsonNode p = r.get("predictions").get(i);
      assertThat(p.get("unit").asInt()).isEqualTo(i + 1);
      assertThat(p.get("truth").asDouble()).isEqualTo(truth[i]);
      double pred = p.get("predicted").asDouble();
      assertThat(pred).isBetween(0.0, 125.0);
      assertThat(p.get("lower").asDouble()).isLessThanOrEqualTo(pred);
      assertThat(p.get("upper").asDouble()).isGreaterThanOrEqualTo(pred);
      double d = pred - truth[i];
      s += d * d;
      score += d < 0 ? Math.exp(-d / 13) - 1 : Math.exp(d / 10) - 1;
    }
    // the report's figures are those of its own predictions
    assertThat(r.get("rmse").asDouble()).isCloseTo(Math.sqrt(s / 12), org.assertj.core.api.Assertions.within(1e-9));
    assertThat(r.get("phm08_score").asDouble()).isCloseTo(score, org.assertj.core.api.Assertions.within(1e-6));
    assertThat(r.get("interval_coverage").asDouble()).isBetween(0.0, 1.0);
    return r;
  }

  @Test
  void trainsAndEvaluatesTheArphmm() throws Exception {
    Path art = dir.resolve("arphmm");
    assertThat(run("train", "--model", "arphmm", "--data", train.toString(), "--hp", "states=4,6",
        "--out", art.toString())).as(err.toString()).isEqualTo(0);
    assertThat(err.toString()).contains("arphmm K=4: held-out RMSE chain");
    assertThat(out.toString()).contains("trained arphmm");
    Prognostic loaded = Prognostics.load(art);
    assertThat(loaded.inputColumns()).contains("s2", "s21");

    JsonNode r = evaluate(art);
    assertThat(r.get("family").asText()).isEqualTo("arphmm");
    // 12 units of a 30-unit model: far better than always answering 0 or 125 cycles
    assertThat(r.get("rmse").asDouble()).isLessThan(40);
    assertThat(r.get("states").asInt()).isIn(4, 6);
  }

  @Test
  void trainsAndEvaluatesTheCnnControl() throws Exception {
    Path art = dir.resolve("cnn");
    assertThat(run("train", "--model", "cnn-rul", "--data", train.toString(), "--hp", "epochs=3",
        "--hp", "filters=4", "--hp", "hidden=8", "--hp", "lr=0.005", "--hp", "dropout=0", "--hp", "members=1", "--out", art.toString()))
        .as(err.toString()).isEqualTo(0);
    assertThat(err.toString()).contains("epoch 1/3");
    JsonNode manifest = new ObjectMapper().readTree(art.resolve("manifest.json").toFile());
    assertThat(manifest.get("kind").asText()).isEqualTo("prognostic");
    assertThat(manifest.get("inputColumns")).hasSize(14);

    JsonNode r = evaluate(art);
    assertThat(r.get("family").asText()).isEqualTo("cnn-rul");
    assertThat(r.get("rmse").asDouble()).isLessThan(60);
    assertThat(r.get("states").asInt()).isEqualTo(2);
  }

  @Test
  void badOptionsAreOneLineUsageErrors() throws Exception {
    Path csv = dir.resolve("tiny.csv");
    Files.writeString(csv, "date,a\nt0,1\nt1,2\n");
    assertThat(run("train", "--model", "dlinear", "--data", csv.toString(), "--out",
        dir.resolve("x").toString())).isEqualTo(2);
    assertThat(err.toString()).contains("--lookback and --horizon are required for forecaster families (dlinear)");
    assertThat(err.toString().strip().lines()).hasSize(1);

    assertThat(run("train", "--model", "cnn-rul", "--data", train.toString(), "--epochs", "3",
        "--out", dir.resolve("x").toString())).isEqualTo(2);
    assertThat(err.toString()).contains("--epochs applies to forecaster families only; cnn-rul takes --hp KEY=VALUE");

    assertThat(run("train", "--model", "arphmm", "--data", csv.toString(), "--out",
        dir.resolve("x").toString())).isEqualTo(2);
    assertThat(err.toString()).contains("--data: arphmm trains on a C-MAPSS file");

    assertThat(run("evaluate", "--artifact", dir.resolve("none").toString(), "--data",
        test.toString(), "--rul", rul.toString(), "--report", dir.resolve("r.json").toString()))
        .isEqualTo(2);
    assertThat(err.toString()).contains("no manifest");

    assertThat(run("evaluate", "--artifact", dir.resolve("none").toString(), "--data",
        test.toString(), "--report", dir.resolve("r.json").toString())).isEqualTo(2);
    assertThat(err.toString()).contains("--horizons is required for forecasters (a prognostic artifact takes --rul instead)");
  }
}

package dev.sibyl.models.rul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.sibyl.models.api.Prognostic;
import dev.sibyl.models.api.TrainingListener;
import dev.sibyl.models.arphmm.Cmapss;
import dev.sibyl.models.artifact.ArtifactException;
import dev.sibyl.models.artifact.Artifacts;
import dev.sibyl.models.artifact.Manifest;
import dev.sibyl.models.runtime.DeviceConfig;
import dev.sibyl.models.runtime.ModelRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CnnRulTest {

  private static final CnnRul.Config SMALL = new CnnRul.Config(10, 4, 3, 8, 125);
  private static List<Cmapss.Unit> units;
  private static CnnRulTrainer.Result trained;

  /**
   * Synthetic run-to-failure units: sensors 1 and 3 drift with the used-up share of the last 125
   * cycles (one up, one down), sensor 2 is noise only, the rest constant.
   */
  static List<Cmapss.Unit> synthetic(int count, long seed) {
    Random r = new Random(seed);
    List<Cmapss.Unit> out = new ArrayList<>();
    for (int id = 1; id <= count; id++) {
      int cycles = 90 + r.nextInt(80);
      double[][] s = new double[cycles][Cmapss.SENSORS];
      for (int t = 0; t < cycles; t++) {
        double used = 1 - Math.min(cycles - 1 - t, 125.0) / 125.0;
        s[t][0] = 10 + 3 * used * used + 0.1 * r.nextGaussian();
        s[t][1] = 5 + 0.5 * r.nextGaussian();
        s[t][2] = 20 - 2 * used + 0.1 * r.nextGaussian();
        for (int j = 3; j < Cmapss.SENSORS; j++) {
          s[t][j] = j;
        }
      }
      out.add(new Cmapss.Unit(id, s));
    }
    return out;
  }

  @BeforeAll
  static void train() {
    // one intra-op thread: on a busy 2-core machine more threads made this training 10x slower
    ModelRuntime.start(new DeviceConfig(DeviceConfig.DEVICE_DEFAULT, 1, 1));
    units = synthetic(10, 3);
    trained = CnnRulTrainer.train(units,
        new CnnRulTrainer.Options(SMALL, 8, 64, 0.01, 6, 0.0, 1, 5), new TrainingListener() {},
        line -> {});
  }

  @Test
  void learnsTheDegradationFromTheInformativeSensors() {
    CnnRul m = trained.model();
    assertThat(m.inputColumns()).containsExactly("s1", "s3");
    // predicting the mean capped RUL of the windows scores about 40 cycles here
    assertThat(trained.validationRmse()).isLessThan(20);
    assertThat(m.residualLower()).isLessThanOrEqualTo(m.residualUpper());
    // a unit at failure reads near 0; one far from failure near the cap
    Cmapss.Unit u = units.get(4);
    double[][] rows = Cmapss.columns(u, m.inputColumns());
    assertThat(m.predict(rows)).isLessThan(30);
    assertThat(m.predict(java.util.Arrays.copyOf(rows, 20))).isGreaterThan(50);
  }

  @Test
  void theHeapForwardMatchesTheDjlValidationRmse() {
    // the member's validation RMSE comes from the DJL forward; recompute it on the heap
    CnnRul m = trained.model();
    assertThat(m.members()).hasSize(1);
    double s = 0;
    int n = 0;
    for (int i = 4; i < units.size(); i += 5) {
      double[][] rows = Cmapss.columns(units.get(i), m.inputColumns());
      for (int end = SMALL.window(); end <= rows.length; end++) {
        double truth = Math.min(rows.length - end, 125.0);
        double d = m.predict(java.util.Arrays.copyOf(rows, end)) - truth;
        s += d * d;
        n++;
      }
    }
    assertThat(n).isEqualTo(trained.validationWindows());
    assertThat(Math.sqrt(s / n)).isCloseTo(trained.memberValidationRmse()[0], within(1e-3));
    assertThat(trained.validationRmse()).isCloseTo(trained.memberValidationRmse()[0], within(1e-3));
  }

  @Test
  void anEnsembleAveragesItsMembersRawOutputs() {
    CnnRul one = trained.model();
    CnnRul other = CnnRulTrainer.initial(SMALL, one.inputColumns(), one.min(), one.max(), 99);
    CnnRul.Weights a = one.members().get(0);
    CnnRul.Weights b = other.members().get(0);
    CnnRul both = new CnnRul(SMALL, "1", one.inputColumns(), one.min(), one.max(), List.of(a, b),
        0, 0, 0.8);
    for (Cmapss.Unit u : units) {
      float[][] x = one.window(Cmapss.columns(u, one.inputColumns()));
      double mean = 125 * (one.forward(a, x) + one.forward(b, x)) / 2;
      assertThat(both.forward(x)).isCloseTo(Math.min(125, Math.max(0, mean)), within(1e-9));
    }
  }

  @Test
  void assessGivesAnIntervalAroundTheMeanAndTwoStates() {
    CnnRul m = trained.model();
    Prognostic.Prognosis p = m.assess(Cmapss.columns(units.get(2), m.inputColumns()));
    assertThat(p.rulLower()).isLessThanOrEqualTo(p.rulMean()).isGreaterThanOrEqualTo(0);
    assertThat(p.rulUpper()).isGreaterThanOrEqualTo(p.rulMean());
    assertThat(p.stateProbabilities()).hasSize(2);
    assertThat(p.stateProbabilities()[0] + p.stateProbabilities()[1]).isCloseTo(1, within(1e-12));
    assertThat(p.coverage()).isCloseTo(0.8, within(1e-12));
    // a history shorter than the window is front-padded with its first row
    double[][] three = Cmapss.columns(units.get(2), m.inputColumns());
    double[][] padded = new double[SMALL.window()][];
    for (int t = 0; t < padded.length; t++) {
      padded[t] = three[Math.max(0, t - (SMALL.window() - 3))];
    }
    assertThat(m.predict(java.util.Arrays.copyOf(three, 3))).isEqualTo(m.predict(padded));
    assertThatThrownBy(() -> m.assess(new double[][] {{1, 2, 3}}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must have 2 values [s1, s3], got 3");
    assertThatThrownBy(() -> m.assess(new double[0][]))
        .hasMessageContaining("at least one row");
  }

  @Test
  void savesAndLoadsTheSameModel(@TempDir Path dir) throws Exception {
    CnnRul m = trained.model();
    Prognostics.Trained t = new Prognostics.Trained(m, Map.of("filters", "4"),
        Map.of("rmse", trained.validationRmse()), trained.seconds());
    Manifest manifest = Prognostics.manifest(t, "synthetic", "abc");
    Prognostics.save(dir, manifest, m);

    Prognostics.Loaded loaded = Prognostics.loadArtifact(dir);
    assertThat(loaded.manifest()).isEqualTo(Artifacts.readManifest(dir));
    assertThat(loaded.manifest().kind()).isEqualTo(Manifest.KIND_PROGNOSTIC);
    assertThat(loaded.manifest().inputColumns()).containsExactly("s1", "s3");
    assertThat(loaded.manifest().lookback()).isEqualTo(SMALL.window());
    CnnRul back = (CnnRul) loaded.model();
    assertThat(back.config()).isEqualTo(m.config());
    assertThat(back.min()).isEqualTo(m.min());
    assertThat(back.max()).isEqualTo(m.max());
    assertThat(back.residualLower()).isEqualTo(m.residualLower());
    assertThat(back.members().get(0).denseWeight()).isEqualTo(m.members().get(0).denseWeight());
    assertThat(back.members().get(0).convWeights()[2])
        .isEqualTo(m.members().get(0).convWeights()[2]);
    for (Cmapss.Unit u : units) {
      double[][] rows = Cmapss.columns(u, m.inputColumns());
      assertThat(back.assess(rows)).usingRecursiveComparison().isEqualTo(m.assess(rows));
    }
    // a forecaster loader refuses it, naming the right loader
    assertThatThrownBy(() -> Artifacts.load(dir))
        .isInstanceOf(ArtifactException.class)
        .hasMessageContaining("holds a prognostic model (cnn-rul)");
  }

  @Test
  void corruptOrMissingFilesAreNamed(@TempDir Path dir) throws Exception {
    CnnRul m = trained.model();
    Prognostics.Trained t = new Prognostics.Trained(m, Map.of(), Map.of("rmse", 1.0), 1);
    Prognostics.save(dir, Prognostics.manifest(t, "synthetic", "abc"), m);
    Files.delete(dir.resolve(CnnRul.WEIGHTS_FILE));
    assertThatThrownBy(() -> Prognostics.load(dir))
        .isInstanceOf(ArtifactException.class)
        .hasMessageContaining(CnnRul.WEIGHTS_FILE)
        .hasMessageContaining("weight file missing");
    Files.writeString(dir.resolve(CnnRul.SETTINGS_FILE), "{\"settingsVersion\": 9}");
    assertThatThrownBy(() -> Prognostics.load(dir))
        .hasMessageContaining("unknown settingsVersion 9");
    assertThatThrownBy(() -> Prognostics.load(dir.resolve("nothing")))
        .hasMessageContaining("no manifest");
  }

  @Test
  void badSettingsAreRefusedWithTheirName() {
    assertThatThrownBy(() -> new CnnRul.Config(30, 8, 4, 16, 125))
        .hasMessageContaining("kernel must be odd and >= 1, got 4");
    assertThatThrownBy(() -> new CnnRulTrainer.Options(SMALL, 1, 1, 0.01, 2, 1.0, 1, 1))
        .hasMessageContaining("dropout must be in [0, 1), got 1.0");
    assertThatThrownBy(() -> CnnRulTrainer.train(units.subList(0, 1),
        CnnRulTrainer.Options.defaults(), new TrainingListener() {}, line -> {}))
        .hasMessageContaining("need at least 2 run-to-failure units, got 1");
    assertThatThrownBy(() -> Prognostics.train("cnn-rul", units, Map.of("filter", "3"), 1,
        new TrainingListener() {}, line -> {}))
        .hasMessageContaining("unknown cnn-rul hyperparameter 'filter'");
  }
}

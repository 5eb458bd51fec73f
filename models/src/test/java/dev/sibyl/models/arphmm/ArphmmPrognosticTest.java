package dev.sibyl.models.arphmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.sibyl.models.api.Prognostic;
import dev.sibyl.models.api.TrainingListener;
import dev.sibyl.models.artifact.ArtifactException;
import dev.sibyl.models.rul.Prognostics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArphmmPrognosticTest {

  private static List<Cmapss.Unit> train;
  private static List<Cmapss.Unit> test;
  private static Prognostics.Trained trained;
  private static final List<String> lines = new ArrayList<>();

  @BeforeAll
  static void fit() {
    Path dir = Fd001.dir();
    train = Cmapss.readUnits(dir.resolve("train_FD001.txt")).subList(0, 30);
    test = Cmapss.readUnits(dir.resolve("test_FD001.txt")).subList(0, 10);
    trained = Prognostics.train("arphmm", train, Map.of("states", "4,6"), 42,
        new TrainingListener() {}, lines::add);
  }

  @Test
  void choosesTheStatesAndMethodOnHeldOutUnits() {
    ArphmmPrognostic m = (ArphmmPrognostic) trained.model();
    Map<String, Double> v = trained.validationMetrics();
    assertThat(v).containsKeys("K4.chain", "K4.rollout", "K6.chain", "K6.rollout", "rmse");
    double best = v.entrySet().stream().filter(e -> e.getKey().startsWith("K"))
        .mapToDouble(Map.Entry::getValue).min().orElseThrow();
    assertThat(v.get("rmse")).isEqualTo(best);
    String key = "K" + m.states() + "." + m.method().name().toLowerCase(java.util.Locale.ROOT);
    assertThat(v.get(key)).isEqualTo(best);
    assertThat(trained.hyperparameters()).containsEntry("states", Integer.toString(m.states()));
    assertThat(lines).hasSize(3);
    assertThat(lines.get(2)).startsWith("arphmm: chose K=" + m.states());
    assertThat(m.inputColumns()).containsExactly(
        "s2", "s3", "s4", "s7", "s8", "s9", "s11", "s12", "s13", "s14", "s15", "s17", "s20", "s21");
  }

  @Test
  void assessMatchesTheEvaluationsStreamingPredictor() {
    ArphmmPrognostic m = (ArphmmPrognostic) trained.model();
    ArphmmEvaluation.Trained pieces = new ArphmmEvaluation.Trained(
        m.indicator(), m.rul().model(), m.rul(), new double[0]);
    for (Cmapss.Unit u : test) {
      Prognostic.Prognosis p = m.assess(Cmapss.columns(u, m.inputColumns()));
      ArphmmRul.Estimate e = ArphmmEvaluation.predict(pieces, u.sensors(), m.method());
      assertThat(p.rulMean()).isEqualTo(e.mean());
      assertThat(p.stateProbabilities()).hasSize(m.states());
      assertThat(java.util.Arrays.stream(p.stateProbabilities()).sum()).isCloseTo(1, within(1e-9));
      assertThat(p.rulLower()).isLessThanOrEqualTo(p.rulMean());
      assertThat(p.rulUpper()).isGreaterThanOrEqualTo(p.rulMean());
    }
    assertThatThrownBy(() -> m.assess(new double[][] {{1, 2}}))
        .hasMessageContaining("must have 14 values");
  }

  @Test
  void aUnitYoungerThanTheArOrderIsAssessedByTheChain() {
    ArphmmPrognostic m = (ArphmmPrognostic) trained.model();
    ArphmmPrognostic rollout = new ArphmmPrognostic(m.indicator(), m.rul(), ArphmmRul.Method.ROLLOUT);
    ArphmmPrognostic chain = new ArphmmPrognostic(m.indicator(), m.rul(), ArphmmRul.Method.CHAIN);
    double[][] rows = Cmapss.columns(test.get(0), m.inputColumns());
    int order = m.rul().model().weights().order();
    assertThat(order).isGreaterThan(1);
    for (int n = 1; n <= rows.length; n++) {
      double[][] prefix = java.util.Arrays.copyOf(rows, n);
      Prognostic.Prognosis p = rollout.assess(prefix);
      if (n < order) {
        assertThat(p.rulMean()).as("cycle %d", n).isEqualTo(chain.assess(prefix).rulMean());
      }
      assertThat(p.rulMean()).isBetween(0.0, 125.0);
    }
  }

  @Test
  void savesAndLoadsTheSameModel(@TempDir Path dir) throws Exception {
    ArphmmPrognostic m = (ArphmmPrognostic) trained.model();
    Prognostics.save(dir, Prognostics.manifest(trained, "train_FD001.txt", "abc"), m);
    Prognostics.Loaded loaded = Prognostics.loadArtifact(dir);
    assertThat(loaded.manifest().family()).isEqualTo("arphmm");
    assertThat(loaded.manifest().hyperparameters()).isEqualTo(trained.hyperparameters());
    ArphmmPrognostic back = (ArphmmPrognostic) loaded.model();
    assertThat(back.indicator().weights()).isEqualTo(m.indicator().weights());
    assertThat(back.rul().model().weights().transition())
        .isEqualTo(m.rul().model().weights().transition());
    assertThat(back.rul().threshold()).isEqualTo(m.rul().threshold());
    assertThat(back.method()).isEqualTo(m.method());
    for (Cmapss.Unit u : test) {
      double[][] rows = Cmapss.columns(u, m.inputColumns());
      assertThat(back.assess(rows)).usingRecursiveComparison().isEqualTo(m.assess(rows));
    }
    Files.writeString(dir.resolve(ArphmmPrognostic.WEIGHTS_FILE), "{\"weightsVersion\": 1}");
    assertThatThrownBy(() -> Prognostics.load(dir))
        .isInstanceOf(ArtifactException.class)
        .hasMessageContaining("corrupt arphmm weights");
  }

  @Test
  void badHyperparametersAreNamed() {
    assertThatThrownBy(() -> Prognostics.train("arphmm", train, Map.of("states", "1"), 1,
        new TrainingListener() {}, l -> {}))
        .hasMessageContaining("hyperparameter 'states' must be an integer >= 2, got '1'");
    assertThatThrownBy(() -> Prognostics.train("arphmm", train, Map.of("k", "4"), 1,
        new TrainingListener() {}, l -> {}))
        .hasMessageContaining("unknown arphmm hyperparameter 'k'");
  }
}

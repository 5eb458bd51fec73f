package dev.sibyl.app.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sibyl.models.api.Prognostic;
import dev.sibyl.models.arphmm.ArphmmEvaluation;
import dev.sibyl.models.arphmm.Cmapss;
import dev.sibyl.models.artifact.ArtifactException;
import dev.sibyl.models.rul.Prognostics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * {@code sibyl evaluate --artifact DIR --data test_FD00x.txt --rul RUL_FD00x.txt --report FILE}: the
 * C-MAPSS protocol for a prognostic artifact. Each test unit's rows are given to {@link
 * Prognostic#assess} and the RUL at its last cycle is compared with the RUL file's line.
 *
 * <p>The report holds {@code rmse} and {@code phm08_score} against the raw true RUL (the primary
 * figures, as the protocol's RUL file), the same against the truth capped at 125 cycles ({@code
 * rmse_capped_truth}, {@code phm08_score_capped_truth}: the predictions cannot exceed the cap),
 * {@code units}, the interval's empirical and nominal coverage, timings and one entry per unit.
 * Called by {@link EvaluateCommand}.
 */
final class PrognosticEvaluation {

  /** The protocol's RUL cap, cycles. */
  static final double RUL_CAP = 125.0;

  private PrognosticEvaluation() {}

  /**
   * Evaluates and writes the report; one summary line to stdout.
   *
   * @param cl the evaluate command line
   * @param artifacts the {@code --artifact} directories (exactly one)
   * @param data the C-MAPSS test file
   * @param rul the RUL file
   * @param report the JSON report to write
   * @return the exit code, 0
   * @throws ParameterException for a bad option, artifact or file
   * @throws IOException when the report cannot be written
   */
  static int run(CommandLine cl, List<Path> artifacts, Path data, Path rul, Path report)
      throws IOException {
    // 1. Options, artifact, data
    for (String option : List.of("--model", "--lookback", "--horizons", "--protocol")) {
      if (cl.getParseResult().hasMatchedOption(option)) {
        throw new ParameterException(cl, option + " does not apply to a prognostic evaluation"
            + " (--artifact, --data, --rul, --report)");
      }
    }
    if (artifacts.size() != 1) {
      throw new ParameterException(cl, "--rul evaluates exactly one prognostic --artifact, got "
          + artifacts.size());
    }
    if (!Files.isRegularFile(rul)) {
      throw new ParameterException(cl, "--rul: no such file: " + rul);
    }
    Prognostics.Loaded loaded;
    try {
      loaded = Prognostics.loadArtifact(artifacts.get(0));
    } catch (ArtifactException e) {
      throw new ParameterException(cl, "--artifact " + e.getMessage());
    }
    List<Cmapss.Unit> units;
    double[] truth;
    try {
      units = Cmapss.readUnits(data);
      truth = Cmapss.readRul(rul);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(cl, "--data: not a C-MAPSS test file: " + e.getMessage());
    }
    if (truth.length != units.size()) {
      throw new ParameterException(cl, "--rul has " + truth.length + " values but --data has "
          + units.size() + " units");
    }

    // 2. Assess every unit at its last cycle
    Prognostic model = loaded.model();
    int n = units.size();
    double[] predicted = new double[n]; // (units)
    double[] capped = new double[n]; // (units)
    int covered = 0;
    double coverage = 0;
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = json.createObjectNode();
    ArrayNode perUnit = json.createArrayNode();
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      Cmapss.Unit u = units.get(i);
      Prognostic.Prognosis p = model.assess(Cmapss.columns(u, model.inputColumns()));
      predicted[i] = p.rulMean();
      capped[i] = Math.min(truth[i], RUL_CAP);
      coverage = p.coverage();
      boolean in = truth[i] >= p.rulLower() && truth[i] <= p.rulUpper();
      covered += in ? 1 : 0;
      ObjectNode o = perUnit.addObject();
      o.put("unit", u.id());
      o.put("cycles", u.cycles());
      o.put("truth", truth[i]);
      o.put("predicted", p.rulMean());
      o.put("lower", p.rulLower());
      o.put("upper", p.rulUpper());
      o.set("state_probabilities", json.valueToTree(p.stateProbabilities()));
    }
    double seconds = (System.nanoTime() - start) / 1e9;

    // 3. Report
    double rmse = ArphmmEvaluation.rmse(predicted, truth);
    double score = ArphmmEvaluation.phm08Score(predicted, truth);
    root.put("family", model.family());
    root.put("artifact", artifacts.get(0).toString());
    root.put("dataset", data.getFileName().toString());
    root.put("units", n);
    root.put("rmse", rmse);
    root.put("phm08_score", score);
    root.put("rmse_capped_truth", ArphmmEvaluation.rmse(predicted, capped));
    root.put("phm08_score_capped_truth", ArphmmEvaluation.phm08Score(predicted, capped));
    root.put("rul_cap", RUL_CAP);
    root.put("interval_coverage", (double) covered / n);
    root.put("interval_nominal_coverage", coverage);
    root.put("states", model.states());
    root.set("input_columns", json.valueToTree(model.inputColumns()));
    root.set("hyperparameters", json.valueToTree(loaded.manifest().hyperparameters()));
    root.put("train_seconds", loaded.manifest().trainSeconds());
    root.put("evaluate_seconds", seconds);
    root.put("infer_ms_per_unit", seconds * 1000 / n);
    root.set("predictions", perUnit);
    if (report.toAbsolutePath().getParent() != null) {
      Files.createDirectories(report.toAbsolutePath().getParent());
    }
    json.writeValue(report.toFile(), root);
    cl.getOut().printf(Locale.ROOT,
        "%s %s: RMSE %.2f PHM08 score %.1f over %d units (vs truth capped at %.0f: RMSE %.2f);"
            + " interval coverage %.2f (nominal %.2f); report %s%n",
        model.family(), data.getFileName(), rmse, score, n, RUL_CAP,
        ArphmmEvaluation.rmse(predicted, capped), (double) covered / n, coverage, report);
    return 0;
  }
}

package dev.sibyl.models.rul;

import dev.sibyl.models.api.Prognostic;
import dev.sibyl.models.api.TrainingListener;
import dev.sibyl.models.arphmm.Arphmm;
import dev.sibyl.models.arphmm.ArphmmPrognostic;
import dev.sibyl.models.arphmm.ArphmmRul;
import dev.sibyl.models.arphmm.Cmapss;
import dev.sibyl.models.artifact.ArtifactException;
import dev.sibyl.models.artifact.Artifacts;
import dev.sibyl.models.artifact.Manifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Trains, saves and loads prognostic models ({@link Prognostic}): the ARPHMM ({@value
 * ArphmmPrognostic#FAMILY}) and the CNN control ({@value CnnRul#FAMILY}).
 *
 * <p>The entry point for a streaming operator is {@link #load}: it reads an artifact directory
 * written by {@code sibyl train --model arphmm|cnn-rul} and returns a thread-safe model whose
 * {@link Prognostic#inputColumns()} name the raw C-MAPSS columns ({@code s2}, {@code s3}, ...) each
 * row of {@link Prognostic#assess} must hold. Per call, the ARPHMM replays the unit's whole history
 * through its filter (cost linear in the cycles so far); the CNN reads only its last 30 rows, so a
 * caller may keep just those.
 *
 * <p>An artifact is a directory with {@code manifest.json} ({@link Artifacts}, kind {@code
 * prognostic}, with the input columns) and the family's files: {@value
 * ArphmmPrognostic#WEIGHTS_FILE} for the ARPHMM, {@value CnnRul#WEIGHTS_FILE} and {@value
 * CnnRul#SETTINGS_FILE} for the CNN.
 */
public final class Prognostics {

  /** The prognostic families, in the order the CLI lists them. */
  public static final List<String> FAMILIES = List.of(ArphmmPrognostic.FAMILY, CnnRul.FAMILY);

  /** ARPHMM hyperparameter: the candidate numbers of states, comma-separated. */
  public static final String ARPHMM_STATES = "states";

  /** ARPHMM hyperparameter: the AR order. */
  public static final String ARPHMM_ORDER = "order";

  /** CNN hyperparameters, with {@link CnnRulTrainer.Options#defaults()} as defaults. */
  public static final List<String> CNN_KEYS =
      List.of("window", "filters", "kernel", "hidden", "epochs", "batch.size", "lr", "patience",
          "dropout", "members");

  /**
   * A loaded artifact.
   *
   * @param manifest the manifest
   * @param model the model
   */
  public record Loaded(Manifest manifest, Prognostic model) {}

  /**
   * A trained model with what its manifest records.
   *
   * @param model the model
   * @param hyperparameters the settings used (defaults filled in, the chosen K for the ARPHMM)
   * @param validationMetrics held-out figures (RMSE in cycles)
   * @param seconds wall-clock training time
   */
  public record Trained(
      Prognostic model,
      Map<String, String> hyperparameters,
      Map<String, Double> validationMetrics,
      double seconds) {}

  private Prognostics() {}

  /**
   * Whether a family name is a prognostic family.
   *
   * @param family a name; may be null (false)
   * @return true for {@code arphmm} and {@code cnn-rul}
   */
  public static boolean contains(String family) {
    return FAMILIES.contains(family);
  }

  /**
   * Loads a prognostic artifact.
   *
   * @param directory the artifact directory; not null
   * @return the model, ready for {@link Prognostic#assess}
   * @throws ArtifactException naming the path: no or corrupt manifest, a forecaster's artifact, an
   *     unknown family, missing or corrupt weights
   */
  public static Prognostic load(Path directory) throws ArtifactException {
    return loadArtifact(directory).model();
  }

  /**
   * Loads a prognostic artifact with its manifest.
   *
   * @param directory the artifact directory; not null
   * @return the manifest and the model
   * @throws ArtifactException as {@link #load}
   */
  public static Loaded loadArtifact(Path directory) throws ArtifactException {
    Manifest manifest = Artifacts.readManifest(directory);
    Path file = directory.resolve(Artifacts.MANIFEST);
    if (!manifest.prognostic()) {
      throw new ArtifactException(file, "holds a forecaster (" + manifest.family()
          + "), not a prognostic model (" + FAMILIES + ")", null);
    }
    Prognostic model;
    switch (manifest.family()) {
      case ArphmmPrognostic.FAMILY:
        model = ArphmmPrognostic.load(directory);
        break;
      case CnnRul.FAMILY:
        model = CnnRul.load(directory);
        break;
      default:
        throw new ArtifactException(file, "unknown prognostic family '" + manifest.family()
            + "' (known: " + FAMILIES + ")", null);
    }
    if (!model.inputColumns().equals(manifest.inputColumns())) {
      throw new ArtifactException(file, "inputColumns " + manifest.inputColumns()
          + " disagree with the weights' " + model.inputColumns(), null);
    }
    return new Loaded(manifest, model);
  }

  /**
   * Writes an artifact: the family's files, then the manifest (last: a directory with a manifest is
   * complete).
   *
   * @param directory created when missing; not null
   * @param manifest kind prognostic, the model's family and input columns; not null
   * @param model an {@link ArphmmPrognostic} or a {@link CnnRul}; not null
   * @throws IOException when a file cannot be written
   * @throws IllegalArgumentException when the manifest does not describe the model
   */
  public static void save(Path directory, Manifest manifest, Prognostic model) throws IOException {
    Objects.requireNonNull(directory, "directory");
    if (!manifest.prognostic() || !manifest.family().equals(model.family())
        || !manifest.inputColumns().equals(model.inputColumns())) {
      throw new IllegalArgumentException("manifest (" + manifest.kind() + ", " + manifest.family()
          + ", " + manifest.inputColumns() + ") does not describe the model (" + model.family()
          + ", " + model.inputColumns() + ")");
    }
    Files.createDirectories(directory);
    if (model instanceof ArphmmPrognostic a) {
      a.save(directory);
    } else if (model instanceof CnnRul c) {
      c.save(directory);
    } else {
      throw new IllegalArgumentException("cannot save a " + model.getClass().getName());
    }
    Artifacts.writeManifest(directory, manifest);
  }

  /**
   * A manifest for a trained model.
   *
   * @param trained the training outcome; not null
   * @param dataset the training file's name; not null
   * @param fingerprint SHA-256 hex of the training file's bytes; not null
   * @return the manifest (kind prognostic)
   */
  public static Manifest manifest(Trained trained, String dataset, String fingerprint) {
    Prognostic m = trained.model();
    int lookback = m instanceof CnnRul c ? c.config().window() : 0;
    String version = m instanceof CnnRul c ? c.version() : "1";
    return new Manifest(Artifacts.FORMAT_VERSION, m.family(), version, trained.hyperparameters(),
        lookback, 0, fingerprint, trained.validationMetrics(), trained.seconds(), dataset,
        Artifacts.now(), Manifest.KIND_PROGNOSTIC, m.inputColumns());
  }

  /**
   * SHA-256 of a file's bytes.
   *
   * @param file the file; not null
   * @return hex digest
   * @throws IOException when the file cannot be read
   */
  public static String fingerprint(Path file) throws IOException {
    try {
      java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha.digest(Files.readAllBytes(file)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }

  /**
   * Trains a prognostic family on run-to-failure units.
   *
   * <p>Hyperparameters: {@code arphmm}: {@value #ARPHMM_STATES} (candidate K, comma-separated,
   * default {@code 6,8,10,12,14}, chosen by validation), {@value #ARPHMM_ORDER} (default 7). {@code
   * cnn-rul}: {@link #CNN_KEYS} (defaults {@link CnnRulTrainer.Options#defaults()}).
   *
   * @param family {@code arphmm} or {@code cnn-rul}
   * @param units run-to-failure units; not empty
   * @param hyperparameters settings by name; unknown names are refused; not null
   * @param seed the seed
   * @param listener per-batch progress of the CNN; not null
   * @param progress progress lines; not null
   * @return the model and its figures
   * @throws IllegalArgumentException naming an unknown family, an unknown key or a bad value
   */
  public static Trained train(
      String family,
      List<Cmapss.Unit> units,
      Map<String, String> hyperparameters,
      long seed,
      TrainingListener listener,
      Consumer<String> progress) {
    switch (family) {
      case ArphmmPrognostic.FAMILY:
        return trainArphmm(units, hyperparameters, seed, progress);
      case CnnRul.FAMILY:
        return trainCnn(units, hyperparameters, seed, listener, progress);
      default:
        throw new IllegalArgumentException(
            "unknown prognostic family '" + family + "' (known: " + FAMILIES + ")");
    }
  }

  private static Trained trainArphmm(
      List<Cmapss.Unit> units, Map<String, String> hp, long seed, Consumer<String> progress) {
    checkKeys(ArphmmPrognostic.FAMILY, hp, List.of(ARPHMM_STATES, ARPHMM_ORDER));
    List<Integer> candidates = new ArrayList<>();
    String states = hp.get(ARPHMM_STATES);
    if (states == null) {
      candidates.addAll(ArphmmPrognostic.DEFAULT_STATE_CANDIDATES);
    } else {
      for (String s : states.split(",")) {
        candidates.add(integer(ARPHMM_STATES, s, 2));
      }
    }
    Arphmm.Config d = Arphmm.Config.defaults();
    int order = hp.containsKey(ARPHMM_ORDER) ? integer(ARPHMM_ORDER, hp.get(ARPHMM_ORDER), 0)
        : d.order();
    Arphmm.Config base = new Arphmm.Config(d.states(), order, d.iterations(), d.tolerance(), seed);
    ArphmmPrognostic.Trained t =
        ArphmmPrognostic.train(units, candidates, base, ArphmmRul.Options.defaults(), progress);
    Map<String, String> used = new LinkedHashMap<>();
    used.put("states.candidates", candidates.toString().replaceAll("[\\[\\] ]", ""));
    used.put(ARPHMM_STATES, Integer.toString(t.model().states()));
    used.put(ARPHMM_ORDER, Integer.toString(order));
    used.put("method", t.model().method().name().toLowerCase(java.util.Locale.ROOT));
    return new Trained(t.model(), used, t.validationRmse(), t.seconds());
  }

  private static Trained trainCnn(List<Cmapss.Unit> units, Map<String, String> hp, long seed,
      TrainingListener listener, Consumer<String> progress) {
    checkKeys(CnnRul.FAMILY, hp, CNN_KEYS);
    CnnRulTrainer.Options d = CnnRulTrainer.Options.defaults();
    CnnRul.Config dc = d.config();
    CnnRul.Config config = new CnnRul.Config(
        hp.containsKey("window") ? integer("window", hp.get("window"), 1) : dc.window(),
        hp.containsKey("filters") ? integer("filters", hp.get("filters"), 1) : dc.filters(),
        hp.containsKey("kernel") ? integer("kernel", hp.get("kernel"), 1) : dc.kernel(),
        hp.containsKey("hidden") ? integer("hidden", hp.get("hidden"), 1) : dc.hidden(),
        dc.rulCap());
    double lr = hp.containsKey("lr") ? number("lr", hp.get("lr")) : d.learningRate();
    CnnRulTrainer.Options options = new CnnRulTrainer.Options(config,
        hp.containsKey("epochs") ? integer("epochs", hp.get("epochs"), 1) : d.epochs(),
        hp.containsKey("batch.size") ? integer("batch.size", hp.get("batch.size"), 1)
            : d.batchSize(),
        lr,
        hp.containsKey("patience") ? integer("patience", hp.get("patience"), 2) : d.patience(),
        hp.containsKey("dropout") ? number("dropout", hp.get("dropout")) : d.dropout(),
        hp.containsKey("members") ? integer("members", hp.get("members"), 1) : d.members(),
        seed);
    CnnRulTrainer.Result r = CnnRulTrainer.train(units, options, listener, progress);
    Map<String, String> used = new LinkedHashMap<>();
    used.put("window", Integer.toString(config.window()));
    used.put("filters", Integer.toString(config.filters()));
    used.put("kernel", Integer.toString(config.kernel()));
    used.put("hidden", Integer.toString(config.hidden()));
    used.put("epochs", Integer.toString(options.epochs()));
    used.put("batch.size", Integer.toString(options.batchSize()));
    used.put("lr", Double.toString(options.learningRate()));
    used.put("patience", Integer.toString(options.patience()));
    used.put("dropout", Double.toString(options.dropout()));
    used.put("members", Integer.toString(options.members()));
    used.put("best.epochs", Arrays.toString(r.bestEpochs()).replaceAll("[\\[\\] ]", ""));
    used.put("epochs.run", Integer.toString(r.epochsRun()));
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("rmse", r.validationRmse());
    for (int e = 0; e < r.memberValidationRmse().length; e++) {
      metrics.put("member" + e + ".rmse", r.memberValidationRmse()[e]);
    }
    metrics.put("residual.lower", r.model().residualLower());
    metrics.put("residual.upper", r.model().residualUpper());
    return new Trained(r.model(), used, metrics, r.seconds());
  }

  private static void checkKeys(String family, Map<String, String> hp, List<String> known) {
    for (String key : hp.keySet()) {
      if (!known.contains(key)) {
        throw new IllegalArgumentException(
            "unknown " + family + " hyperparameter '" + key + "'; known: " + known);
      }
    }
  }

  private static double number(String key, String raw) {
    try {
      return Double.parseDouble(raw.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "hyperparameter '" + key + "' must be a number, got '" + raw + "'");
    }
  }

  private static int integer(String key, String raw, int min) {
    try {
      int v = Integer.parseInt(raw.trim());
      if (v >= min) {
        return v;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "hyperparameter '" + key + "' must be an integer >= " + min + ", got '" + raw + "'");
  }
}

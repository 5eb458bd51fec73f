package dev.sibyl.models.arphmm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sibyl.models.api.Prognostic;
import dev.sibyl.models.artifact.ArtifactException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.function.Consumer;

/**
 * The trained ARPHMM pipeline as a {@link Prognostic}: the health-indicator map ({@link
 * HealthIndicators}), the model ({@link Arphmm}, see it for the paper) and the RUL estimator
 * ({@link ArphmmRul}) with the method chosen on validation.
 *
 * <p>{@link #assess} streams the unit's rows through the indicator and the model one cycle at a time,
 * exactly as {@link ArphmmEvaluation#predict} does; the mean is capped at the protocol's 125 cycles
 * and the interval widened to contain it when the cap moves the mean below the lower quantile.
 *
 * <p>{@link #train} chooses the number of states K and the estimator by validation: the training
 * units with {@code id % 5 == 0} are held out, each candidate K is fitted on the rest, the held-out
 * units are cut at random points as in {@link ArphmmEvaluation}, and the (K, method) with the lowest
 * RMSE is refitted on every unit. On FD001 the held-out RMSE falls as K grows up to 14 (K = 6: 20.8,
 * 10: 19.0, 14: 18.3).
 *
 * <p>Weights are saved as JSON ({@value #WEIGHTS_FILE}): the EM parameters are doubles, and the JSON
 * encoding round-trips them exactly (an NDList would narrow them to float). Immutable and
 * thread-safe.
 */
public final class ArphmmPrognostic implements Prognostic {

  /** The family name. */
  public static final String FAMILY = "arphmm";

  /** The weight file inside an artifact. */
  public static final String WEIGHTS_FILE = "arphmm.json";

  /** The candidate numbers of states tried by {@link #train}. */
  public static final List<Integer> DEFAULT_STATE_CANDIDATES = List.of(6, 8, 10, 12, 14);

  private static final int WEIGHTS_VERSION = 1;
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final int MIN_TEST_LENGTH = 31;

  private final HealthIndicators.Fitted indicator;
  private final ArphmmRul rul;
  private final ArphmmRul.Method method;
  private final List<String> columns;

  /**
   * Assembles the pipeline.
   *
   * @param indicator the health-indicator map; not null
   * @param rul the RUL estimator (holding the model); not null
   * @param method the estimator's method; not null
   */
  public ArphmmPrognostic(
      HealthIndicators.Fitted indicator, ArphmmRul rul, ArphmmRul.Method method) {
    this.indicator = Objects.requireNonNull(indicator, "indicator");
    this.rul = Objects.requireNonNull(rul, "rul");
    this.method = Objects.requireNonNull(method, "method");
    List<String> names = new ArrayList<>();
    for (int s : indicator.sensors()) {
      names.add(Cmapss.sensorName(s));
    }
    this.columns = List.copyOf(names);
  }

  @Override
  public String family() {
    return FAMILY;
  }

  @Override
  public int states() {
    return rul.model().config().states();
  }

  /** The sensors the indicator weighs, e.g. {@code s2, s3, ...}. */
  @Override
  public List<String> inputColumns() {
    return columns;
  }

  /**
   * The health-indicator map.
   *
   * @return the map
   */
  public HealthIndicators.Fitted indicator() {
    return indicator;
  }

  /**
   * The RUL estimator (with the model and its threshold).
   *
   * @return the estimator
   */
  public ArphmmRul rul() {
    return rul;
  }

  /**
   * The estimator's method.
   *
   * @return the method chosen on validation
   */
  public ArphmmRul.Method method() {
    return method;
  }

  @Override
  public Prognosis assess(double[][] history) {
    if (history == null || history.length == 0) {
      throw new IllegalArgumentException("history must hold at least one row");
    }
    Arphmm model = rul.model();
    Arphmm.State state = model.newState();
    double smoothed = Double.NaN;
    double[] full = new double[Cmapss.SENSORS]; // (21): unused sensors have weight 0
    int[] sensors = indicator.sensors();
    for (int t = 0; t < history.length; t++) {
      if (history[t].length != sensors.length) {
        throw new IllegalArgumentException(
            "row " + t + " must have " + sensors.length + " values " + columns + ", got "
                + history[t].length);
      }
      for (int j = 0; j < sensors.length; j++) {
        full[sensors[j]] = history[t][j];
      }
      smoothed = indicator.smooth(smoothed, indicator.raw(full));
      state = model.update(state, smoothed);
    }
    // A unit younger than the AR order has no lags to roll forward from (a stream sees every unit
    // from its first cycle): the chain estimate from the state posterior answers until it has.
    ArphmmRul.Method usable =
        method == ArphmmRul.Method.ROLLOUT && state.seen() < Math.max(model.weights().order(), 1)
            ? ArphmmRul.Method.CHAIN
            : method;
    ArphmmRul.Estimate e = rul.estimate(usable, state);
    double mean = Math.min(e.mean(), indicator.rulCap());
    ArphmmRul.Options o = rul.options();
    return new Prognosis(
        state.filtered().clone(),
        mean,
        Math.min(e.lower(), mean),
        Math.max(e.upper(), mean),
        o.upperQuantile() - o.lowerQuantile());
  }

  /**
   * The outcome of {@link #train}.
   *
   * @param model the pipeline refitted on every unit
   * @param validationRmse held-out RMSE of each (K, method) tried, e.g. {@code K10.chain}
   * @param seconds wall-clock time
   */
  public record Trained(ArphmmPrognostic model, Map<String, Double> validationRmse, double seconds) {}

  /**
   * Fits the pipeline, choosing K and the estimator by validation (see the class comment).
   *
   * @param units run-to-failure units; at least one with {@code id % 5 == 0} and one without
   * @param stateCandidates the K to try, each at least 2; not empty
   * @param base the other hyperparameters (order, iterations, tolerance, seed); its K is ignored
   * @param options RUL settings
   * @param progress receives one line per candidate; not null
   * @return the refitted pipeline and the validation figures
   * @throws IllegalArgumentException when a split is empty or no candidate is given
   */
  public static Trained train(
      List<Cmapss.Unit> units,
      List<Integer> stateCandidates,
      Arphmm.Config base,
      ArphmmRul.Options options,
      Consumer<String> progress) {
    long start = System.nanoTime();
    if (stateCandidates.isEmpty()) {
      throw new IllegalArgumentException("stateCandidates must not be empty");
    }
    List<Cmapss.Unit> fit = new ArrayList<>();
    List<Cmapss.Unit> held = new ArrayList<>();
    for (Cmapss.Unit u : units) {
      (u.id() % 5 == 0 ? held : fit).add(u);
    }
    if (fit.isEmpty() || held.isEmpty()) {
      throw new IllegalArgumentException("need units with id % 5 == 0 (held out) and others, got "
          + held.size() + " and " + fit.size());
    }
    Map<String, Double> figures = new LinkedHashMap<>();
    double bestRmse = Double.POSITIVE_INFINITY;
    int bestK = stateCandidates.get(0);
    ArphmmRul.Method bestMethod = ArphmmRul.Method.CHAIN;
    for (int k : stateCandidates) {
      Arphmm.Config config = withStates(base, k);
      ArphmmEvaluation.Trained val = ArphmmEvaluation.train(fit, config, options);
      Random rng = new Random(config.seed());
      List<double[]> rows = new ArrayList<>(); // (truth, chain, rollout)
      for (Cmapss.Unit u : held) {
        int maxRul = Math.min(150, u.cycles() - MIN_TEST_LENGTH);
        for (int c = 0; c < ArphmmEvaluation.CUTS_PER_UNIT && maxRul >= 5; c++) {
          int r = 5 + rng.nextInt(maxRul - 5 + 1);
          double[][] cut = Arrays.copyOf(u.sensors(), u.cycles() - r);
          rows.add(new double[] {r,
              ArphmmEvaluation.predict(val, cut, ArphmmRul.Method.CHAIN).mean(),
              ArphmmEvaluation.predict(val, cut, ArphmmRul.Method.ROLLOUT).mean()});
        }
      }
      if (rows.isEmpty()) {
        throw new IllegalArgumentException("held-out units are too short to cut (need > 35 cycles)");
      }
      for (ArphmmRul.Method m : ArphmmRul.Method.values()) {
        double s = 0;
        for (double[] row : rows) {
          double d = row[m == ArphmmRul.Method.CHAIN ? 1 : 2] - row[0];
          s += d * d;
        }
        double rmse = Math.sqrt(s / rows.size());
        figures.put("K" + k + "." + m.name().toLowerCase(java.util.Locale.ROOT), rmse);
        if (rmse < bestRmse) {
          bestRmse = rmse;
          bestK = k;
          bestMethod = m;
        }
      }
      progress.accept(String.format(java.util.Locale.ROOT,
          "arphmm K=%d: held-out RMSE chain %.2f, rollout %.2f", k,
          figures.get("K" + k + ".chain"), figures.get("K" + k + ".rollout")));
    }
    progress.accept("arphmm: chose K=" + bestK + ", " + bestMethod + "; refitting on every unit");
    ArphmmEvaluation.Trained all = ArphmmEvaluation.train(units, withStates(base, bestK), options);
    ArphmmPrognostic model = new ArphmmPrognostic(all.indicator(), all.rul(), bestMethod);
    figures.put("rmse", bestRmse);
    return new Trained(model, figures, (System.nanoTime() - start) / 1e9);
  }

  private static Arphmm.Config withStates(Arphmm.Config base, int states) {
    return new Arphmm.Config(states, base.order(), base.iterations(), base.tolerance(), base.seed());
  }

  // ---------------------------------------------------------------------------------------------
  // Persistence
  // ---------------------------------------------------------------------------------------------

  /**
   * Writes {@value #WEIGHTS_FILE} into an artifact directory.
   *
   * @param directory an existing directory; not null
   * @throws IOException when the file cannot be written
   */
  public void save(Path directory) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("weightsVersion", WEIGHTS_VERSION);
    ObjectNode hi = root.putObject("indicator");
    hi.set("sensors", JSON.valueToTree(indicator.sensors()));
    hi.set("mean", JSON.valueToTree(indicator.mean()));
    hi.set("std", JSON.valueToTree(indicator.std()));
    hi.set("weights", JSON.valueToTree(indicator.weights()));
    hi.put("intercept", indicator.intercept());
    hi.put("alpha", indicator.alpha());
    hi.put("rulCap", indicator.rulCap());
    Arphmm.Config c = rul.model().config();
    ObjectNode cfg = root.putObject("config");
    cfg.put("states", c.states());
    cfg.put("order", c.order());
    cfg.put("iterations", c.iterations());
    cfg.put("tolerance", c.tolerance());
    cfg.put("seed", c.seed());
    Arphmm.Weights w = rul.model().weights();
    ObjectNode mw = root.putObject("weights");
    mw.set("initial", JSON.valueToTree(w.initial()));
    mw.set("transition", JSON.valueToTree(w.transition()));
    mw.set("ar", JSON.valueToTree(w.ar()));
    mw.set("bias", JSON.valueToTree(w.bias()));
    mw.set("variance", JSON.valueToTree(w.variance()));
    mw.put("exitRate", w.exitRate());
    ArphmmRul.Options o = rul.options();
    ObjectNode r = root.putObject("rul");
    r.put("threshold", rul.threshold());
    r.put("method", method.name());
    r.put("lowerQuantile", o.lowerQuantile());
    r.put("upperQuantile", o.upperQuantile());
    r.put("paths", o.paths());
    r.put("horizon", o.horizon());
    JSON.writeValue(directory.resolve(WEIGHTS_FILE).toFile(), root);
  }

  /**
   * Reads {@value #WEIGHTS_FILE} from an artifact directory.
   *
   * @param directory the artifact directory; not null
   * @return the pipeline
   * @throws ArtifactException naming the file when it is missing, of an unknown version or corrupt
   */
  public static ArphmmPrognostic load(Path directory) throws ArtifactException {
    Path file = directory.resolve(WEIGHTS_FILE);
    if (!Files.isRegularFile(file)) {
      throw new ArtifactException(file, "weight file missing", null);
    }
    try {
      JsonNode root = JSON.readTree(file.toFile());
      int version = root.path("weightsVersion").asInt(-1);
      if (version != WEIGHTS_VERSION) {
        throw new ArtifactException(file, "unknown weightsVersion " + version + " (this build reads "
            + WEIGHTS_VERSION + ")", null);
      }
      JsonNode hi = root.required("indicator");
      HealthIndicators.Fitted indicator = new HealthIndicators.Fitted(
          JSON.treeToValue(hi.required("sensors"), int[].class),
          JSON.treeToValue(hi.required("mean"), double[].class),
          JSON.treeToValue(hi.required("std"), double[].class),
          JSON.treeToValue(hi.required("weights"), double[].class),
          hi.required("intercept").asDouble(),
          hi.required("alpha").asDouble(),
          hi.required("rulCap").asDouble());
      JsonNode cfg = root.required("config");
      Arphmm.Config config = new Arphmm.Config(cfg.required("states").asInt(),
          cfg.required("order").asInt(), cfg.required("iterations").asInt(),
          cfg.required("tolerance").asDouble(), cfg.required("seed").asLong());
      JsonNode mw = root.required("weights");
      Arphmm.Weights weights = new Arphmm.Weights(
          JSON.treeToValue(mw.required("initial"), double[].class),
          JSON.treeToValue(mw.required("transition"), double[][].class),
          JSON.treeToValue(mw.required("ar"), double[][].class),
          JSON.treeToValue(mw.required("bias"), double[].class),
          JSON.treeToValue(mw.required("variance"), double[].class),
          mw.required("exitRate").asDouble());
      JsonNode r = root.required("rul");
      ArphmmRul.Options options = new ArphmmRul.Options(r.required("lowerQuantile").asDouble(),
          r.required("upperQuantile").asDouble(), r.required("paths").asInt(),
          r.required("horizon").asInt());
      ArphmmRul rul = new ArphmmRul(new Arphmm(config, weights), r.required("threshold").asDouble(),
          options);
      return new ArphmmPrognostic(indicator, rul,
          ArphmmRul.Method.valueOf(r.required("method").asText()));
    } catch (ArtifactException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new ArtifactException(file, "corrupt arphmm weights: " + e.getMessage(), e);
    }
  }
}

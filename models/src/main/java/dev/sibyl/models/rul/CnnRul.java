package dev.sibyl.models.rul;

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

/**
 * A 1D convolutional RUL regressor over the last cycles of a unit's sensors: the learned control
 * of the prognostics work.
 *
 * <p>Papers: G. Sateesh Babu, P. Zhao, X.-L. Li, "Deep Convolutional Neural Network Based
 * Regression Approach for Estimation of Remaining Useful Life", DASFAA 2016; X. Li, Q. Ding, J.-Q.
 * Sun, "Remaining useful life estimation in prognostics using deep convolution neural networks",
 * Reliability Engineering &amp; System Safety 172 (2018) (the DCNN: 30-cycle windows of the 14
 * informative sensors min-max scaled to [-1, 1], target {@code min(RUL, 125)}, convolutions along
 * time, a fully connected head, Adam, MSE).
 *
 * <p>Forward, one window x of shape (F, W) (features, cycles):
 *
 * <ol>
 *   <li>three convolutions along time, each kernel {@code k}, stride 1, zero "same" padding, ReLU:
 *       (F, W) to (C, W) to (C, W) to (C, W);
 *   <li>flatten to (C * W), index {@code c * W + t};
 *   <li>dense (C * W) to (D), ReLU; dense (D) to 1; times the RUL cap, clipped to [0, cap].
 * </ol>
 *
 * <p>Departures from Li et al.: their convolutions are 2D with (10, 1) kernels, so each filter
 * sees one sensor at a time and sensors only mix in the last layers; here each filter sees every
 * sensor (an ordinary 1D convolution with the sensors as channels), which is far cheaper on a CPU
 * and trains in minutes instead of 250 epochs. ReLU instead of tanh, dropout on the flattened
 * features only, early stopping on held-out units, and the target scaled by 1 / cap during
 * training. The model is an ensemble: a few networks trained from different seeds, their raw
 * outputs averaged (one network's last-cycle error varies by about a cycle of RMSE with the seed). A history shorter
 * than the window is padded at the front with its first row (Li et al. need at least 30 cycles;
 * every FD001 test unit has 31 or more). The interval is not from the papers: the validation
 * residuals' quantiles are added to the mean, and the state probabilities are a degenerate two-state
 * form (see {@link #assess}).
 *
 * <p>Inference runs on the Java heap (no native memory per request); the training forward in
 * {@link CnnRulTrainer} is the DJL twin the tests compare with. Immutable and thread-safe (R3: no
 * per-unit state; {@link #assess} reads only the last {@code W} rows).
 */
public final class CnnRul implements Prognostic {

  /** The family name. */
  public static final String FAMILY = "cnn-rul";

  /** The network's weight file inside an artifact (DJL NDList). */
  public static final String WEIGHTS_FILE = "cnn-rul.ndlist";

  /** The settings file inside an artifact (JSON). */
  public static final String SETTINGS_FILE = "cnn-rul.json";

  private static final int SETTINGS_VERSION = 1;
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /**
   * Hyperparameters.
   *
   * @param window W, cycles per input window, at least 1
   * @param filters C, channels of each convolution, at least 1
   * @param kernel k, odd, at least 1
   * @param hidden D, units of the dense layer, at least 1
   * @param rulCap the RUL cap of the target, cycles, positive
   */
  public record Config(int window, int filters, int kernel, int hidden, double rulCap) {

    /** Number of convolutions. */
    public static final int CONVOLUTIONS = 3;

    /**
     * Validates the hyperparameters.
     *
     * @throws IllegalArgumentException naming the first bad value
     */
    public Config {
      if (window < 1) {
        throw new IllegalArgumentException("window must be >= 1, got " + window);
      }
      if (filters < 1) {
        throw new IllegalArgumentException("filters must be >= 1, got " + filters);
      }
      if (kernel < 1 || kernel % 2 == 0) {
        throw new IllegalArgumentException("kernel must be odd and >= 1, got " + kernel);
      }
      if (hidden < 1) {
        throw new IllegalArgumentException("hidden must be >= 1, got " + hidden);
      }
      if (!(rulCap > 0)) {
        throw new IllegalArgumentException("rulCap must be > 0, got " + rulCap);
      }
    }

    /**
     * The defaults: W = 30 (the DCNN's window), C = 16, k = 9 (Li et al.: 10 filters of length
     * 10), D = 64, cap 125.
     *
     * @return the default configuration
     */
    public static Config defaults() {
      return new Config(30, 16, 9, 64, 125.0);
    }
  }

  /**
   * Learned parameters (the arrays are copied in and out).
   *
   * @param convWeights per convolution, shape (C_out, C_in, k); C_in is F for the first, C after
   * @param convBiases per convolution, shape (C_out)
   * @param denseWeight shape (D, C * W), PyTorch's {@code nn.Linear} layout
   * @param denseBias shape (D)
   * @param outWeight shape (D)
   * @param outBias shape (1)
   */
  public record Weights(
      float[][] convWeights,
      float[][] convBiases,
      float[] denseWeight,
      float[] denseBias,
      float[] outWeight,
      float[] outBias) {

    /** Deep-copies the arrays. */
    public Weights {
      convWeights = deepCopy(convWeights);
      convBiases = deepCopy(convBiases);
      denseWeight = denseWeight.clone();
      denseBias = denseBias.clone();
      outWeight = outWeight.clone();
      outBias = outBias.clone();
    }

    private static float[][] deepCopy(float[][] a) {
      float[][] out = new float[a.length][];
      for (int i = 0; i < a.length; i++) {
        out[i] = a[i].clone();
      }
      return out;
    }
  }

  private final Config config;
  private final String version;
  private final List<String> columns;
  private final double[] min; // (F)
  private final double[] max; // (F)
  private final List<Weights> members;
  private final double residualLower;
  private final double residualUpper;
  private final double coverage;

  /**
   * Creates the model.
   *
   * @param config hyperparameters; not null
   * @param version the artifact version; not null
   * @param columns the input columns, F names; not null, not empty
   * @param min per-column training minimum, shape (F)
   * @param max per-column training maximum, shape (F), each above its minimum
   * @param members the ensemble's networks (their raw outputs are averaged), at least one; shapes
   *     as in {@link Weights} for these F, C, k, D, W
   * @param residualLower lower quantile of the validation residuals (truth - prediction), cycles
   * @param residualUpper upper quantile, at least {@code residualLower}
   * @param coverage nominal coverage of the interval, in (0, 1)
   * @throws IllegalArgumentException when a shape or range is wrong
   */
  public CnnRul(
      Config config,
      String version,
      List<String> columns,
      double[] min,
      double[] max,
      List<Weights> members,
      double residualLower,
      double residualUpper,
      double coverage) {
    this.config = Objects.requireNonNull(config, "config");
    this.version = Objects.requireNonNull(version, "version");
    this.columns = List.copyOf(columns);
    int f = this.columns.size();
    if (f == 0) {
      throw new IllegalArgumentException("columns must not be empty");
    }
    if (min.length != f || max.length != f) {
      throw new IllegalArgumentException(
          "min and max must have " + f + " values, got " + min.length + ", " + max.length);
    }
    for (int j = 0; j < f; j++) {
      if (!(max[j] > min[j])) {
        throw new IllegalArgumentException(
            "column " + this.columns.get(j) + ": max must exceed min, got " + min[j] + ", " + max[j]);
      }
    }
    if (members.isEmpty()) {
      throw new IllegalArgumentException("members must hold at least one network");
    }
    for (Weights weights : members) {
      checkShapes(config, f, weights);
    }
    if (!(residualLower <= residualUpper)) {
      throw new IllegalArgumentException(
          "need residualLower <= residualUpper, got " + residualLower + ", " + residualUpper);
    }
    if (!(coverage > 0 && coverage < 1)) {
      throw new IllegalArgumentException("coverage must be in (0, 1), got " + coverage);
    }
    this.min = min.clone();
    this.max = max.clone();
    this.members = List.copyOf(members);
    this.residualLower = residualLower;
    this.residualUpper = residualUpper;
    this.coverage = coverage;
  }

  private static void checkShapes(Config config, int f, Weights weights) {
    int c = config.filters();
    int k = config.kernel();
    if (weights.convWeights().length != Config.CONVOLUTIONS
        || weights.convBiases().length != Config.CONVOLUTIONS) {
      throw new IllegalArgumentException(
          "need " + Config.CONVOLUTIONS + " convolutions, got " + weights.convWeights().length);
    }
    for (int l = 0; l < Config.CONVOLUTIONS; l++) {
      int in = l == 0 ? f : c;
      check("conv" + l + ".weight", weights.convWeights()[l], c * in * k);
      check("conv" + l + ".bias", weights.convBiases()[l], c);
    }
    check("dense.weight", weights.denseWeight(), config.hidden() * c * config.window());
    check("dense.bias", weights.denseBias(), config.hidden());
    check("out.weight", weights.outWeight(), config.hidden());
    check("out.bias", weights.outBias(), 1);
  }

  private static void check(String name, float[] a, int size) {
    if (a.length != size) {
      throw new IllegalArgumentException(name + " must have " + size + " values, got " + a.length);
    }
  }

  @Override
  public String family() {
    return FAMILY;
  }

  /** Two: healthy and failed (the degenerate form described in {@link #assess}). */
  @Override
  public int states() {
    return 2;
  }

  @Override
  public List<String> inputColumns() {
    return columns;
  }

  /**
   * The hyperparameters.
   *
   * @return the configuration
   */
  public Config config() {
    return config;
  }

  /**
   * The artifact version.
   *
   * @return the version
   */
  public String version() {
    return version;
  }

  /**
   * The ensemble's networks (copies).
   *
   * @return the parameters of each member
   */
  public List<Weights> members() {
    List<Weights> out = new ArrayList<>();
    for (Weights w : members) {
      out.add(new Weights(w.convWeights(), w.convBiases(), w.denseWeight(), w.denseBias(),
          w.outWeight(), w.outBias()));
    }
    return out;
  }

  /**
   * Per-column training minimum (a copy).
   *
   * @return shape (F)
   */
  public double[] min() {
    return min.clone();
  }

  /**
   * Per-column training maximum (a copy).
   *
   * @return shape (F)
   */
  public double[] max() {
    return max.clone();
  }

  /**
   * Lower residual quantile added to the mean for the interval.
   *
   * @return cycles
   */
  public double residualLower() {
    return residualLower;
  }

  /**
   * Upper residual quantile added to the mean for the interval.
   *
   * @return cycles
   */
  public double residualUpper() {
    return residualUpper;
  }

  /**
   * Nominal coverage of the interval.
   *
   * @return in (0, 1)
   */
  public double coverage() {
    return coverage;
  }

  /**
   * {@inheritDoc}
   *
   * <p>The mean is the network's output on the last W rows; the interval adds the validation
   * residual quantiles to it (clipped at 0 and kept around the mean). State probabilities are
   * degenerate: {@code P(failed) = 1 - mean / cap}, {@code P(healthy) = mean / cap}, i.e. the share
   * of the capped life used up; the network has no latent states.
   */
  @Override
  public Prognosis assess(double[][] history) {
    double mean = predict(history);
    double lower = Math.max(0, Math.min(mean, mean + residualLower));
    double upper = Math.max(mean, mean + residualUpper);
    double healthy = mean / config.rulCap();
    return new Prognosis(new double[] {healthy, 1 - healthy}, mean, lower, upper, coverage);
  }

  /**
   * The RUL mean of one history, in [0, cap].
   *
   * @param history raw values of {@link #inputColumns()}, oldest first; shape (cycles, F)
   * @return cycles
   * @throws IllegalArgumentException when the history is empty or a row has the wrong width
   */
  public double predict(double[][] history) {
    return forward(window(history));
  }

  /**
   * The scaled input window: the last W rows (front-padded with the first row when shorter),
   * min-max scaled to [-1, 1] with the training range, transposed to (F, W).
   *
   * @param history shape (cycles, F)
   * @return shape (F, W)
   * @throws IllegalArgumentException when the history is empty or a row has the wrong width
   */
  public float[][] window(double[][] history) {
    int f = columns.size();
    if (history == null || history.length == 0) {
      throw new IllegalArgumentException("history must hold at least one row");
    }
    int w = config.window();
    float[][] x = new float[f][w]; // (F, W)
    for (int t = 0; t < w; t++) {
      int row = Math.max(0, history.length - w + t);
      double[] r = history[row];
      if (r.length != f) {
        throw new IllegalArgumentException(
            "row " + row + " must have " + f + " values " + columns + ", got " + r.length);
      }
      for (int j = 0; j < f; j++) {
        x[j][t] = (float) (2 * (r[j] - min[j]) / (max[j] - min[j]) - 1);
      }
    }
    return x;
  }

  /**
   * The ensemble on one scaled window: the mean of the members' raw outputs, times the cap,
   * clipped to [0, cap].
   *
   * @param x shape (F, W)
   * @return the RUL in cycles
   */
  public double forward(float[][] x) {
    double sum = 0;
    for (Weights m : members) {
      sum += forward(m, x);
    }
    double result = sum / members.size();
    return Math.min(config.rulCap(), Math.max(0, result * config.rulCap()));
  }

  /**
   * One network on one scaled window, step by step (the naive twin of the DJL training forward).
   *
   * @param weights the network
   * @param x shape (F, W)
   * @return the raw output (RUL / cap, unclipped)
   */
  double forward(Weights weights, float[][] x) {
    int w = config.window();
    int k = config.kernel();
    int half = k / 2;
    float[][] h = x; // (C_in, W)
    // 1. Three "same" convolutions along time, ReLU
    for (int l = 0; l < Config.CONVOLUTIONS; l++) {
      float[] wt = weights.convWeights()[l]; // (C_out, C_in, k)
      float[] b = weights.convBiases()[l]; // (C_out)
      int in = h.length;
      int out = b.length;
      float[][] y = new float[out][w]; // (C_out, W)
      for (int o = 0; o < out; o++) {
        for (int t = 0; t < w; t++) {
          double s = b[o];
          for (int i = 0; i < in; i++) {
            int base = (o * in + i) * k;
            for (int j = 0; j < k; j++) {
              int src = t + j - half;
              if (src >= 0 && src < w) {
                s += wt[base + j] * h[i][src];
              }
            }
          }
          y[o][t] = (float) Math.max(0, s);
        }
      }
      h = y;
    }
    // 2-3. Flatten (c * W + t), dense + ReLU, output
    int c = h.length;
    int d = config.hidden();
    double result = weights.outBias()[0];
    for (int u = 0; u < d; u++) {
      double s = weights.denseBias()[u];
      int row = u * c * w;
      for (int ch = 0; ch < c; ch++) {
        for (int t = 0; t < w; t++) {
          s += weights.denseWeight()[row + ch * w + t] * h[ch][t];
        }
      }
      result += weights.outWeight()[u] * Math.max(0, s);
    }
    return result;
  }

  // ---------------------------------------------------------------------------------------------
  // Persistence
  // ---------------------------------------------------------------------------------------------

  /**
   * Writes the network ({@value #WEIGHTS_FILE}, DJL NDList) and its hyperparameters, columns,
   * min-max ranges and residual quantiles ({@value #SETTINGS_FILE}, JSON: doubles round-trip
   * exactly) into an existing directory.
   *
   * @param directory the artifact directory; not null
   * @throws IOException when a file cannot be written
   */
  public void save(Path directory) throws IOException {
    Map<String, dev.sibyl.models.artifact.Weights.Tensor> tensors = new LinkedHashMap<>();
    int f = columns.size();
    long c = config.filters();
    long d = config.hidden();
    for (int e = 0; e < members.size(); e++) {
      Weights w = members.get(e);
      String m = "m" + e + ".";
      for (int l = 0; l < Config.CONVOLUTIONS; l++) {
        long in = l == 0 ? f : c;
        tensor(tensors, m + "conv" + l + ".weight", w.convWeights()[l], c, in, config.kernel());
        tensor(tensors, m + "conv" + l + ".bias", w.convBiases()[l], c);
      }
      tensor(tensors, m + "dense.weight", w.denseWeight(), d, c * config.window());
      tensor(tensors, m + "dense.bias", w.denseBias(), d);
      tensor(tensors, m + "out.weight", w.outWeight(), 1, d);
      tensor(tensors, m + "out.bias", w.outBias(), 1);
    }
    dev.sibyl.models.artifact.Weights.write(directory.resolve(WEIGHTS_FILE), tensors);
    ObjectNode root = JSON.createObjectNode();
    root.put("settingsVersion", SETTINGS_VERSION);
    root.put("version", version);
    root.put("window", config.window());
    root.put("filters", config.filters());
    root.put("kernel", config.kernel());
    root.put("hidden", config.hidden());
    root.put("rulCap", config.rulCap());
    root.put("members", members.size());
    root.set("columns", JSON.valueToTree(columns));
    root.set("min", JSON.valueToTree(min));
    root.set("max", JSON.valueToTree(max));
    root.put("residualLower", residualLower);
    root.put("residualUpper", residualUpper);
    root.put("coverage", coverage);
    JSON.writeValue(directory.resolve(SETTINGS_FILE).toFile(), root);
  }

  /**
   * Reads a network written by {@link #save}.
   *
   * @param directory the artifact directory; not null
   * @return the network
   * @throws ArtifactException naming the file when one is missing, of an unknown version, corrupt
   *     or of the wrong shape
   */
  public static CnnRul load(Path directory) throws ArtifactException {
    Path settings = directory.resolve(SETTINGS_FILE);
    if (!Files.isRegularFile(settings)) {
      throw new ArtifactException(settings, "settings file missing", null);
    }
    JsonNode root;
    Config config;
    List<String> columns = new ArrayList<>();
    try {
      root = JSON.readTree(settings.toFile());
      int v = root.path("settingsVersion").asInt(-1);
      if (v != SETTINGS_VERSION) {
        throw new ArtifactException(settings, "unknown settingsVersion " + v
            + " (this build reads " + SETTINGS_VERSION + ")", null);
      }
      config = new Config(root.required("window").asInt(), root.required("filters").asInt(),
          root.required("kernel").asInt(), root.required("hidden").asInt(),
          root.required("rulCap").asDouble());
      root.required("columns").forEach(n -> columns.add(n.asText()));
    } catch (ArtifactException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new ArtifactException(settings, "corrupt cnn-rul settings: " + e.getMessage(), e);
    }
    Path file = directory.resolve(WEIGHTS_FILE);
    Map<String, dev.sibyl.models.artifact.Weights.Tensor> t = dev.sibyl.models.artifact.Weights.read(file);
    int f = columns.size();
    int c = config.filters();
    int d = config.hidden();
    int count = root.path("members").asInt(0);
    if (count < 1) {
      throw new ArtifactException(settings, "corrupt cnn-rul settings: members must be >= 1", null);
    }
    List<Weights> members = new ArrayList<>();
    for (int e = 0; e < count; e++) {
      String m = "m" + e + ".";
      float[][] cw = new float[Config.CONVOLUTIONS][];
      float[][] cb = new float[Config.CONVOLUTIONS][];
      for (int l = 0; l < Config.CONVOLUTIONS; l++) {
        int in = l == 0 ? f : c;
        cw[l] = dev.sibyl.models.artifact.Weights.require(file, t, m + "conv" + l + ".weight", c,
            in, config.kernel());
        cb[l] = dev.sibyl.models.artifact.Weights.require(file, t, m + "conv" + l + ".bias", c);
      }
      members.add(new CnnRul.Weights(cw, cb,
          dev.sibyl.models.artifact.Weights.require(file, t, m + "dense.weight", d,
              (long) c * config.window()),
          dev.sibyl.models.artifact.Weights.require(file, t, m + "dense.bias", d),
          dev.sibyl.models.artifact.Weights.require(file, t, m + "out.weight", 1, d),
          dev.sibyl.models.artifact.Weights.require(file, t, m + "out.bias", 1)));
    }
    try {
      return new CnnRul(config, root.required("version").asText(), columns,
          JSON.treeToValue(root.required("min"), double[].class),
          JSON.treeToValue(root.required("max"), double[].class), members,
          root.required("residualLower").asDouble(), root.required("residualUpper").asDouble(),
          root.required("coverage").asDouble());
    } catch (IOException | RuntimeException e) {
      throw new ArtifactException(settings, "corrupt cnn-rul settings: " + e.getMessage(), e);
    }
  }

  private static void tensor(Map<String, dev.sibyl.models.artifact.Weights.Tensor> tensors,
      String name, float[] data, long... shape) {
    tensors.put(name, new dev.sibyl.models.artifact.Weights.Tensor(data, shape));
  }

  @Override
  public String toString() {
    return "CnnRul[" + config + ", members=" + members.size() + ", columns=" + columns
        + ", residuals=" + Arrays.toString(
        new double[] {residualLower, residualUpper}) + "]";
  }
}

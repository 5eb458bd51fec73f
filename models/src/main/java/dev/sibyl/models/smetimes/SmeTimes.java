package dev.sibyl.models.smetimes;

import ai.djl.ndarray.NDScope;
import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.artifact.Weights;
import dev.sibyl.models.backbone.DecoderState;
import dev.sibyl.models.backbone.PinnedBackbone;
import dev.sibyl.models.norm.RevIn;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * SMETimes: Fan et al., "SMETimes: Small Language Models Are Effective Time Series Forecasters"
 * (2025), built on the AutoTimes protocol (Liu et al., NeurIPS 2024): per channel, the context of
 * 672 points is standardised by its own statistics and cut into 96-point segment tokens, a frozen
 * small LLM runs causally over them, every token predicts the next segment, and one model serves
 * every horizon by rolling its output forward.
 *
 * <p>SMETimes' three parts on top: (1) a statistically enhanced prompt per segment ({@link
 * StatisticalPrompt}: mean, standard deviation, change) embedded by the frozen LLM once and cached
 * ({@link PromptEmbeddings}); (2) adaptive fusion, token = alpha * embed(segment) + (1 - alpha) *
 * prompt embedding with alpha = sigmoid(g) learned; (3) a dynamic mixture of experts after the
 * backbone ({@link MixtureOfExperts}: K linear experts and a base predictor under a per-token
 * softmax gate, with a load-balancing loss). The base predictor is the paper's linear model of the
 * raw lookback, made causal: token t reads the {@code base.segments} segments up to t (the whole
 * 672-point context at the last token), zeros standing in for segments before the context.
 *
 * <p>Departures: the backbone is stories260K (width 64), far below the paper's 3B; the time-range
 * clause of the prompt is AutoTimes' relative timestamp text, embedded and added separately (see
 * {@link StatisticalPrompt} for why); both embeddings are L2-normalised before the fusion, as
 * AutoTimes normalises before adding its timestamps; the reference ships K = 1 (the mixture off),
 * here K = 4 by default; the experts are linear (the paper's and the issue's), whereas AutoTimes
 * here projects with an MLP; the base predictor's lookback is cut into the same segments as the
 * tokens, so one weight matrix serves every position and a streaming session needs only its cached
 * segments, and it starts as DLinear's linear layer does (the mean of its input); training can add a
 * rollout loss over a chain of K predictions fed back ({@code rollout.weight}, off by default;
 * {@code rollout.steps}) to AutoTimes' next-segment loss,
 * since the model is used by rolling its own predictions forward.
 *
 * <p>The model holds the loaded backbone and its parameters for its lifetime (a {@link
 * WindowModel} has no close). {@link #predict} is thread-safe.
 */
public final class SmeTimes implements WindowModel {

  /** The family name. */
  public static final String FAMILY = "smetimes";

  /** Windows x channels per forward pass in {@link #predict}, bounding native memory. */
  static final int PREDICT_ROWS = 256;

  private final SmeTimesConfig config;
  private final String version;
  private final PinnedBackbone backbone;
  private final SmeTimesNetwork network;
  private final long trainable;

  SmeTimes(SmeTimesConfig config, String version, PinnedBackbone backbone, SmeTimesNetwork network) {
    this.config = config;
    this.version = version;
    this.backbone = backbone;
    this.network = network;
    this.trainable = network.size();
  }

  /** The configuration. */
  public SmeTimesConfig config() {
    return config;
  }

  PinnedBackbone backbone() {
    return backbone;
  }

  SmeTimesNetwork network() {
    return network;
  }

  /** The trained parameters, in artifact order; copies. */
  public Map<String, Weights.Tensor> weights() {
    return network.weights();
  }

  /**
   * How many statistical prompts went through the LLM so far; every other use was a cache hit.
   *
   * @return the count
   */
  public long promptsComputed() {
    return network.prompts().computed();
  }

  /**
   * Seconds spent embedding statistical prompts so far.
   *
   * @return the time
   */
  public double promptSeconds() {
    return network.prompts().computeSeconds();
  }

  /**
   * The fusion weight of the segment embedding: learned, 1/2 when fixed, 1 without prompts.
   *
   * @return alpha in (0, 1]
   */
  public double alpha() {
    return network.alpha();
  }

  @Override
  public String family() {
    return FAMILY;
  }

  @Override
  public String version() {
    return version;
  }

  @Override
  public int lookback() {
    return config.lookback();
  }

  @Override
  public int horizon() {
    return config.horizon();
  }

  /** Channel-independent: any number of channels. */
  @Override
  public int channels() {
    return 0;
  }

  /** One model for every horizon: it rolls its own output forward. */
  @Override
  public boolean autoregressive() {
    return true;
  }

  @Override
  public Map<String, String> hyperparameters() {
    return config.toMap();
  }

  @Override
  public long parametersTrainable() {
    return trainable;
  }

  /** The trainable parameters plus every backbone weight. */
  @Override
  public long parametersTotal() {
    return trainable + backbone.parameters();
  }

  /**
   * {@inheritDoc}
   *
   * <p>Every channel of every window is one row; rows go through the network {@value
   * #PREDICT_ROWS} at a time, one full pass per 96 steps of the horizon. Each predicted segment
   * that enters the context has a new prompt: one more LLM pass over its text (batched).
   */
  @Override
  public double[][][] predict(double[][][] windows, int horizon) {
    WindowModel.checkRequest(this, windows, horizon);
    int rows = 0;
    for (double[][] w : windows) {
      rows += w.length;
    }
    double[][] x = new double[rows][];
    int r = 0;
    for (double[][] w : windows) {
      for (double[] channel : w) {
        x[r++] = channel;
      }
    }
    double[][] y = new double[rows][];
    for (int first = 0; first < rows; first += PREDICT_ROWS) {
      double[][] out = rollout(Arrays.copyOfRange(x, first, Math.min(rows, first + PREDICT_ROWS)), horizon);
      System.arraycopy(out, 0, y, first, out.length);
    }
    double[][][] result = new double[windows.length][][];
    r = 0;
    for (int b = 0; b < windows.length; b++) {
      result[b] = new double[windows[b].length][];
      for (int c = 0; c < windows[b].length; c++) {
        result[b][c] = y[r++];
      }
    }
    return result;
  }

  /**
   * AutoTimes' rollout: predict one segment, slide the context by it, standardise again, repeat;
   * trim to H.
   *
   * @param rows contexts on the data's scale; shape (N, L), not modified
   * @return shape (N, horizon)
   */
  double[][] rollout(double[][] rows, int horizon) {
    int n = rows.length;
    int l = config.lookback();
    int s = config.segmentLength();
    int steps = (horizon + s - 1) / s;
    double[][] context = new double[n][];
    for (int i = 0; i < n; i++) {
      context[i] = rows[i].clone();
    }
    double[][] out = new double[n][horizon];
    for (int step = 0; step < steps; step++) {
      double[][] next = nextSegment(context);
      for (int i = 0; i < n; i++) {
        int from = step * s;
        System.arraycopy(next[i], 0, out[i], from, Math.min(s, horizon - from));
        double[] c = new double[l];
        System.arraycopy(context[i], s, c, 0, l - s);
        System.arraycopy(next[i], 0, c, l - s, s);
        context[i] = c;
      }
    }
    return out;
  }

  /**
   * One full pass: the segment after each context.
   *
   * @param contexts on the data's scale; shape (N, L), not modified
   * @return shape (N, S), on the data's scale
   */
  double[][] nextSegment(double[][] contexts) {
    int n = contexts.length;
    int s = config.segmentLength();
    int t = config.segments();
    float[] prompts = config.prompt() ? network.prompts().embeddings(segments(contexts)) : null;
    double[][] x = new double[n][];
    for (int i = 0; i < n; i++) {
      x[i] = contexts[i].clone();
    }
    RevIn revIn = RevIn.normalise(x);
    float[] tokens = new float[n * t * s];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < t * s; k++) {
        tokens[i * t * s + k] = (float) x[i][k];
      }
    }
    float[] last = new float[n * s];
    try (NDScope scope = new NDScope();
        DecoderState state = network.newState(n)) {
      float[] all = network.forward(network.manager(), tokens, prompts, n, 0, null, state).prediction().toFloatArray();
      for (int i = 0; i < n; i++) {
        System.arraycopy(all, (i * t + t - 1) * s, last, i * s, s);
      }
    }
    double[][] out = new double[n][s];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < s; k++) {
        out[i][k] = last[i * s + k];
      }
      revIn.denormalise(i, out[i]);
    }
    return out;
  }

  /** Every context's segments in order, on the data's scale: (N * T) of shape (S). */
  List<double[]> segments(double[][] contexts) {
    int s = config.segmentLength();
    int t = config.segments();
    List<double[]> out = new ArrayList<>(contexts.length * t);
    for (double[] c : contexts) {
      for (int j = 0; j < t; j++) {
        out.add(Arrays.copyOfRange(c, j * s, (j + 1) * s));
      }
    }
    return out;
  }

  /**
   * Opens a streaming session for one series: the decoder's KV cache over its segments.
   *
   * @param values at least the lookback's worth of the newest observations; the last L are used
   * @return the session; the caller closes it
   */
  public SmeTimesSession openSession(double[] values) {
    return new SmeTimesSession(this, values);
  }

  @Override
  public String toString() {
    return "SMETimes[L=" + lookback() + ", S=" + config.segmentLength() + ", K=" + config.experts() + ", prompt="
        + config.prompt() + ", fusion=" + (config.learnedFusion() ? "learned" : "fixed") + "]";
  }
}

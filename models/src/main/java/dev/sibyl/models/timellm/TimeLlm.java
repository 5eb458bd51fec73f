package dev.sibyl.models.timellm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.artifact.Weights;
import dev.sibyl.models.backbone.DecoderState;
import dev.sibyl.models.norm.RevIn;
import java.util.Arrays;
import java.util.Map;

/**
 * Time-LLM: Jin, Wang, Ma, Chu, Zhang, Shi, Chen, Liang, Li, Pan &amp; Wen, "Time-LLM: Time Series
 * Forecasting by Reprogramming Large Language Models", ICLR 2024 (reference code
 * KimMeen/Time-LLM, {@code models/TimeLLM.py}).
 *
 * <p>Forward, per channel (channel-independent, shared weights): RevIN ({@link RevIn}); the prompt
 * of the normalised window ({@link PromptBuilder}) embedded by the frozen token table; patches of 16
 * at stride 8 embedded to d_model ({@link PatchEmbedding}); cross-attention from the patches to 1000
 * text prototypes mapped from the word embeddings ({@link ReprogrammingLayer}); the frozen decoder's
 * first k blocks over [prompt; patches]; the last-patch-count hidden states, their first d_ff
 * features, flattened and mapped to H by a linear head; RevIN undone. Only the non-backbone
 * parameters train.
 *
 * <p>Departures, besides those of the stage classes: the backbone is any {@link
 * dev.sibyl.models.backbone.Decoder} (the paper uses LLaMA-7B, all 32 layers; here stories260K,
 * whose width D = 64 caps d_ff at 64); no dropout; the {@code llm=false} ablation (Tan et al.,
 * NeurIPS 2024, "Are Language Models Actually Useful for Time Series Forecasting?") feeds the
 * reprogrammed patches straight to the head; the prompt's shared part (BOS, domain, task) is one
 * decoder pass per model whose cache every forward pass starts from ({@link PromptBuilder}), the
 * same computation as the paper's pass over the whole prompt (tested to 1e-5).
 *
 * <p>As in the reference (Hugging Face's LLaMA with {@code num_hidden_layers} cut to k), the hidden
 * states the head reads are after the final RMSNorm. With stories260K that norm's weights average
 * 1.8 in magnitude (up to 4.4), so the head's 64 x 64 input features have an RMS near 2, about ten
 * times the reprogrammed embeddings that the no-LLM ablation feeds it: one Adam step at lr 0.005
 * then moves a forecast by about lr x 4096 x 1.6 = 30 standard units, which is why the first batches
 * diverged without a warm-up. Training therefore offers the reference's OneCycle schedule ({@code
 * lr.schedule=onecycle}: a warm-up from lr/25). {@code head.input=residual} (a departure) has the
 * head read the residual stream before that norm instead: the norm, trained for the classifier
 * after all the checkpoint's blocks, rescales every patch to one RMS and discards the magnitude the
 * reprogrammed patch carried into the residual stream.
 *
 * <p>The model holds the loaded backbone and its parameters in native memory for its lifetime (a
 * {@link WindowModel} has no close: one artifact is loaded per process and lives as long). {@link
 * #predict} is thread-safe: each call works in its own scope.
 */
public final class TimeLlm implements WindowModel {

  /** The family name. */
  public static final String FAMILY = "time-llm";

  /** Windows x channels per forward pass in {@link #predict}, bounding native memory. */
  static final int PREDICT_ROWS = 64;

  private final TimeLlmConfig config;
  private final String version;
  private final TimeLlmBackbone backbone;
  private final TimeLlmNetwork network;
  private final PromptBuilder prompts;
  private final long trainable;

  TimeLlm(TimeLlmConfig config, String version, TimeLlmBackbone backbone, Map<String, Weights.Tensor> weights) {
    this.config = config;
    this.version = version;
    this.backbone = backbone;
    this.prompts =
        new PromptBuilder(
            backbone.tokenizer(), config.domain(), config.lookback(), config.horizon(), config.promptTokens());
    this.network = new TimeLlmNetwork(config, backbone.decoder(), weights, prompts.sharedIds());
    this.trainable = network.size();
  }

  /** The configuration. */
  public TimeLlmConfig config() {
    return config;
  }

  /** The prompt builder (fixed length). */
  public PromptBuilder prompts() {
    return prompts;
  }

  TimeLlmBackbone backbone() {
    return backbone;
  }

  TimeLlmNetwork network() {
    return network;
  }

  /** The trained parameters, in artifact order; copies. */
  public Map<String, Weights.Tensor> weights() {
    return network.weights();
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

  /** Direct multi-step: horizons up to H. */
  @Override
  public boolean autoregressive() {
    return false;
  }

  @Override
  public Map<String, String> hyperparameters() {
    return config.toMap();
  }

  @Override
  public long parametersTrainable() {
    return trainable;
  }

  /** The trainable parameters plus every backbone weight (the token table counted once). */
  @Override
  public long parametersTotal() {
    var c = backbone.decoder().config();
    long d = c.dim();
    long kv = d * c.nKvHeads() / c.nHeads();
    long perLayer = 2 * d * d + 2 * d * kv + 3 * d * c.hiddenDim() + 2 * d;
    return trainable + (long) c.vocabSize() * d + c.nLayers() * perLayer + d;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Every channel of every window is one row; rows go through the network {@value
   * #PREDICT_ROWS} at a time. Horizons below H return the first steps.
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
        x[r++] = channel.clone();
      }
    }
    double[][] y = forecastNormalised(x, RevIn.normalise(x));
    double[][][] out = new double[windows.length][][];
    r = 0;
    for (int b = 0; b < windows.length; b++) {
      out[b] = new double[windows[b].length][];
      for (int c = 0; c < windows[b].length; c++) {
        out[b][c] = Arrays.copyOf(y[r++], horizon);
      }
    }
    return out;
  }

  /** Forecasts normalised rows and scales them back; rows are (N, L), the result (N, H). */
  private double[][] forecastNormalised(double[][] x, RevIn revIn) {
    int h = config.horizon();
    double[][] y = new double[x.length][];
    for (int first = 0; first < x.length; first += PREDICT_ROWS) {
      int count = Math.min(PREDICT_ROWS, x.length - first);
      double[][] chunk = Arrays.copyOfRange(x, first, first + count);
      float[] out;
      try (NDScope scope = new NDScope();
          DecoderState state = network.newState(count)) {
        NDArray f = network.forward(chunk, promptIds(chunk), state);
        out = f.toFloatArray();
      }
      for (int i = 0; i < count; i++) {
        double[] row = new double[h];
        for (int t = 0; t < h; t++) {
          row[t] = out[i * h + t];
        }
        revIn.denormalise(first + i, row);
        y[first + i] = row;
      }
    }
    return y;
  }

  /**
   * The own prompt ids (statistics) of normalised rows, or null without the LLM (no prompt is
   * read); the shared part is in the network's cache.
   */
  int[][] promptIds(double[][] rows) {
    if (!config.llm()) {
      return null;
    }
    int[][] ids = new int[rows.length][];
    for (int i = 0; i < rows.length; i++) {
      ids[i] = prompts.statisticsIds(rows[i]);
    }
    return ids;
  }

  @Override
  public String toString() {
    return "TimeLlm[L=" + lookback() + ", H=" + horizon() + ", llm=" + config.llm() + "]";
  }
}

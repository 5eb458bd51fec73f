package dev.sibyl.models.smamba;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.artifact.Weights;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * S-Mamba: Wang, Kong, Feng et al., "Is Mamba Effective for Time Series Forecasting?"
 * (arXiv:2403.11144, 2024; reference code wzhwzhwzh0921/S-D-Mamba, {@code
 * model/S_Mamba.py}, {@code layers/Mamba_EncDec.py}).
 *
 * <p>Forward on windows (B, C, L):
 *
 * <ol>
 *   <li>non-stationary normalisation: each window and variate minus its mean, over
 *       sqrt(variance + 1e-5), undone on the output;
 *   <li>each variate's lookback is one token: Linear(L -&gt; d_model), dropout;
 *   <li>per encoder layer: {@code x = LayerNorm(x + Mamba_f(x) + flip(Mamba_b(flip(x))))} over the
 *       variate axis (two blocks with their own weights), then {@code x = LayerNorm(x +
 *       dropout(W2 dropout(GELU(W1 x))))};
 *   <li>a final LayerNorm and Linear(d_model -&gt; H).
 * </ol>
 *
 * <p>Departures: the reference also embeds the time features of the lookback (4 for hourly ETT) as
 * extra tokens (iTransformer's {@code DataEmbedding_inverted} with {@code x_mark}); this model
 * embeds the variates only, because the training data and the streamed windows carry values, not
 * calendar features.
 * Inference runs the same DJL forward (without dropout) in a manager opened per call.
 *
 * <p>Weights (linear weights stored (in, out)): {@code embed.weight} (L, d_model), {@code
 * embed.bias}; per layer l, {@code layer.l.forward.*} and {@code layer.l.backward.*} (see {@link
 * MambaBlock}), {@code layer.l.norm1.gamma/beta}, {@code layer.l.ff1.weight} (d_model, d_ff),
 * {@code ff1.bias}, {@code ff2.weight} (d_ff, d_model), {@code ff2.bias}, {@code norm2.gamma/beta};
 * {@code norm.gamma/beta}; {@code head.weight} (d_model, H), {@code head.bias} (H).
 *
 * <p>Immutable and thread-safe: a window's tokens are scanned within one call, so there is no
 * per-sequence state to keep between calls.
 */
public final class SMamba implements WindowModel {

  /** The family name. */
  public static final String FAMILY = "s-mamba";

  /** LayerNorm's epsilon (PyTorch's default). */
  private static final float LN_EPS = 1e-5f;

  /** Windows per inference chunk, to bound native memory. */
  private static final int PREDICT_CHUNK = 256;

  private final SMambaConfig config;
  private final int lookback;
  private final int horizon;
  private final String version;
  private final Map<String, Weights.Tensor> weights; // name to tensor, in shapes() order

  /**
   * Creates the model from its weights (copied).
   *
   * @param config the configuration; channels must be positive
   * @param lookback L
   * @param horizon H
   * @param version the artifact version; not null
   * @param weights every name of {@link #shapes} with its values; not null
   * @throws IllegalArgumentException when channels is 0, a weight is missing or of the wrong size
   */
  public SMamba(
      SMambaConfig config, int lookback, int horizon, String version, Map<String, float[]> weights) {
    if (config.channels() < 1) {
      throw new IllegalArgumentException(
          "s-mamba mixes the variates and needs hyperparameter '" + SMambaConfig.CHANNELS
              + "' >= 1 (training sets it from the data)");
    }
    this.config = config;
    this.lookback = lookback;
    this.horizon = horizon;
    this.version = java.util.Objects.requireNonNull(version, "version");
    Map<String, Weights.Tensor> w = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> e : shapes(config, lookback, horizon).entrySet()) {
      float[] v = weights.get(e.getKey());
      long size = new Shape(e.getValue()).size();
      if (v == null || v.length != size) {
        throw new IllegalArgumentException(
            "s-mamba weight '" + e.getKey() + "' must have " + size + " values, got "
                + (v == null ? "none" : v.length));
      }
      w.put(e.getKey(), new Weights.Tensor(v.clone(), e.getValue()));
    }
    this.weights = Collections.unmodifiableMap(w);
  }

  /**
   * Every weight's name and shape, in a fixed order.
   *
   * @param cfg the configuration
   * @param lookback L
   * @param horizon H
   * @return name to shape
   */
  public static Map<String, long[]> shapes(SMambaConfig cfg, int lookback, int horizon) {
    long d = cfg.dModel();
    Map<String, long[]> s = new LinkedHashMap<>();
    s.put("embed.weight", new long[] {lookback, d});
    s.put("embed.bias", new long[] {d});
    for (int l = 0; l < cfg.layers(); l++) {
      String p = "layer." + l + ".";
      MambaBlock.shapes(p + "forward.", cfg, s);
      MambaBlock.shapes(p + "backward.", cfg, s);
      s.put(p + "norm1.gamma", new long[] {d});
      s.put(p + "norm1.beta", new long[] {d});
      s.put(p + "ff1.weight", new long[] {d, cfg.dFf()});
      s.put(p + "ff1.bias", new long[] {cfg.dFf()});
      s.put(p + "ff2.weight", new long[] {cfg.dFf(), d});
      s.put(p + "ff2.bias", new long[] {d});
      s.put(p + "norm2.gamma", new long[] {d});
      s.put(p + "norm2.beta", new long[] {d});
    }
    s.put("norm.gamma", new long[] {d});
    s.put("norm.beta", new long[] {d});
    s.put("head.weight", new long[] {d, horizon});
    s.put("head.bias", new long[] {horizon});
    return s;
  }

  /**
   * The forward pass on DJL arrays (training and inference).
   *
   * @param cfg the configuration
   * @param w weights by name ({@link #shapes}); not null
   * @param x windows; shape (B, C, L)
   * @param dropout applied where the reference drops out; identity for inference
   * @return forecasts; shape (B, C, H)
   */
  public static NDArray forward(
      SMambaConfig cfg, Map<String, NDArray> w, NDArray x, UnaryOperator<NDArray> dropout) {
    // 1. Non-stationary normalisation over each variate's lookback (unbiased=False variance)
    NDArray mean = x.mean(new int[] {2}, true); // (B, C, 1)
    NDArray centred = x.sub(mean);
    NDArray std = centred.square().mean(new int[] {2}, true).add(1e-5f).sqrt(); // (B, C, 1)
    NDArray xn = centred.div(std);
    // 2. Inverted embedding: a variate's whole lookback is one token; (B, C, d_model)
    NDArray tokens = dropout.apply(xn.matMul(w.get("embed.weight")).add(w.get("embed.bias")));
    // 3. Encoder layers
    for (int l = 0; l < cfg.layers(); l++) {
      String p = "layer." + l + ".";
      // Mamba(x) + flip(Mamba(flip(x))) over the variate axis, residual, LayerNorm
      NDArray mixed =
          MambaBlock.forward(w, p + "forward.", cfg, tokens)
              .add(MambaBlock.forward(w, p + "backward.", cfg, tokens.flip(1)).flip(1));
      tokens = layerNorm(tokens.add(mixed), w.get(p + "norm1.gamma"), w.get(p + "norm1.beta"));
      // feed-forward (the reference's two kernel-1 convolutions), residual, LayerNorm
      NDArray y = dropout.apply(
          Activation.gelu(tokens.matMul(w.get(p + "ff1.weight")).add(w.get(p + "ff1.bias"))));
      y = dropout.apply(y.matMul(w.get(p + "ff2.weight")).add(w.get(p + "ff2.bias")));
      tokens = layerNorm(tokens.add(y), w.get(p + "norm2.gamma"), w.get(p + "norm2.beta"));
    }
    // 4. Final LayerNorm, projector to the horizon, de-normalisation
    tokens = layerNorm(tokens, w.get("norm.gamma"), w.get("norm.beta"));
    NDArray out = tokens.matMul(w.get("head.weight")).add(w.get("head.bias")); // (B, C, H)
    return out.mul(std).add(mean);
  }

  /** LayerNorm over the last axis with PyTorch's biased variance. */
  private static NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta) {
    NDArray mu = x.mean(new int[] {-1}, true);
    NDArray centred = x.sub(mu);
    NDArray var = centred.square().mean(new int[] {-1}, true);
    return centred.div(var.add(LN_EPS).sqrt()).mul(gamma).add(beta);
  }

  /**
   * Copies the weights into a manager.
   *
   * @param manager owns the arrays; not null
   * @return name to array, shaped as {@link #shapes}
   */
  public Map<String, NDArray> toArrays(NDManager manager) {
    Map<String, NDArray> w = new LinkedHashMap<>();
    for (Map.Entry<String, Weights.Tensor> e : weights.entrySet()) {
      w.put(e.getKey(), manager.create(e.getValue().data(), new Shape(e.getValue().shape())));
    }
    return w;
  }

  /** The configuration. */
  public SMambaConfig config() {
    return config;
  }

  /** The weights by name, as stored in the artifact (arrays shared: do not modify). */
  Map<String, Weights.Tensor> tensors() {
    return weights;
  }

  /**
   * One weight's values.
   *
   * @param name a name of {@link #shapes}
   * @return a copy
   * @throws IllegalArgumentException for an unknown name
   */
  public float[] weight(String name) {
    Weights.Tensor t = weights.get(name);
    if (t == null) {
      throw new IllegalArgumentException("no s-mamba weight '" + name + "'");
    }
    return t.data().clone();
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
    return lookback;
  }

  @Override
  public int horizon() {
    return horizon;
  }

  /** Multivariate: the variates it was trained on, in their order. */
  @Override
  public int channels() {
    return config.channels();
  }

  /** A direct multi-step model: it serves horizons up to H only. */
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
    long n = 0;
    for (Weights.Tensor t : weights.values()) {
      n += t.data().length;
    }
    return n;
  }

  @Override
  public long parametersTotal() {
    return parametersTrainable();
  }

  /**
   * {@inheritDoc}
   *
   * <p>Horizons below H return the first steps of the H-step forecast.
   */
  @Override
  public double[][][] predict(double[][][] windows, int steps) {
    WindowModel.checkRequest(this, windows, steps);
    int c = config.channels();
    double[][][] out = new double[windows.length][][];
    try (NDManager manager = NDManager.newBaseManager()) {
      Map<String, NDArray> w = toArrays(manager);
      for (int first = 0; first < windows.length; first += PREDICT_CHUNK) {
        int count = Math.min(PREDICT_CHUNK, windows.length - first);
        float[] x = new float[count * c * lookback]; // (count, C, L)
        for (int b = 0; b < count; b++) {
          for (int ch = 0; ch < c; ch++) {
            for (int t = 0; t < lookback; t++) {
              x[(b * c + ch) * lookback + t] = (float) windows[first + b][ch][t];
            }
          }
        }
        float[] y;
        try (NDManager chunk = manager.newSubManager()) {
          NDArray input = chunk.create(x, new Shape(count, c, lookback));
          y = forward(config, w, input, UnaryOperator.identity()).toFloatArray(); // (count, C, H)
        }
        for (int b = 0; b < count; b++) {
          out[first + b] = new double[c][steps];
          for (int ch = 0; ch < c; ch++) {
            for (int k = 0; k < steps; k++) {
              out[first + b][ch][k] = y[(b * c + ch) * horizon + k];
            }
          }
        }
      }
    }
    return out;
  }

  @Override
  public String toString() {
    return "SMamba[L=" + lookback + ", H=" + horizon + ", C=" + config.channels() + ", d_model="
        + config.dModel() + ", layers=" + config.layers() + "]";
  }
}

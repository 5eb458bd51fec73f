package dev.sibyl.models.smamba;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.util.Map;
import java.util.Random;

/**
 * One Mamba block (Gu &amp; Dao, "Mamba: Linear-Time Sequence Modeling with Selective State
 * Spaces", 2023; the {@code Mamba} module of state-spaces/mamba, {@code mamba_simple.py}, as
 * S-Mamba instantiates it) on DJL arrays.
 *
 * <p>Weights are named {@code prefix + name} in a flat map; linear weights are stored (in, out),
 * the transpose of PyTorch's, so that a projection is one {@code matMul}. With E = expand x d_model
 * and R = ceil(d_model / 16):
 *
 * <ul>
 *   <li>{@code in_proj} (d_model, 2E), no bias;
 *   <li>{@code conv.weight} (d_conv, E), {@code conv.bias} (E): the depthwise causal convolution,
 *       tap k multiplying x_(t - d_conv + 1 + k);
 *   <li>{@code x_proj} (E, R + 2N), no bias: delta's low-rank input, B and C;
 *   <li>{@code dt_proj.weight} (R, E), {@code dt_proj.bias} (E);
 *   <li>{@code A_log} (E, N), {@code D} (E);
 *   <li>{@code out_proj} (E, d_model), no bias.
 * </ul>
 *
 * <p>Departures: none in the math. The fused CUDA kernels are replaced by {@link SelectiveScan},
 * which materialises the states (cheap here: the sequence is the few variates).
 */
public final class MambaBlock {

  private MambaBlock() {}

  /**
   * Adds the block's weight shapes to {@code shapes}.
   *
   * @param prefix the name prefix, e.g. {@code layer.0.forward.}
   * @param cfg the configuration
   * @param shapes name to shape, appended in order
   */
  public static void shapes(String prefix, SMambaConfig cfg, Map<String, long[]> shapes) {
    long d = cfg.dModel();
    long e = cfg.dInner();
    long n = cfg.dState();
    long r = cfg.dtRank();
    shapes.put(prefix + "in_proj", new long[] {d, 2 * e});
    shapes.put(prefix + "conv.weight", new long[] {cfg.dConv(), e});
    shapes.put(prefix + "conv.bias", new long[] {e});
    shapes.put(prefix + "x_proj", new long[] {e, r + 2 * n});
    shapes.put(prefix + "dt_proj.weight", new long[] {r, e});
    shapes.put(prefix + "dt_proj.bias", new long[] {e});
    shapes.put(prefix + "A_log", new long[] {e, n});
    shapes.put(prefix + "D", new long[] {e});
    shapes.put(prefix + "out_proj", new long[] {e, d});
  }

  /**
   * mamba_ssm's initialisation: linear layers and the convolution uniform in +-1/sqrt(fan_in)
   * (PyTorch's default), dt_proj's weight uniform in +-R^-0.5 and its bias the inverse softplus of
   * a step log-uniform in [0.001, 0.1], A_log = log(1..N) for every channel (S4D-Real), D = 1.
   *
   * @param prefix the name prefix
   * @param cfg the configuration
   * @param random the generator
   * @param weights name to values, appended
   */
  public static void initialise(
      String prefix, SMambaConfig cfg, Random random, Map<String, float[]> weights) {
    int d = cfg.dModel();
    int e = cfg.dInner();
    int n = cfg.dState();
    int r = cfg.dtRank();
    weights.put(prefix + "in_proj", uniform(random, d * 2 * e, 1 / Math.sqrt(d)));
    weights.put(prefix + "conv.weight", uniform(random, cfg.dConv() * e, 1 / Math.sqrt(cfg.dConv())));
    weights.put(prefix + "conv.bias", uniform(random, e, 1 / Math.sqrt(cfg.dConv())));
    weights.put(prefix + "x_proj", uniform(random, e * (r + 2 * n), 1 / Math.sqrt(e)));
    weights.put(prefix + "dt_proj.weight", uniform(random, r * e, Math.pow(r, -0.5)));
    float[] dtBias = new float[e];
    for (int i = 0; i < e; i++) {
      double dt = Math.exp(random.nextDouble() * (Math.log(0.1) - Math.log(0.001)) + Math.log(0.001));
      dt = Math.max(dt, 1e-4);
      // inverse of softplus: dt + log(1 - exp(-dt))
      dtBias[i] = (float) (dt + Math.log(-Math.expm1(-dt)));
    }
    weights.put(prefix + "dt_proj.bias", dtBias);
    float[] aLog = new float[e * n];
    for (int i = 0; i < e; i++) {
      for (int j = 0; j < n; j++) {
        aLog[i * n + j] = (float) Math.log(j + 1);
      }
    }
    weights.put(prefix + "A_log", aLog);
    float[] skip = new float[e];
    java.util.Arrays.fill(skip, 1f);
    weights.put(prefix + "D", skip);
    weights.put(prefix + "out_proj", uniform(random, e * d, 1 / Math.sqrt(e)));
  }

  static float[] uniform(Random random, int size, double bound) {
    float[] a = new float[size];
    for (int i = 0; i < size; i++) {
      a[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
    }
    return a;
  }

  /**
   * The block's forward.
   *
   * @param w weights by name; not null
   * @param prefix the name prefix
   * @param cfg the configuration
   * @param x input; shape (B, L, d_model)
   * @return shape (B, L, d_model)
   */
  public static NDArray forward(Map<String, NDArray> w, String prefix, SMambaConfig cfg, NDArray x) {
    long e = cfg.dInner();
    long n = cfg.dState();
    long r = cfg.dtRank();
    // 1. in_proj to x and the gate z: xz = x W_in; (B, L, 2E)
    NDArray xz = x.matMul(w.get(prefix + "in_proj"));
    NDArray xs = xz.get(new NDIndex(":, :, :{}", e)); // (B, L, E)
    NDArray z = xz.get(new NDIndex(":, :, {}:", e)); // (B, L, E)
    // 2. causal depthwise conv1d (padding d_conv - 1 on the left, output cut to L), then SiLU
    NDArray u = silu(causalConv(xs, w.get(prefix + "conv.weight"), w.get(prefix + "conv.bias")));
    // 3. x_proj to delta's low-rank input, B and C; delta = softplus(dt W_dt + b_dt)
    NDArray dbc = u.matMul(w.get(prefix + "x_proj")); // (B, L, R + 2N)
    NDArray dt = dbc.get(new NDIndex(":, :, :{}", r)); // (B, L, R)
    NDArray b = dbc.get(new NDIndex(":, :, {}:{}", r, r + n)); // (B, L, N)
    NDArray c = dbc.get(new NDIndex(":, :, {}:", r + n)); // (B, L, N)
    NDArray delta =
        Activation.softPlus(dt.matMul(w.get(prefix + "dt_proj.weight")).add(w.get(prefix + "dt_proj.bias")));
    // 4. A = -exp(A_log); the selective scan with the D skip
    NDArray a = w.get(prefix + "A_log").exp().neg(); // (E, N)
    NDArray y = SelectiveScan.scan(u, delta, a, b, c, w.get(prefix + "D")); // (B, L, E)
    // 5. gate by SiLU(z), out_proj
    return y.mul(silu(z)).matMul(w.get(prefix + "out_proj"));
  }

  /**
   * The depthwise causal convolution: {@code out_t = bias + sum_k weight[k] x_(t - K + 1 + k)},
   * zeros before the first token (PyTorch's {@code Conv1d(groups=E, padding=K-1)} cut to the
   * first L outputs).
   *
   * @param x input; shape (B, L, E)
   * @param weight taps; shape (K, E), tap K-1 on the current token
   * @param bias shape (E)
   * @return shape (B, L, E)
   */
  static NDArray causalConv(NDArray x, NDArray weight, NDArray bias) {
    long len = x.getShape().get(1);
    long k = weight.getShape().get(0);
    NDArray padded = k == 1 ? x
        : x.getManager().zeros(new Shape(x.getShape().get(0), k - 1, x.getShape().get(2)), x.getDataType())
            .concat(x, 1); // (B, K - 1 + L, E)
    NDArray out = bias;
    for (long tap = 0; tap < k; tap++) {
      out = out.add(padded.get(new NDIndex(":, {}:{}", tap, tap + len)).mul(weight.get(tap)));
    }
    return out;
  }

  /** SiLU (swish with beta 1): x sigmoid(x). */
  static NDArray silu(NDArray x) {
    return x.mul(Activation.sigmoid(x));
  }
}

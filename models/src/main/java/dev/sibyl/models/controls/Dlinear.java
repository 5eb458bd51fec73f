package dev.sibyl.models.controls;

import dev.sibyl.models.api.WindowModel;
import java.util.Map;

/**
 * DLinear: Zeng, Chen, Zhang &amp; Xu, "Are Transformers Effective for Time Series Forecasting?",
 * AAAI 2023 (reference code cure-lab/LTSF-Linear, {@code models/DLinear.py}).
 *
 * <p>Forward, per channel (channel-independent, one set of weights shared by every channel: the
 * paper's default {@code individual=False}):
 *
 * <ol>
 *   <li>trend = moving average of kernel 25, stride 1, the window padded by repeating its first and
 *       last value (kernel - 1) / 2 times ({@code series_decomp});
 *   <li>seasonal = x - trend;
 *   <li>y = Linear_Seasonal(seasonal) + Linear_Trend(trend), each Linear(L -&gt; H) with a bias.
 * </ol>
 *
 * <p>Departure: inference uses the folded form. Every step is linear, so {@code y = x W + b} with
 * {@code W = (I - A) Ws + A Wt}, {@code b = bs + bt} and A the moving-average operator; the fold is
 * computed once at construction and predicts in one matrix-vector product per channel on the Java
 * heap (no native memory per request). {@link #forwardTwoBranch} is the paper's two-branch form,
 * the naive twin the tests compare the fold with. Training ({@link DlinearFamily}) uses the
 * two-branch form on DJL.
 *
 * <p>Immutable and thread-safe.
 */
public final class Dlinear implements WindowModel {

  /** The family name. */
  public static final String FAMILY = "dlinear";

  /** Hyperparameter: moving-average kernel size (odd). */
  public static final String KERNEL_SIZE = "kernel.size";

  /** The paper's kernel size. */
  public static final int KERNEL_SIZE_DEFAULT = 25;

  private final int lookback;
  private final int horizon;
  private final int kernel;
  private final String version;
  private final float[] seasonalWeight; // (L, H), row-major: Linear_Seasonal.weight transposed
  private final float[] seasonalBias; // (H)
  private final float[] trendWeight; // (L, H)
  private final float[] trendBias; // (H)
  private final double[] folded; // (L, H): (I - A) Ws + A Wt
  private final double[] foldedBias; // (H): bs + bt

  /**
   * Creates the model from its weights (copied).
   *
   * @param lookback L
   * @param horizon H
   * @param kernel moving-average kernel, odd, at least 1
   * @param version the artifact version; not null
   * @param seasonalWeight shape (L, H)
   * @param seasonalBias shape (H)
   * @param trendWeight shape (L, H)
   * @param trendBias shape (H)
   * @throws IllegalArgumentException when a shape is wrong or the kernel even
   */
  public Dlinear(
      int lookback,
      int horizon,
      int kernel,
      String version,
      float[] seasonalWeight,
      float[] seasonalBias,
      float[] trendWeight,
      float[] trendBias) {
    if (kernel < 1 || kernel % 2 == 0) {
      throw new IllegalArgumentException(KERNEL_SIZE + " must be odd and >= 1, got " + kernel);
    }
    check("seasonalWeight", seasonalWeight, lookback * horizon);
    check("trendWeight", trendWeight, lookback * horizon);
    check("seasonalBias", seasonalBias, horizon);
    check("trendBias", trendBias, horizon);
    this.lookback = lookback;
    this.horizon = horizon;
    this.kernel = kernel;
    this.version = version;
    this.seasonalWeight = seasonalWeight.clone();
    this.seasonalBias = seasonalBias.clone();
    this.trendWeight = trendWeight.clone();
    this.trendBias = trendBias.clone();
    // fold: W[j][h] = sum_i ((I - A)[i][j] Ws[i][h] + A[i][j] Wt[i][h]) with trend_i = sum_j A[i][j] x_j
    double[][] a = movingAverage(lookback, kernel);
    folded = new double[lookback * horizon];
    for (int i = 0; i < lookback; i++) {
      for (int j = 0; j < lookback; j++) {
        double aij = a[i][j];
        double sij = (i == j ? 1 : 0) - aij;
        if (aij == 0 && sij == 0) {
          continue;
        }
        for (int h = 0; h < horizon; h++) {
          folded[j * horizon + h] +=
              sij * seasonalWeight[i * horizon + h] + aij * trendWeight[i * horizon + h];
        }
      }
    }
    foldedBias = new double[horizon];
    for (int h = 0; h < horizon; h++) {
      foldedBias[h] = (double) seasonalBias[h] + trendBias[h];
    }
  }

  private static void check(String name, float[] a, int size) {
    if (a.length != size) {
      throw new IllegalArgumentException(name + " must have " + size + " values, got " + a.length);
    }
  }

  /**
   * The moving-average operator with edge replication: {@code trend = A x}.
   *
   * @param lookback L
   * @param kernel k, odd
   * @return A; shape (L, L)
   */
  public static double[][] movingAverage(int lookback, int kernel) {
    int half = (kernel - 1) / 2;
    double[][] a = new double[lookback][lookback];
    for (int t = 0; t < lookback; t++) {
      for (int j = -half; j <= half; j++) {
        // padded index t + j clamps to the first / last value (the replicated edges)
        int src = Math.min(lookback - 1, Math.max(0, t + j));
        a[t][src] += 1.0 / kernel;
      }
    }
    return a;
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

  /** Channel-independent: any number of channels. */
  @Override
  public int channels() {
    return 0;
  }

  /** A direct multi-step model: it serves horizons up to H only. */
  @Override
  public boolean autoregressive() {
    return false;
  }

  @Override
  public Map<String, String> hyperparameters() {
    return Map.of(KERNEL_SIZE, Integer.toString(kernel));
  }

  @Override
  public long parametersTrainable() {
    return 2L * (lookback * (long) horizon + horizon);
  }

  @Override
  public long parametersTotal() {
    return parametersTrainable();
  }

  /** The kernel size. */
  public int kernel() {
    return kernel;
  }

  /** Linear_Seasonal weight; shape (L, H); a copy. */
  public float[] seasonalWeight() {
    return seasonalWeight.clone();
  }

  /** Linear_Seasonal bias; shape (H); a copy. */
  public float[] seasonalBias() {
    return seasonalBias.clone();
  }

  /** Linear_Trend weight; shape (L, H); a copy. */
  public float[] trendWeight() {
    return trendWeight.clone();
  }

  /** Linear_Trend bias; shape (H); a copy. */
  public float[] trendBias() {
    return trendBias.clone();
  }

  /**
   * {@inheritDoc}
   *
   * <p>Horizons below H return the first steps of the H-step forecast.
   */
  @Override
  public double[][][] predict(double[][][] windows, int steps) {
    WindowModel.checkRequest(this, windows, steps);
    double[][][] out = new double[windows.length][][];
    double[] y = new double[horizon]; // (H) work space
    for (int b = 0; b < windows.length; b++) {
      out[b] = new double[windows[b].length][];
      for (int c = 0; c < windows[b].length; c++) {
        // y = x W + b: row j of W scaled by x_j, accumulated (inner loop contiguous)
        double[] x = windows[b][c];
        System.arraycopy(foldedBias, 0, y, 0, horizon);
        for (int j = 0; j < lookback; j++) {
          double xj = x[j];
          int row = j * horizon;
          for (int h = 0; h < horizon; h++) {
            y[h] += xj * folded[row + h];
          }
        }
        out[b][c] = java.util.Arrays.copyOf(y, steps);
      }
    }
    return out;
  }

  /**
   * The paper's forward for one series, step by step: the naive twin of the folded {@link
   * #predict}.
   *
   * @param x one channel's window; shape (L)
   * @return shape (H)
   */
  public double[] forwardTwoBranch(double[] x) {
    // 1. series_decomp: trend by the edge-replicated moving average, seasonal the remainder
    int half = (kernel - 1) / 2;
    double[] trend = new double[lookback];
    double[] seasonal = new double[lookback];
    for (int t = 0; t < lookback; t++) {
      double s = 0;
      for (int j = -half; j <= half; j++) {
        s += x[Math.min(lookback - 1, Math.max(0, t + j))];
      }
      trend[t] = s / kernel;
      seasonal[t] = x[t] - trend[t];
    }
    // 2. Linear_Seasonal(seasonal) + Linear_Trend(trend)
    double[] y = new double[horizon];
    for (int h = 0; h < horizon; h++) {
      double v = (double) seasonalBias[h] + trendBias[h];
      for (int i = 0; i < lookback; i++) {
        v += seasonal[i] * seasonalWeight[i * horizon + h] + trend[i] * trendWeight[i * horizon + h];
      }
      y[h] = v;
    }
    return y;
  }

  @Override
  public String toString() {
    return "Dlinear[L=" + lookback + ", H=" + horizon + ", kernel=" + kernel + "]";
  }
}

package dev.sibyl.models.controls;

import dev.sibyl.models.api.ModelFamily;
import dev.sibyl.models.api.TrainingData;
import dev.sibyl.models.api.TrainingListener;
import dev.sibyl.models.api.TrainingOptions;
import dev.sibyl.models.api.TrainingResult;
import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.artifact.Weights;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Fits, saves and loads {@link ArForecaster} (see its comment for the method).
 *
 * <p>Training: one Gram matrix with lags 1..P (P the largest candidate order that fits the
 * lookback) pooled over every channel of the training rows, so every candidate order is fitted on
 * the same targets (t &gt;= P) and solved from a leading block; the order with the lowest
 * validation MSE of the rolled-forward H-step forecast wins. Selection uses every {@code s}-th
 * validation window ({@code s} so that at most {@value #SELECTION_WINDOWS} are used: order
 * selection, not the reported metric); the reported validation metrics use every window. The
 * epochs, batch size and learning rate of {@link TrainingOptions} do not apply (closed form).
 */
public final class ArFamily implements ModelFamily {

  /** Hyperparameter: ridge penalty per fitted row. */
  public static final String RIDGE = "ridge";

  /** Hyperparameter: candidate orders, comma-separated. */
  public static final String ORDERS = "orders";

  /** Hyperparameter set by training: the chosen order. */
  public static final String ORDER = "order";

  /** Default candidate orders (capped at the lookback). */
  public static final String ORDERS_DEFAULT = "1,2,4,8,12,24,48,96,168,336,512,720";

  /** The weight file inside an artifact. */
  public static final String WEIGHTS_FILE = "ar.ndlist";

  private static final int SELECTION_WINDOWS = 600;

  /** Creates the family (stateless). */
  public ArFamily() {}

  @Override
  public String name() {
    return ArForecaster.FAMILY;
  }

  @Override
  public Map<String, String> defaultHyperparameters() {
    Map<String, String> h = new LinkedHashMap<>();
    h.put(RIDGE, Double.toString(ArForecaster.RIDGE_DEFAULT));
    h.put(ORDERS, ORDERS_DEFAULT);
    return h;
  }

  private static double ridge(Map<String, String> h) {
    String raw = h.getOrDefault(RIDGE, Double.toString(ArForecaster.RIDGE_DEFAULT));
    try {
      double r = Double.parseDouble(raw.trim());
      if (r >= 0 && Double.isFinite(r)) {
        return r;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "ar hyperparameter '" + RIDGE + "' must be a number >= 0, got '" + raw + "'");
  }

  private static int[] orders(Map<String, String> h, int lookback) {
    String raw = h.getOrDefault(ORDERS, ORDERS_DEFAULT);
    int[] all;
    try {
      all = Arrays.stream(raw.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "ar hyperparameter '" + ORDERS + "' must be comma-separated integers, got '" + raw + "'", e);
    }
    int[] fit = Arrays.stream(all).filter(p -> p >= 1 && p <= lookback).sorted().distinct().toArray();
    if (fit.length == 0) {
      throw new IllegalArgumentException(
          "ar hyperparameter '" + ORDERS + "' has no order in [1, lookback = " + lookback + "]: '"
              + raw + "'");
    }
    return fit;
  }

  private static void checkKeys(Map<String, String> h) {
    for (String key : h.keySet()) {
      if (!Set.of(RIDGE, ORDERS, ORDER).contains(key)) {
        throw new IllegalArgumentException(
            "unknown ar hyperparameter '" + key + "'; known: [" + ORDERS + ", " + RIDGE + "]");
      }
    }
  }

  /** An untrained AR: persistence (a_1 = 1), the usual starting point. */
  @Override
  public ArForecaster create(Map<String, String> h, int lookback, int horizon, long seed) {
    checkKeys(h);
    double[] a = new double[1];
    a[0] = 1;
    return new ArForecaster(
        lookback, horizon, 0, a, "1",
        ArForecaster.hyperparameters(ridge(h), h.getOrDefault(ORDERS, ORDERS_DEFAULT), 1));
  }

  @Override
  public TrainingResult train(
      TrainingData data, TrainingOptions options, TrainingListener listener) {
    long start = System.nanoTime();
    Map<String, String> h = options.hyperparameters();
    checkKeys(h);
    double ridge = ridge(h);
    int[] candidates = orders(h, data.lookback());
    int maxOrder = candidates[candidates.length - 1];
    // 1. One pooled Gram matrix with the largest order
    double[][] gram = new double[maxOrder + 1][maxOrder + 1];
    double[] xty = new double[maxOrder + 1];
    int rows = 0;
    listener.onEpochStart(1, 1, candidates.length);
    for (int c = 0; c < data.channels(); c++) {
      rows += ArForecaster.accumulate(column(data.train(), c), maxOrder, gram, xty);
    }
    ArForecaster.symmetrise(gram);
    // 2. Each candidate order: solve, then score on (a subsample of) the validation windows
    int windows = data.validationWindows();
    int stride = Math.max(1, (windows + SELECTION_WINDOWS - 1) / SELECTION_WINDOWS);
    ArForecaster best = null;
    double bestMse = Double.POSITIVE_INFINITY;
    for (int i = 0; i < candidates.length; i++) {
      int p = candidates[i];
      double[] beta = ArForecaster.solve(gram, xty, p, ridge * rows);
      ArForecaster model =
          new ArForecaster(
              data.lookback(), data.horizon(), beta[0], Arrays.copyOfRange(beta, 1, p + 1), "1",
              ArForecaster.hyperparameters(ridge, h.getOrDefault(ORDERS, ORDERS_DEFAULT), p));
      double mse = validationError(model, data, stride)[0];
      listener.onBatch(1, i + 1, candidates.length, mse);
      if (mse < bestMse) {
        bestMse = mse;
        best = model;
      }
    }
    double[] full = validationError(best, data, 1);
    listener.onEpochEnd(1, full[0], full[0], true);
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("mse", full[0]);
    metrics.put("mae", full[1]);
    metrics.put("order", (double) best.order());
    return new TrainingResult(best, metrics, 0, 0, (System.nanoTime() - start) / 1e9);
  }

  /** MSE and MAE of the H-step forecast over every {@code stride}-th validation window. */
  private static double[] validationError(ArForecaster model, TrainingData data, int stride) {
    double sq = 0;
    double abs = 0;
    long n = 0;
    int l = data.lookback();
    int hz = data.horizon();
    double[][] v = data.validation();
    for (int c = 0; c < data.channels(); c++) {
      double[] y = column(v, c);
      for (int s = 0; s < data.validationWindows(); s += stride) {
        double[] f =
            ArForecaster.roll(Arrays.copyOfRange(y, s, s + l), model.intercept(), model.coefficients(), hz);
        for (int k = 0; k < hz; k++) {
          double d = f[k] - y[s + l + k];
          sq += d * d;
          abs += Math.abs(d);
        }
        n += hz;
      }
    }
    return new double[] {sq / n, abs / n};
  }

  private static double[] column(double[][] rows, int c) {
    double[] out = new double[rows.length];
    for (int i = 0; i < rows.length; i++) {
      out[i] = rows[i][c];
    }
    return out;
  }

  @Override
  public void saveWeights(WindowModel model, Path directory) throws IOException {
    if (!(model instanceof ArForecaster ar)) {
      throw new IllegalArgumentException("not an ar model: " + model.family());
    }
    Map<String, Weights.Tensor> t = new LinkedHashMap<>();
    t.put("intercept", new Weights.Tensor(new float[] {(float) ar.intercept()}, new long[] {1}));
    double[] a = ar.coefficients();
    float[] f = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      f[i] = (float) a[i];
    }
    t.put("coefficients", new Weights.Tensor(f, new long[] {a.length}));
    Weights.write(directory.resolve(WEIGHTS_FILE), t);
  }

  @Override
  public ArForecaster loadWeights(
      Map<String, String> h, int lookback, int horizon, String version, Path directory)
      throws IOException {
    checkKeys(h);
    String rawOrder = h.get(ORDER);
    if (rawOrder == null) {
      throw new IllegalArgumentException("ar artifact without hyperparameter '" + ORDER + "'");
    }
    int p = Integer.parseInt(rawOrder.trim());
    Path file = directory.resolve(WEIGHTS_FILE);
    Map<String, Weights.Tensor> t = Weights.read(file);
    float[] c = Weights.require(file, t, "intercept", 1);
    float[] a = Weights.require(file, t, "coefficients", p);
    double[] coefficients = new double[p];
    for (int i = 0; i < p; i++) {
      coefficients[i] = a[i];
    }
    return new ArForecaster(lookback, horizon, c[0], coefficients, version, h);
  }
}

package dev.sibyl.models.controls;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.sibyl.models.api.ModelFamily;
import dev.sibyl.models.api.TrainingData;
import dev.sibyl.models.api.TrainingListener;
import dev.sibyl.models.api.TrainingOptions;
import dev.sibyl.models.api.TrainingResult;
import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.artifact.Weights;
import dev.sibyl.models.train.Adam;
import dev.sibyl.models.train.Batches;
import dev.sibyl.models.train.EarlyStopping;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Trains, saves and loads {@link Dlinear} (see its comment for the paper).
 *
 * <p>Training follows the reference script for ETTh1 ({@code scripts/EXP-LongForecasting/Linear/
 * etth1.sh}: Adam, learning rate 0.005, batch 32, MSE, 10 epochs, early stopping with patience 3 on
 * the validation loss, the "type1" schedule halving the learning rate every epoch from the third,
 * shuffled training windows with the last partial batch dropped). Initial weights and biases are
 * uniform in {@code +-1/sqrt(L)} (PyTorch's {@code nn.Linear} default), drawn from the seed in Java
 * so that a run is reproducible. A batch holds every channel of each of its windows (batch x
 * channels rows), as the reference's shared linear layers see them. Validation is the exact MSE over
 * every validation window (the reference averages per-batch losses of a loader that drops the last
 * batch). Weights live in one NDManager closed when training ends; each step's temporaries in an
 * {@link NDScope}.
 */
public final class DlinearFamily implements ModelFamily {

  /** The weight file inside an artifact. */
  public static final String WEIGHTS_FILE = "dlinear.ndlist";

  /** Rows per validation chunk (windows x channels). */
  private static final int VALIDATION_ROWS = 8192;

  /** Creates the family (stateless). */
  public DlinearFamily() {}

  @Override
  public String name() {
    return Dlinear.FAMILY;
  }

  @Override
  public Map<String, String> defaultHyperparameters() {
    return Map.of(Dlinear.KERNEL_SIZE, Integer.toString(Dlinear.KERNEL_SIZE_DEFAULT));
  }

  private static int kernel(Map<String, String> hyperparameters) {
    for (String key : hyperparameters.keySet()) {
      if (!Dlinear.KERNEL_SIZE.equals(key)) {
        throw new IllegalArgumentException(
            "unknown dlinear hyperparameter '" + key + "'; known: [" + Dlinear.KERNEL_SIZE + "]");
      }
    }
    String raw = hyperparameters.getOrDefault(Dlinear.KERNEL_SIZE, "" + Dlinear.KERNEL_SIZE_DEFAULT);
    try {
      int k = Integer.parseInt(raw.trim());
      if (k >= 1 && k % 2 == 1) {
        return k;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "dlinear hyperparameter '" + Dlinear.KERNEL_SIZE + "' must be an odd integer >= 1, got '"
            + raw + "'");
  }

  @Override
  public Dlinear create(Map<String, String> hyperparameters, int lookback, int horizon, long seed) {
    int kernel = kernel(hyperparameters);
    Random random = new Random(seed);
    float bound = (float) (1 / Math.sqrt(lookback));
    return new Dlinear(
        lookback,
        horizon,
        kernel,
        "1",
        uniform(random, lookback * horizon, bound),
        uniform(random, horizon, bound),
        uniform(random, lookback * horizon, bound),
        uniform(random, horizon, bound));
  }

  private static float[] uniform(Random random, int n, float bound) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (random.nextFloat() * 2 - 1) * bound;
    }
    return a;
  }

  @Override
  public TrainingResult train(
      TrainingData data, TrainingOptions options, TrainingListener listener) {
    long start = System.nanoTime();
    int l = data.lookback();
    int h = data.horizon();
    int c = data.channels();
    Dlinear initial = create(options.hyperparameters(), l, h, options.seed());
    float[] train = Batches.flatten(data.train()); // (rows, C)
    float[] val = Batches.flatten(data.validation()); // (rows, C)
    Random shuffle = new Random(options.seed() + 1);
    EarlyStopping stopping = new EarlyStopping(options.patience());
    float[][] best = null;
    int epochsRun = 0;
    double bestMae = Double.NaN;
    try (NDManager manager = NDManager.newBaseManager()) {
      // 1. Parameters (with gradients), the fixed moving-average operator, Adam state
      NDArray ws = manager.create(initial.seasonalWeight(), new Shape(l, h)); // (L, H)
      NDArray bs = manager.create(initial.seasonalBias(), new Shape(h)); // (H)
      NDArray wt = manager.create(initial.trendWeight(), new Shape(l, h)); // (L, H)
      NDArray bt = manager.create(initial.trendBias(), new Shape(h)); // (H)
      List<NDArray> params = List.of(ws, bs, wt, bt);
      for (NDArray p : params) {
        p.setRequiresGradient(true);
      }
      NDArray avgT = manager.create(transpose(Dlinear.movingAverage(l, initial.kernel())), new Shape(l, l)); // (L, L): A^T
      Adam adam = new Adam(manager, params);
      for (int epoch = 1; epoch <= options.epochs(); epoch++) {
        epochsRun = epoch;
        double lr = EarlyStopping.type1(options.learningRate(), epoch);
        int[][] batches = Batches.shuffled(data.trainWindows(), options.batchSize(), shuffle);
        listener.onEpochStart(epoch, options.epochs(), batches.length);
        double lossSum = 0;
        for (int b = 0; b < batches.length; b++) {
          double loss;
          try (NDScope scope = new NDScope()) {
            // 2. The batch: every channel of each window is one row; x (B*C, L), y (B*C, H)
            float[][] xy = Batches.gather(train, c, batches[b], l, h);
            NDArray x = manager.create(xy[0], new Shape((long) batches[b].length * c, l));
            NDArray y = manager.create(xy[1], new Shape((long) batches[b].length * c, h));
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
              NDArray out = forward(x, avgT, ws, bs, wt, bt); // (B*C, H)
              NDArray mse = out.sub(y).square().mean();
              collector.backward(mse);
              loss = mse.getFloat();
            }
          }
          // 3. Adam outside the collector (no graph for the update)
          adam.step(lr);
          lossSum += loss;
          listener.onBatch(epoch, b + 1, batches.length, loss);
        }
        // 4. Validate; keep the best checkpoint
        double[] valLoss = validate(manager, val, c, data.validationWindows(), l, h, avgT, ws, bs, wt, bt);
        boolean improved = stopping.update(epoch, valLoss[0]);
        if (improved) {
          best = new float[][] {ws.toFloatArray(), bs.toFloatArray(), wt.toFloatArray(), bt.toFloatArray()};
          bestMae = valLoss[1];
        }
        listener.onEpochEnd(epoch, lossSum / batches.length, valLoss[0], improved);
        if (stopping.shouldStop()) {
          listener.onEarlyStop(epoch, stopping.bestEpoch());
          break;
        }
      }
    }
    if (best == null) {
      throw new IllegalStateException(
          "dlinear validation loss was never finite (diverged); lower the learning rate");
    }
    Dlinear model = new Dlinear(l, h, initial.kernel(), "1", best[0], best[1], best[2], best[3]);
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("mse", stopping.best());
    metrics.put("mae", bestMae);
    return new TrainingResult(
        model, metrics, stopping.bestEpoch(), epochsRun, (System.nanoTime() - start) / 1e9);
  }

  /**
   * The paper's forward on a batch: decomposition, then the two linear branches.
   *
   * @param x rows (B*C, L)
   * @param avgT the moving-average operator transposed (L, L)
   * @return (B*C, H)
   */
  private static NDArray forward(
      NDArray x, NDArray avgT, NDArray ws, NDArray bs, NDArray wt, NDArray bt) {
    // series_decomp: trend = moving average (edge-replicated), seasonal = x - trend
    NDArray trend = x.matMul(avgT);
    NDArray seasonal = x.sub(trend);
    // Linear_Seasonal(seasonal) + Linear_Trend(trend)
    return seasonal.matMul(ws).add(bs).add(trend.matMul(wt)).add(bt);
  }

  /** MSE and MAE over every validation window and channel; no gradients (outside a collector). */
  private static double[] validate(
      NDManager manager, float[] rows, int c, int windows, int l, int h,
      NDArray avgT, NDArray ws, NDArray bs, NDArray wt, NDArray bt) {
    double sq = 0;
    double abs = 0;
    int perChunk = Math.max(1, VALIDATION_ROWS / c);
    for (int first = 0; first < windows; first += perChunk) {
      int count = Math.min(perChunk, windows - first);
      int[] idx = new int[count];
      for (int i = 0; i < count; i++) {
        idx[i] = first + i;
      }
      try (NDScope scope = new NDScope()) {
        float[][] xy = Batches.gather(rows, c, idx, l, h);
        NDArray x = manager.create(xy[0], new Shape((long) count * c, l));
        NDArray y = manager.create(xy[1], new Shape((long) count * c, h));
        NDArray err = forward(x, avgT, ws, bs, wt, bt).sub(y);
        sq += err.square().sum().getFloat();
        abs += err.abs().sum().getFloat();
      }
    }
    double n = (double) windows * c * h;
    return new double[] {sq / n, abs / n};
  }



  private static float[] transpose(double[][] a) {
    int n = a.length;
    float[] out = new float[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        out[j * n + i] = (float) a[i][j];
      }
    }
    return out;
  }

  @Override
  public void saveWeights(WindowModel model, Path directory) throws IOException {
    if (!(model instanceof Dlinear d)) {
      throw new IllegalArgumentException("not a dlinear model: " + model.family());
    }
    long l = d.lookback();
    long h = d.horizon();
    Map<String, Weights.Tensor> tensors = new LinkedHashMap<>();
    tensors.put("seasonal.weight", new Weights.Tensor(d.seasonalWeight(), new long[] {l, h}));
    tensors.put("seasonal.bias", new Weights.Tensor(d.seasonalBias(), new long[] {h}));
    tensors.put("trend.weight", new Weights.Tensor(d.trendWeight(), new long[] {l, h}));
    tensors.put("trend.bias", new Weights.Tensor(d.trendBias(), new long[] {h}));
    Weights.write(directory.resolve(WEIGHTS_FILE), tensors);
  }

  @Override
  public Dlinear loadWeights(
      Map<String, String> hyperparameters, int lookback, int horizon, String version, Path directory)
      throws IOException {
    int kernel = kernel(hyperparameters);
    Path file = directory.resolve(WEIGHTS_FILE);
    Map<String, Weights.Tensor> t = Weights.read(file);
    return new Dlinear(
        lookback,
        horizon,
        kernel,
        version,
        Weights.require(file, t, "seasonal.weight", lookback, horizon),
        Weights.require(file, t, "seasonal.bias", horizon),
        Weights.require(file, t, "trend.weight", lookback, horizon),
        Weights.require(file, t, "trend.bias", horizon));
  }
}

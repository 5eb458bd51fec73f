package dev.sibyl.models.smamba;

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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;

/**
 * Trains, saves and loads {@link SMamba} (see its comment for the paper).
 *
 * <p>Training follows the reference's run script (iTransformer's {@code run.py} defaults, which
 * the S-Mamba scripts keep): Adam, MSE on the standardised scale, batch 32, 10 epochs, early
 * stopping with patience 3 on the validation loss, the "type1" schedule halving the learning rate
 * every epoch from the third, dropout 0.1. The learning rate is the caller's: the ETTh1 script uses
 * 7e-5 for horizons 96 and 192 and 5e-5 for 336 and 720. Initial weights come from the seed in
 * Java (PyTorch's and mamba_ssm's initialisation rules; LayerNorm gamma 1, beta 0); dropout masks
 * from the engine's generator ({@code ModelRuntime.setSeed}). A batch holds whole windows, every
 * variate of each, (B, C, L). Validation is the exact MSE over every validation window.
 */
public final class SMambaFamily implements ModelFamily {

  /** The weight file inside an artifact. */
  public static final String WEIGHTS_FILE = "s-mamba.ndlist";

  /** Windows per validation chunk. */
  private static final int VALIDATION_WINDOWS = 512;

  /** Creates the family (stateless). */
  public SMambaFamily() {}

  @Override
  public String name() {
    return SMamba.FAMILY;
  }

  @Override
  public Map<String, String> defaultHyperparameters() {
    return SMambaConfig.defaults();
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException also when hyperparameter {@code channels} is not set (the
   *     model is multivariate)
   */
  @Override
  public SMamba create(Map<String, String> hyperparameters, int lookback, int horizon, long seed) {
    SMambaConfig cfg = SMambaConfig.parse(hyperparameters);
    if (lookback < 1 || horizon < 1) {
      throw new IllegalArgumentException(
          "lookback and horizon must be >= 1, got " + lookback + " and " + horizon);
    }
    return new SMamba(cfg, lookback, horizon, "1", initialWeights(cfg, lookback, horizon, seed));
  }

  private static Map<String, float[]> initialWeights(
      SMambaConfig cfg, int lookback, int horizon, long seed) {
    Random random = new Random(seed);
    Map<String, float[]> w = new LinkedHashMap<>();
    int d = cfg.dModel();
    w.put("embed.weight", MambaBlock.uniform(random, lookback * d, 1 / Math.sqrt(lookback)));
    w.put("embed.bias", MambaBlock.uniform(random, d, 1 / Math.sqrt(lookback)));
    for (int l = 0; l < cfg.layers(); l++) {
      String p = "layer." + l + ".";
      MambaBlock.initialise(p + "forward.", cfg, random, w);
      MambaBlock.initialise(p + "backward.", cfg, random, w);
      w.put(p + "norm1.gamma", ones(d));
      w.put(p + "norm1.beta", new float[d]);
      w.put(p + "ff1.weight", MambaBlock.uniform(random, d * cfg.dFf(), 1 / Math.sqrt(d)));
      w.put(p + "ff1.bias", MambaBlock.uniform(random, cfg.dFf(), 1 / Math.sqrt(d)));
      w.put(p + "ff2.weight", MambaBlock.uniform(random, cfg.dFf() * d, 1 / Math.sqrt(cfg.dFf())));
      w.put(p + "ff2.bias", MambaBlock.uniform(random, d, 1 / Math.sqrt(cfg.dFf())));
      w.put(p + "norm2.gamma", ones(d));
      w.put(p + "norm2.beta", new float[d]);
    }
    w.put("norm.gamma", ones(d));
    w.put("norm.beta", new float[d]);
    w.put("head.weight", MambaBlock.uniform(random, d * horizon, 1 / Math.sqrt(d)));
    w.put("head.bias", MambaBlock.uniform(random, horizon, 1 / Math.sqrt(d)));
    return w;
  }

  private static float[] ones(int n) {
    float[] a = new float[n];
    java.util.Arrays.fill(a, 1f);
    return a;
  }

  @Override
  public TrainingResult train(
      TrainingData data, TrainingOptions options, TrainingListener listener) {
    long start = System.nanoTime();
    int l = data.lookback();
    int h = data.horizon();
    int c = data.channels();
    SMambaConfig cfg = SMambaConfig.parse(options.hyperparameters());
    if (cfg.channels() != 0 && cfg.channels() != c) {
      throw new IllegalArgumentException(
          "s-mamba hyperparameter '" + SMambaConfig.CHANNELS + "' is " + cfg.channels()
              + " but the data has " + c + " channels"
              + (cfg.channelNames().isEmpty() ? "" : " (" + SMambaConfig.CHANNEL_NAMES + " names "
                  + cfg.channelNames() + ")"));
    }
    SMambaConfig config = cfg.withChannels(c);
    SMamba initial = new SMamba(config, l, h, "1", initialWeights(config, l, h, options.seed()));
    float[] train = Batches.flatten(data.train()); // (rows, C)
    float[] val = Batches.flatten(data.validation()); // (rows, C)
    Random shuffle = new Random(options.seed() + 1);
    EarlyStopping stopping = new EarlyStopping(options.patience());
    Map<String, float[]> best = null;
    int epochsRun = 0;
    double bestMae = Double.NaN;
    float keep = (float) (1 - config.dropout());
    try (NDManager manager = NDManager.newBaseManager()) {
      // 1. Parameters (with gradients) and Adam state
      Map<String, NDArray> w = initial.toArrays(manager);
      List<NDArray> params = new ArrayList<>(w.values());
      for (NDArray p : params) {
        p.setRequiresGradient(true);
      }
      Adam adam = new Adam(manager, params);
      // inverted dropout: keep with probability 1 - p, scale by 1 / (1 - p)
      UnaryOperator<NDArray> dropout = config.dropout() == 0 ? UnaryOperator.identity()
          : x -> x.mul(x.getManager().randomUniform(0f, 1f, x.getShape()).lt(keep)
              .toType(x.getDataType(), false).div(keep));
      for (int epoch = 1; epoch <= options.epochs(); epoch++) {
        epochsRun = epoch;
        double lr = EarlyStopping.type1(options.learningRate(), epoch);
        int[][] batches = Batches.shuffled(data.trainWindows(), options.batchSize(), shuffle);
        listener.onEpochStart(epoch, options.epochs(), batches.length);
        double lossSum = 0;
        for (int b = 0; b < batches.length; b++) {
          double loss;
          try (NDScope scope = new NDScope()) {
            // 2. The batch: x (B, C, L), y (B, C, H)
            float[][] xy = Batches.gather(train, c, batches[b], l, h);
            NDArray x = manager.create(xy[0], new Shape(batches[b].length, c, l));
            NDArray y = manager.create(xy[1], new Shape(batches[b].length, c, h));
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
              NDArray mse = SMamba.forward(config, w, x, dropout).sub(y).square().mean();
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
        double[] valLoss = validate(manager, config, w, val, c, data.validationWindows(), l, h);
        boolean improved = stopping.update(epoch, valLoss[0]);
        if (improved) {
          best = new LinkedHashMap<>();
          for (Map.Entry<String, NDArray> e : w.entrySet()) {
            best.put(e.getKey(), e.getValue().toFloatArray());
          }
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
          "s-mamba validation loss was never finite (diverged); lower the learning rate");
    }
    SMamba model = new SMamba(config, l, h, "1", best);
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("mse", stopping.best());
    metrics.put("mae", bestMae);
    return new TrainingResult(
        model, metrics, stopping.bestEpoch(), epochsRun, (System.nanoTime() - start) / 1e9);
  }

  /** MSE and MAE over every validation window and channel; no gradients, no dropout. */
  private static double[] validate(
      NDManager manager, SMambaConfig cfg, Map<String, NDArray> w, float[] rows, int c,
      int windows, int l, int h) {
    double sq = 0;
    double abs = 0;
    for (int first = 0; first < windows; first += VALIDATION_WINDOWS) {
      int count = Math.min(VALIDATION_WINDOWS, windows - first);
      int[] idx = new int[count];
      for (int i = 0; i < count; i++) {
        idx[i] = first + i;
      }
      try (NDScope scope = new NDScope()) {
        float[][] xy = Batches.gather(rows, c, idx, l, h);
        NDArray x = manager.create(xy[0], new Shape(count, c, l));
        NDArray y = manager.create(xy[1], new Shape(count, c, h));
        NDArray err = SMamba.forward(cfg, w, x, UnaryOperator.identity()).sub(y);
        sq += err.square().sum().getFloat();
        abs += err.abs().sum().getFloat();
      }
    }
    double n = (double) windows * c * h;
    return new double[] {sq / n, abs / n};
  }



  @Override
  public void saveWeights(WindowModel model, Path directory) throws IOException {
    if (!(model instanceof SMamba m)) {
      throw new IllegalArgumentException("not an s-mamba model: " + model.family());
    }
    Weights.write(directory.resolve(WEIGHTS_FILE), m.tensors());
  }

  @Override
  public SMamba loadWeights(
      Map<String, String> hyperparameters, int lookback, int horizon, String version, Path directory)
      throws IOException {
    SMambaConfig cfg = SMambaConfig.parse(hyperparameters);
    Path file = directory.resolve(WEIGHTS_FILE);
    Map<String, Weights.Tensor> t = Weights.read(file);
    Map<String, float[]> w = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> e : SMamba.shapes(cfg, lookback, horizon).entrySet()) {
      w.put(e.getKey(), Weights.require(file, t, e.getKey(), e.getValue()));
    }
    return new SMamba(cfg, lookback, horizon, version, w);
  }
}

package dev.sibyl.models.rul;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.GradientCollector;
import dev.sibyl.models.api.TrainingListener;
import dev.sibyl.models.arphmm.Cmapss;
import dev.sibyl.models.arphmm.HealthIndicators;
import dev.sibyl.models.train.Adam;
import dev.sibyl.models.train.Batches;
import dev.sibyl.models.train.EarlyStopping;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Trains a {@link CnnRul} on run-to-failure C-MAPSS units (see {@link CnnRul} for the papers).
 *
 * <p>Steps: (1) every fifth unit (list positions 4, 9, ...) is held out for validation; (2) the
 * input columns are the informative sensors of {@link HealthIndicators} (non-constant, |correlation
 * with the degradation target| at least 0.2; the usual 14 on FD001), fitted on the training units;
 * (3) min-max ranges from the training units; (4) one window per cycle from the W-th on, target
 * {@code min(RUL, cap) / cap}; (5) for each member of the ensemble, Adam on the MSE, shuffled batches, the learning rate halved each
 * time the validation RMSE has not improved for {@code patience / 2} epochs, early stopping after
 * {@code patience}; the best epoch's weights are kept; (6) the interval's residual quantiles (10th
 * and 90th) from the ensemble's errors on every validation window.
 *
 * <p>Initial weights and biases are uniform in {@code +-1/sqrt(fan_in)} (PyTorch's default for
 * {@code nn.Conv1d} and {@code nn.Linear}), drawn from the seed in Java. Parameters live in one
 * NDManager closed when training ends; each step's temporaries in an {@link NDScope}.
 */
public final class CnnRulTrainer {

  /** Lower residual quantile of the interval. */
  public static final double LOWER_QUANTILE = 0.1;

  /** Upper residual quantile of the interval. */
  public static final double UPPER_QUANTILE = 0.9;

  private static final int VALIDATION_CHUNK = 4096;

  /**
   * Training settings.
   *
   * @param config the network's hyperparameters; not null
   * @param epochs most epochs, at least 1
   * @param batchSize windows per batch, at least 1
   * @param learningRate initial Adam learning rate, positive
   * @param patience epochs without improvement before stopping, at least 2
   * @param dropout dropout rate on the flattened features during training, in [0, 1)
   * @param members networks in the ensemble, at least 1; member e uses seed {@code seed + 1000 e}
   * @param seed seed of the initial weights and the shuffling
   */
  public record Options(
      CnnRul.Config config, int epochs, int batchSize, double learningRate, int patience,
      double dropout, int members, long seed) {

    /**
     * Validates the settings.
     *
     * @throws IllegalArgumentException naming the first bad value
     */
    public Options {
      if (config == null) {
        throw new IllegalArgumentException("config must not be null");
      }
      if (epochs < 1) {
        throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
      }
      if (batchSize < 1) {
        throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
      }
      if (!(learningRate > 0)) {
        throw new IllegalArgumentException("learningRate must be > 0, got " + learningRate);
      }
      if (patience < 2) {
        throw new IllegalArgumentException("patience must be >= 2, got " + patience);
      }
      if (members < 1) {
        throw new IllegalArgumentException("members must be >= 1, got " + members);
      }
      if (!(dropout >= 0 && dropout < 1)) {
        throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
      }
    }

    /**
     * The defaults: {@link CnnRul.Config#defaults()}, at most 60 epochs, batch 128, learning rate
     * 0.001 (Li et al.), patience 10, dropout 0.2, 3 members, seed 2018.
     *
     * @return the default options
     */
    public static Options defaults() {
      return new Options(CnnRul.Config.defaults(), 60, 128, 1e-3, 10, 0.2, 3, 2018L);
    }
  }

  /**
   * The outcome of training.
   *
   * @param model the kept network
   * @param validationRmse RMSE (cycles, capped truth) of the ensemble over every validation window
   * @param memberValidationRmse the same for each member alone, shape (members)
   * @param bestEpochs each member's kept epoch, 1-based, shape (members)
   * @param epochsRun epochs run, all members together
   * @param trainWindows number of training windows
   * @param validationWindows number of validation windows
   * @param seconds wall-clock time
   */
  public record Result(
      CnnRul model,
      double validationRmse,
      double[] memberValidationRmse,
      int[] bestEpochs,
      int epochsRun,
      int trainWindows,
      int validationWindows,
      double seconds) {}

  private CnnRulTrainer() {}

  /** Scaled units and their windows: x (F, T) per unit, windows as (unit, last cycle). */
  private record Windows(List<float[][]> units, int[] unit, int[] end, float[] target) {

    int size() {
      return unit.length;
    }
  }

  /**
   * Trains the network.
   *
   * @param units run-to-failure units (each ends at failure); at least 2
   * @param options the settings; not null
   * @param listener per-batch and per-epoch progress of each member; not null
   * @param progress one line per member; not null
   * @return the kept networks and their figures
   * @throws IllegalArgumentException when fewer than 2 units are given or no unit has a full window
   * @throws IllegalStateException when the validation loss is never finite
   */
  public static Result train(
      List<Cmapss.Unit> units, Options options, TrainingListener listener,
      Consumer<String> progress) {
    long start = System.nanoTime();
    if (units.size() < 2) {
      throw new IllegalArgumentException("need at least 2 run-to-failure units, got " + units.size());
    }
    CnnRul.Config cfg = options.config();
    // 1. Hold out every fifth unit
    List<Cmapss.Unit> fit = new ArrayList<>();
    List<Cmapss.Unit> held = new ArrayList<>();
    for (int i = 0; i < units.size(); i++) {
      (i % 5 == 4 || (units.size() < 5 && i == units.size() - 1) ? held : fit).add(units.get(i));
    }
    // 2-3. Columns and ranges from the training units only
    int[] sensors = HealthIndicators.fit(fit, cfg.rulCap(), HealthIndicators.DEFAULT_ALPHA).sensors();
    List<String> columns = new ArrayList<>();
    for (int s : sensors) {
      columns.add(Cmapss.sensorName(s));
    }
    int f = sensors.length;
    double[] min = new double[f]; // (F)
    double[] max = new double[f]; // (F)
    Arrays.fill(min, Double.POSITIVE_INFINITY);
    Arrays.fill(max, Double.NEGATIVE_INFINITY);
    for (Cmapss.Unit u : fit) {
      for (double[] row : u.sensors()) {
        for (int j = 0; j < f; j++) {
          min[j] = Math.min(min[j], row[sensors[j]]);
          max[j] = Math.max(max[j], row[sensors[j]]);
        }
      }
    }
    // 4. Windows
    Windows train = windows(fit, sensors, min, max, cfg);
    Windows val = windows(held, sensors, min, max, cfg);
    if (train.size() == 0 || val.size() == 0) {
      throw new IllegalArgumentException(
          "no full " + cfg.window() + "-cycle window in the training or validation units");
    }
    // 5. Each member: Adam with plateau halving and early stopping
    List<CnnRul.Weights> members = new ArrayList<>();
    double[] memberRmse = new double[options.members()];
    int[] bestEpochs = new int[options.members()];
    int epochsRun = 0;
    for (int e = 0; e < options.members(); e++) {
      long seed = options.seed() + 1000L * e;
      CnnRul initial = initial(cfg, columns, min, max, seed);
      Member m = trainMember(initial, train, val, options, seed, listener);
      members.add(m.weights());
      memberRmse[e] = m.rmse();
      bestEpochs[e] = m.bestEpoch();
      epochsRun += m.epochsRun();
      progress.accept(String.format(java.util.Locale.ROOT,
          "cnn-rul member %d/%d: validation RMSE %.2f (epoch %d of %d)", e + 1, options.members(),
          m.rmse(), m.bestEpoch(), m.epochsRun()));
    }
    // 6. Interval from the kept network's validation residuals (truth - prediction), cycles
    CnnRul kept =
        new CnnRul(cfg, "1", columns, min, max, members, 0, 0, UPPER_QUANTILE - LOWER_QUANTILE);
    double[] residuals = new double[val.size()];
    double squares = 0;
    for (int i = 0; i < val.size(); i++) {
      float[][] x = slice(val, i, f, cfg.window());
      residuals[i] = val.target()[i] * cfg.rulCap() - kept.forward(x);
      squares += residuals[i] * residuals[i];
    }
    Arrays.sort(residuals);
    CnnRul model = new CnnRul(cfg, "1", columns, min, max, members,
        quantile(residuals, LOWER_QUANTILE), quantile(residuals, UPPER_QUANTILE),
        UPPER_QUANTILE - LOWER_QUANTILE);
    return new Result(model, Math.sqrt(squares / val.size()), memberRmse, bestEpochs, epochsRun,
        train.size(), val.size(), (System.nanoTime() - start) / 1e9);
  }

  /** One trained member: the kept weights and its figures. */
  private record Member(CnnRul.Weights weights, double rmse, int bestEpoch, int epochsRun) {}

  private static Member trainMember(CnnRul initial, Windows train, Windows val, Options options,
      long seed, TrainingListener listener) {
    CnnRul.Config cfg = initial.config();
    int f = initial.inputColumns().size();
    Random shuffle = new Random(seed + 1);
    EarlyStopping stopping = new EarlyStopping(options.patience());
    CnnRul.Weights best = null;
    int epochsRun = 0;
    double lr = options.learningRate();
    int sinceImprovement = 0;
    try (NDManager manager = NDManager.newBaseManager()) {
      Params p = Params.of(manager, initial);
      Adam adam = new Adam(manager, p.all());
      for (int epoch = 1; epoch <= options.epochs(); epoch++) {
        epochsRun = epoch;
        int[][] batches =
            Batches.shuffled(train.size(), Math.min(options.batchSize(), train.size()), shuffle);
        listener.onEpochStart(epoch, options.epochs(), batches.length);
        double lossSum = 0;
        for (int b = 0; b < batches.length; b++) {
          double loss;
          try (NDScope scope = new NDScope()) {
            float[][] xy = gather(train, batches[b], f, cfg.window());
            NDArray x = manager.create(xy[0], new Shape(batches[b].length, f, cfg.window())); // (B, F, W)
            NDArray y = manager.create(xy[1], new Shape(batches[b].length)); // (B)
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
              NDArray mse = forward(x, p, cfg, options.dropout()).sub(y).square().mean();
              collector.backward(mse);
              loss = mse.getFloat();
            }
          }
          adam.step(lr);
          lossSum += loss;
          listener.onBatch(epoch, b + 1, batches.length, loss);
        }
        double rmse = rmse(predict(manager, val, p, f, cfg), val.target(), cfg.rulCap());
        boolean improved = stopping.update(epoch, rmse);
        if (improved) {
          best = p.weights();
          sinceImprovement = 0;
        } else if (++sinceImprovement >= options.patience() / 2) {
          lr /= 2;
          sinceImprovement = 0;
        }
        listener.onEpochEnd(epoch, lossSum / batches.length, rmse, improved);
        if (stopping.shouldStop()) {
          listener.onEarlyStop(epoch, stopping.bestEpoch());
          break;
        }
      }
    }
    if (best == null) {
      throw new IllegalStateException(
          "cnn-rul validation loss was never finite (diverged); lower the learning rate");
    }
    return new Member(best, stopping.best(), stopping.bestEpoch(), epochsRun);
  }

  /** The DJL parameters (with gradients) of the network. */
  private record Params(
      NDArray[] convW, NDArray[] convB, NDArray denseW, NDArray denseB, NDArray outW, NDArray outB) {

    static Params of(NDManager manager, CnnRul m) {
      CnnRul.Config c = m.config();
      CnnRul.Weights w = m.members().get(0);
      int f = m.inputColumns().size();
      NDArray[] cw = new NDArray[CnnRul.Config.CONVOLUTIONS];
      NDArray[] cb = new NDArray[CnnRul.Config.CONVOLUTIONS];
      for (int l = 0; l < cw.length; l++) {
        int in = l == 0 ? f : c.filters();
        cw[l] = manager.create(w.convWeights()[l], new Shape(c.filters(), in, c.kernel())); // (C, C_in, k)
        cb[l] = manager.create(w.convBiases()[l], new Shape(c.filters())); // (C)
      }
      Params p = new Params(cw, cb,
          manager.create(w.denseWeight(), new Shape(c.hidden(), (long) c.filters() * c.window())), // (D, C*W)
          manager.create(w.denseBias(), new Shape(c.hidden())), // (D)
          manager.create(w.outWeight(), new Shape(c.hidden(), 1)), // (D, 1)
          manager.create(w.outBias(), new Shape(1))); // (1)
      for (NDArray a : p.all()) {
        a.setRequiresGradient(true);
      }
      return p;
    }

    List<NDArray> all() {
      List<NDArray> all = new ArrayList<>(Arrays.asList(convW));
      all.addAll(Arrays.asList(convB));
      all.addAll(List.of(denseW, denseB, outW, outB));
      return all;
    }

    CnnRul.Weights weights() {
      float[][] cw = new float[convW.length][];
      float[][] cb = new float[convB.length][];
      for (int l = 0; l < cw.length; l++) {
        cw[l] = convW[l].toFloatArray();
        cb[l] = convB[l].toFloatArray();
      }
      return new CnnRul.Weights(cw, cb, denseW.toFloatArray(), denseB.toFloatArray(),
          outW.toFloatArray(), outB.toFloatArray());
    }
  }

  /**
   * The forward pass on a batch, as {@link CnnRul#forward} (before the cap and clipping).
   *
   * @param x scaled windows (B, F, W)
   * @param dropout training-time dropout on the flattened features (inverted: no scaling at
   *     inference), 0 for none
   * @return scaled RUL (B)
   */
  private static NDArray forward(NDArray x, Params p, CnnRul.Config c, double dropout) {
    long b = x.getShape().get(0);
    Shape one = new Shape(1);
    Shape pad = new Shape(c.kernel() / 2);
    NDArray h = x;
    // 1. Three "same" convolutions along time, ReLU: (B, C_in, W) -> (B, C, W)
    for (int l = 0; l < p.convW().length; l++) {
      NDList conv = Conv1d.conv1d(h, p.convW()[l], p.convB()[l], one, pad, one, 1);
      h = Activation.relu(conv.singletonOrThrow());
    }
    // 2-3. Flatten (B, C*W), dense + ReLU (B, D), output (B)
    h = h.reshape(b, -1);
    if (dropout > 0) {
      h = Dropout.dropout(h, (float) dropout, true).singletonOrThrow();
    }
    h = Activation.relu(h.matMul(p.denseW().transpose()).add(p.denseB()));
    return h.matMul(p.outW()).reshape(b).add(p.outB());
  }

  /** Scaled predictions (RUL / cap) of every window, without gradients. */
  private static float[] predict(NDManager manager, Windows w, Params p, int f, CnnRul.Config c) {
    float[] out = new float[w.size()];
    for (int first = 0; first < w.size(); first += VALIDATION_CHUNK) {
      int count = Math.min(VALIDATION_CHUNK, w.size() - first);
      int[] idx = new int[count];
      for (int i = 0; i < count; i++) {
        idx[i] = first + i;
      }
      try (NDScope scope = new NDScope()) {
        float[][] xy = gather(w, idx, f, c.window());
        NDArray x = manager.create(xy[0], new Shape(count, f, c.window()));
        System.arraycopy(forward(x, p, c, 0).toFloatArray(), 0, out, first, count);
      }
    }
    return out;
  }

  private static double rmse(float[] predicted, float[] target, double cap) {
    double s = 0;
    for (int i = 0; i < target.length; i++) {
      // the same clipping as CnnRul.forward
      double d = (Math.min(1, Math.max(0, predicted[i])) - target[i]) * cap;
      s += d * d;
    }
    return Math.sqrt(s / target.length);
  }

  private static double quantile(double[] sorted, double q) {
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(sorted.length - 1, lo + 1);
    return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
  }

  private static Windows windows(
      List<Cmapss.Unit> units, int[] sensors, double[] min, double[] max, CnnRul.Config c) {
    List<float[][]> scaled = new ArrayList<>();
    List<int[]> idx = new ArrayList<>();
    List<Float> target = new ArrayList<>();
    for (Cmapss.Unit u : units) {
      int t = u.cycles();
      float[][] x = new float[sensors.length][t]; // (F, T)
      for (int j = 0; j < sensors.length; j++) {
        for (int s = 0; s < t; s++) {
          x[j][s] = (float) (2 * (u.sensors()[s][sensors[j]] - min[j]) / (max[j] - min[j]) - 1);
        }
      }
      for (int end = c.window() - 1; end < t; end++) {
        idx.add(new int[] {scaled.size(), end});
        target.add((float) (Math.min(t - 1 - end, c.rulCap()) / c.rulCap()));
      }
      scaled.add(x);
    }
    int n = idx.size();
    int[] unit = new int[n];
    int[] end = new int[n];
    float[] y = new float[n];
    for (int i = 0; i < n; i++) {
      unit[i] = idx.get(i)[0];
      end[i] = idx.get(i)[1];
      y[i] = target.get(i);
    }
    return new Windows(scaled, unit, end, y);
  }

  /** Windows into a batch: x (B*F*W) row-major (B, F, W), y (B). */
  private static float[][] gather(Windows w, int[] rows, int f, int window) {
    float[] x = new float[rows.length * f * window];
    float[] y = new float[rows.length];
    for (int b = 0; b < rows.length; b++) {
      float[][] u = w.units().get(w.unit()[rows[b]]);
      int first = w.end()[rows[b]] - window + 1;
      for (int j = 0; j < f; j++) {
        System.arraycopy(u[j], first, x, (b * f + j) * window, window);
      }
      y[b] = w.target()[rows[b]];
    }
    return new float[][] {x, y};
  }

  private static float[][] slice(Windows w, int row, int f, int window) {
    float[][] u = w.units().get(w.unit()[row]);
    int first = w.end()[row] - window + 1;
    float[][] x = new float[f][];
    for (int j = 0; j < f; j++) {
      x[j] = Arrays.copyOfRange(u[j], first, first + window);
    }
    return x;
  }

  /**
   * An untrained network with PyTorch's default initialisation, drawn from the seed.
   *
   * @param config hyperparameters
   * @param columns the F input columns
   * @param min per-column minimum, shape (F)
   * @param max per-column maximum, shape (F)
   * @param seed the seed
   * @return the network
   */
  static CnnRul initial(
      CnnRul.Config config, List<String> columns, double[] min, double[] max, long seed) {
    Random random = new Random(seed);
    int f = columns.size();
    int c = config.filters();
    int k = config.kernel();
    float[][] cw = new float[CnnRul.Config.CONVOLUTIONS][];
    float[][] cb = new float[CnnRul.Config.CONVOLUTIONS][];
    for (int l = 0; l < cw.length; l++) {
      int in = l == 0 ? f : c;
      float bound = (float) (1 / Math.sqrt(in * k));
      cw[l] = uniform(random, c * in * k, bound);
      cb[l] = uniform(random, c, bound);
    }
    int flat = c * config.window();
    float dense = (float) (1 / Math.sqrt(flat));
    float out = (float) (1 / Math.sqrt(config.hidden()));
    CnnRul.Weights w = new CnnRul.Weights(cw, cb,
        uniform(random, config.hidden() * flat, dense), uniform(random, config.hidden(), dense),
        uniform(random, config.hidden(), out), uniform(random, 1, out));
    return new CnnRul(
        config, "1", columns, min, max, List.of(w), 0, 0, UPPER_QUANTILE - LOWER_QUANTILE);
  }

  private static float[] uniform(Random random, int n, float bound) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (random.nextFloat() * 2 - 1) * bound;
    }
    return a;
  }
}

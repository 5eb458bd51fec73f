package dev.sibyl.models.autotimes;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dev.sibyl.models.api.ModelFamily;
import dev.sibyl.models.api.TrainingData;
import dev.sibyl.models.api.TrainingListener;
import dev.sibyl.models.api.TrainingOptions;
import dev.sibyl.models.api.TrainingResult;
import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.artifact.Weights;
import dev.sibyl.models.backbone.DecoderState;
import dev.sibyl.models.backbone.PinnedBackbone;
import dev.sibyl.models.runtime.ModelRuntime;
import dev.sibyl.models.train.Batches;
import dev.sibyl.models.train.EarlyStopping;
import dev.sibyl.models.train.EpochLoop;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Trains, saves and loads {@link AutoTimes} (see its comment for the paper).
 *
 * <p>Training is the reference's next-token objective: each training window holds L + S points
 * (the context and one segment more); every one of its L / S positions predicts the segment that
 * follows it, and the loss is the MSE over all positions on the data's scale (the reference
 * de-normalises before the loss). Adam, the "type1" schedule (halving the learning rate every
 * epoch from the third; the reference uses a cosine schedule), early stopping on the validation
 * MSE of the first S steps (one segment, no rollout) with the best checkpoint kept. A batch holds
 * every channel of each of its windows; a batch whose loss or gradients are not finite is skipped
 * (its gradients dropped) rather than stepped. To fit a 2-core CPU an epoch may use every {@code
 * train.stride}-th training window (a fresh random offset each epoch) and the validation every
 * {@code validation.stride}-th window.
 *
 * <p>With {@code timestamps=calendar} every training and validation token's text is written from
 * its rows' times ({@link TrainingData#trainTimes()}), so the data needs a date column; the texts
 * embedded while training stay in the trained model's cache.
 *
 * <p>The training data's horizon must be at least the segment length (train with {@code --horizon
 * 96}); the artifact then serves every horizon. The backbone ({@code --backbone}) is required and
 * is pinned by path and SHA-256 in the manifest, as for Time-LLM.
 */
public final class AutoTimesFamily implements ModelFamily {

  /** The weight file inside an artifact. */
  public static final String WEIGHTS_FILE = "autotimes.ndlist";

  /** Creates the family (stateless). */
  public AutoTimesFamily() {}

  @Override
  public String name() {
    return AutoTimes.FAMILY;
  }

  @Override
  public Map<String, String> defaultHyperparameters() {
    return AutoTimesConfig.DEFAULTS;
  }

  /**
   * {@inheritDoc}
   *
   * <p>The backbone comes from the {@code backbone} hyperparameter; the returned model holds it
   * open for its lifetime.
   *
   * @throws IllegalArgumentException also when the backbone cannot be loaded
   */
  @Override
  public AutoTimes create(Map<String, String> hyperparameters, int lookback, int horizon, long seed) {
    AutoTimesConfig config = AutoTimesConfig.parse(hyperparameters, lookback, horizon);
    PinnedBackbone backbone = open(config);
    return model(config, "1", backbone, AutoTimesNetwork.initial(config, backbone.decoder(), seed));
  }

  private static AutoTimes model(
      AutoTimesConfig config, String version, PinnedBackbone backbone, Map<String, Weights.Tensor> weights) {
    TimestampEmbeddings timestamps =
        new TimestampEmbeddings(backbone.decoder(), backbone.tokenizer(), config.segmentLength());
    return new AutoTimes(config, version, backbone, timestamps, weights);
  }

  private static PinnedBackbone open(AutoTimesConfig config) {
    try {
      return PinnedBackbone.open(
          AutoTimes.FAMILY, config.backbone(), config.backboneSha256(), config.tokenizer(), AutoTimesConfig.TOKENIZER, device());
    } catch (IOException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  private static Device device() {
    return ModelRuntime.modelDevice();
  }

  @Override
  public TrainingResult train(TrainingData data, TrainingOptions options, TrainingListener listener) {
    long start = System.nanoTime();
    // 1. The configuration with the backbone pinned by digest
    AutoTimesConfig config = AutoTimesConfig.parse(options.hyperparameters(), data.lookback(), data.horizon());
    if (data.horizon() < config.segmentLength()) {
      throw new IllegalArgumentException(
          "autotimes trains on windows of one segment more than the context: the horizon must be >= "
              + config.segmentLength() + ", got " + data.horizon());
    }
    if (config.calendar() && !data.hasTimes()) {
      throw new IllegalArgumentException(
          "autotimes with timestamps=calendar writes each segment's text from its rows' times: the"
              + " data needs a date column (yyyy-MM-dd HH:mm:ss)");
    }
    if (options.backbone() == null) {
      throw new IllegalArgumentException(
          "autotimes needs a backbone checkpoint (--backbone <llama2.c file or Hugging Face directory>)");
    }
    Map<String, String> pinned = new LinkedHashMap<>();
    pinned.put(AutoTimesConfig.BACKBONE, options.backbone().toString());
    try {
      pinned.put(AutoTimesConfig.BACKBONE_SHA256, PinnedBackbone.sha256(options.backbone()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read backbone " + options.backbone(), e);
    }
    config = config.with(pinned);
    PinnedBackbone backbone = open(config);
    AutoTimes model = null;
    try {
      model = model(config, "1", backbone, AutoTimesNetwork.initial(config, backbone.decoder(), options.seed()));
      EpochLoop.Fit fit = fit(model, data, options, listener);
      // the texts embedded while training stay cached: the frozen LLM gives them the same vectors
      AutoTimes best = new AutoTimes(config, "1", backbone, model.network().timestamps(), fit.best());
      Map<String, Double> metrics = new LinkedHashMap<>();
      metrics.put("mse", fit.stopping().best());
      metrics.put("mae", fit.bestMae());
      return new TrainingResult(
          best, metrics, fit.stopping().bestEpoch(), fit.epochsRun(), (System.nanoTime() - start) / 1e9);
    } catch (RuntimeException e) {
      backbone.close();
      throw e;
    } finally {
      if (model != null) {
        model.network().close();
      }
    }
  }

  private static EpochLoop.Fit fit(AutoTimes model, TrainingData data, TrainingOptions options, TrainingListener listener) {
    AutoTimesConfig config = model.config();
    int l = data.lookback();
    int s = config.segmentLength();
    int c = data.channels();
    int t = config.segments();
    AutoTimesNetwork network = model.network();
    // windows of L + S points: the context and the segment after it
    int windows = data.train().length - l - s + 1;
    EpochLoop.BatchStep step = starts -> {
      NextSegmentBatch batch = NextSegmentBatch.of(data.train(), starts, c, l, s);
      int n = batch.rows();
      String[] texts = config.calendar() ? new String[n * t] : null; // (N, T)
      if (texts != null) {
        // every channel of a window shares its rows' times; the LLM passes of new texts run here,
        // outside the batch's scope and gradient recording, whose arrays they are no part of
        long[] times = data.trainTimes();
        for (int i = 0; i < starts.length; i++) {
          for (int ch = 0; ch < c; ch++) {
            for (int j = 0; j < t; j++) {
              texts[(i * c + ch) * t + j] =
                  TimestampPrompt.calendar(times[starts[i] + j * s], times[starts[i] + j * s + s - 1]);
            }
          }
        }
        network.timestamps().embed(texts);
      }
      NextSegmentBatch.Standardised in = batch.standardise();
      float[] tokens = in.tokens();
      double loss;
      try (NDScope scope = new NDScope();
          DecoderState state = network.newState(n)) {
        NextSegmentBatch.LossArrays a = batch.lossArrays(network.manager(), in, s);
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
          // next-token loss at every position, on the data's scale
          NDArray raw =
              texts == null
                  ? network.forward(network.manager(), tokens, n, 0, state, false)
                  : network.forward(network.manager(), tokens, n, texts, state, false);
          NDArray out = raw.mul(a.std()).add(a.mean());
          NDArray mse = out.sub(a.target()).square().mean();
          collector.backward(mse);
          loss = mse.getFloat();
        }
      }
      return loss;
    };
    return EpochLoop.run(
        AutoTimes.FAMILY, network.manager(), network.parameters(), network::weights, windows, config.trainStride(),
        options, (epoch, i, steps) -> EarlyStopping.type1(options.learningRate(), epoch), step,
        () -> validate(model, data, config.validationStride()), listener);
  }

  /** MSE and MAE of the next segment over every stride-th validation window; no gradients. */
  private static double[] validate(AutoTimes model, TrainingData data, int stride) {
    int l = data.lookback();
    int s = model.config().segmentLength();
    int c = data.channels();
    int windows = data.validation().length - l - s + 1;
    int perChunk = Math.max(1, AutoTimes.PREDICT_ROWS / c);
    double sq = 0;
    double abs = 0;
    long n = 0;
    int[] starts = new int[(windows + stride - 1) / stride];
    for (int i = 0; i < starts.length; i++) {
      starts[i] = i * stride;
    }
    for (int first = 0; first < starts.length; first += perChunk) {
      int count = Math.min(perChunk, starts.length - first);
      double[][] x = new double[count * c][];
      long[][] times = data.hasTimes() && model.config().calendar() ? new long[count * c][] : null;
      for (int i = 0; i < count; i++) {
        for (int ch = 0; ch < c; ch++) {
          x[i * c + ch] = Batches.column(data.validation(), ch, starts[first + i], l);
          if (times != null) {
            times[i * c + ch] = Arrays.copyOfRange(data.validationTimes(), starts[first + i], starts[first + i] + l);
          }
        }
      }
      double[][] y = model.nextSegment(x, null, times == null ? null : SegmentSpans.of(times, null, s));
      for (int i = 0; i < count; i++) {
        for (int ch = 0; ch < c; ch++) {
          double[] target = Batches.column(data.validation(), ch, starts[first + i] + l, s);
          for (int k = 0; k < s; k++) {
            double e = y[i * c + ch][k] - target[k];
            sq += e * e;
            abs += Math.abs(e);
          }
          n += s;
        }
      }
    }
    return new double[] {sq / n, abs / n};
  }

  @Override
  public void saveWeights(WindowModel model, Path directory) throws IOException {
    if (!(model instanceof AutoTimes a)) {
      throw new IllegalArgumentException("not an autotimes model: " + model.family());
    }
    Weights.write(directory.resolve(WEIGHTS_FILE), a.weights());
  }

  @Override
  public AutoTimes loadWeights(
      Map<String, String> hyperparameters, int lookback, int horizon, String version, Path directory)
      throws IOException {
    AutoTimesConfig config = AutoTimesConfig.parse(hyperparameters, lookback, horizon);
    Path file = directory.resolve(WEIGHTS_FILE);
    Map<String, Weights.Tensor> t = Weights.read(file);
    PinnedBackbone backbone =
        PinnedBackbone.open(
            AutoTimes.FAMILY, config.backbone(), config.backboneSha256(), config.tokenizer(), AutoTimesConfig.TOKENIZER, device());
    try {
      Map<String, Weights.Tensor> weights = new LinkedHashMap<>();
      for (Map.Entry<String, long[]> e : AutoTimesNetwork.shapes(config, backbone.decoder()).entrySet()) {
        weights.put(e.getKey(), new Weights.Tensor(Weights.require(file, t, e.getKey(), e.getValue()), e.getValue()));
      }
      return model(config, version, backbone, weights);
    } catch (IOException | RuntimeException e) {
      backbone.close();
      throw e;
    }
  }
}

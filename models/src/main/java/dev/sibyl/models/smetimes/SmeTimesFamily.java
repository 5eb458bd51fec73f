package dev.sibyl.models.smetimes;

import ai.djl.Device;
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
import dev.sibyl.models.autotimes.AutoTimesConfig;
import dev.sibyl.models.autotimes.NextSegmentBatch;
import dev.sibyl.models.autotimes.TimestampEmbeddings;
import dev.sibyl.models.backbone.DecoderState;
import dev.sibyl.models.backbone.PinnedBackbone;
import dev.sibyl.models.runtime.ModelRuntime;
import dev.sibyl.models.train.Batches;
import dev.sibyl.models.train.EarlyStopping;
import dev.sibyl.models.train.EpochLoop;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains, saves and loads {@link SmeTimes} (see its comment for the paper).
 *
 * <p>Training is AutoTimes' (same windows, strides, schedule and early stopping, so the two compare
 * in one harness): every position of a window of L + S points predicts the segment after it, the
 * loss is the MSE over all positions on the data's scale, plus {@code balance.weight} times the
 * mixture's load-balancing loss, plus {@code rollout.weight} times the rollout loss (the last {@code
 * rollout.steps} - 1 tokens fed the model's own chained predictions instead of the true segments;
 * off by default), this
 * family's departure from AutoTimes' objective. A batch whose loss or gradients are not finite is
 * skipped (its gradients are dropped, Adam's moments kept), so that one bad batch cannot poison
 * every parameter.
 * The prompt of every segment a batch holds is embedded by the LLM the first time it is seen and
 * cached: the first epoch pays for the training split's prompts, later epochs read them.
 */
public final class SmeTimesFamily implements ModelFamily {

  /** The weight file inside an artifact. */
  public static final String WEIGHTS_FILE = "smetimes.ndlist";

  /** Creates the family (stateless). */
  public SmeTimesFamily() {}

  @Override
  public String name() {
    return SmeTimes.FAMILY;
  }

  @Override
  public Map<String, String> defaultHyperparameters() {
    return SmeTimesConfig.DEFAULTS;
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException also when the backbone cannot be loaded
   */
  @Override
  public SmeTimes create(Map<String, String> hyperparameters, int lookback, int horizon, long seed) {
    SmeTimesConfig config = SmeTimesConfig.parse(hyperparameters, lookback, horizon);
    PinnedBackbone backbone = open(config);
    return model(config, "1", backbone, SmeTimesNetwork.initial(config, backbone.decoder(), seed));
  }

  private static SmeTimes model(
      SmeTimesConfig config, String version, PinnedBackbone backbone, Map<String, Weights.Tensor> weights) {
    return model(config, version, backbone, weights,
        new PromptEmbeddings(backbone.decoder(), backbone.tokenizer(), config.promptCache()));
  }

  /** A model over the given prompt cache: the best checkpoint keeps what training computed. */
  private static SmeTimes model(
      SmeTimesConfig config, String version, PinnedBackbone backbone, Map<String, Weights.Tensor> weights,
      PromptEmbeddings prompts) {
    TimestampEmbeddings timestamps =
        new TimestampEmbeddings(backbone.decoder(), backbone.tokenizer(), config.segmentLength());
    SmeTimesNetwork network = new SmeTimesNetwork(config, backbone.decoder(), timestamps, prompts, weights);
    return new SmeTimes(config, version, backbone, network);
  }

  private static PinnedBackbone open(SmeTimesConfig config) {
    AutoTimesConfig b = config.base();
    try {
      return PinnedBackbone.open(
          SmeTimes.FAMILY, b.backbone(), b.backboneSha256(), b.tokenizer(), AutoTimesConfig.TOKENIZER, device());
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
    SmeTimesConfig config = SmeTimesConfig.parse(options.hyperparameters(), data.lookback(), data.horizon());
    if (data.horizon() < config.segmentLength()) {
      throw new IllegalArgumentException(
          "smetimes trains on windows of one segment more than the context: the horizon must be >= "
              + config.segmentLength() + ", got " + data.horizon());
    }
    if (options.backbone() == null) {
      throw new IllegalArgumentException(
          "smetimes needs a backbone checkpoint (--backbone <llama2.c file or Hugging Face directory>)");
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
    SmeTimes model = null;
    try {
      model = model(config, "1", backbone, SmeTimesNetwork.initial(config, backbone.decoder(), options.seed()));
      EpochLoop.Fit fit = fit(model, data, options, listener);
      SmeTimes best = model(config, "1", backbone, fit.best(), model.network().prompts());
      Map<String, Double> metrics = new LinkedHashMap<>();
      metrics.put("mse", fit.stopping().best());
      metrics.put("mae", fit.bestMae());
      metrics.put("alpha", best.alpha());
      metrics.put("prompt_seconds", best.promptSeconds());
      metrics.put("prompts_computed", (double) best.promptsComputed());
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

  private static EpochLoop.Fit fit(SmeTimes model, TrainingData data, TrainingOptions options, TrainingListener listener) {
    SmeTimesConfig config = model.config();
    int l = data.lookback();
    int s = config.segmentLength();
    int c = data.channels();
    SmeTimesNetwork network = model.network();
    int windows = data.train().length - l - s + 1;
    int t = config.segments();
    float balanceWeight = (float) config.balanceWeight();
    float rolloutWeight = (float) config.rolloutWeight();
    boolean rollout = rolloutWeight > 0 && t > 1;
    int rolloutSteps = Math.min(config.rolloutSteps(), t);
    EpochLoop.BatchStep step = starts -> {
      NextSegmentBatch batch = NextSegmentBatch.of(data.train(), starts, c, l, s);
      int n = batch.rows();
      // the prompts are of the raw segments, before the per-context standardisation
      float[] prompts = config.prompt() ? network.prompts().embeddings(model.segments(batch.context())) : null;
      NextSegmentBatch.Standardised in = batch.standardise();
      float[] tokens = in.tokens();
      float[] rolledPrompts =
          rollout && prompts != null
              ? rolledPrompts(network, tokens, prompts, n, t, rolloutSteps, in.mean(), in.std())
              : null;
      double loss;
      List<DecoderState> rolled = new ArrayList<>();
      try (NDScope scope = new NDScope();
          DecoderState state = network.newState(n)) {
        var m = network.manager();
        NextSegmentBatch.LossArrays a = batch.lossArrays(m, in, s);
        NDArray target = a.target();
        NDArray mu = a.mean();
        NDArray sigma = a.std();
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
          MixtureOfExperts.Output out = network.forward(m, tokens, prompts, n, 0, null, state);
          NDArray mse = out.prediction().mul(sigma).add(mu).sub(target).square().mean();
          NDArray total = balanceWeight > 0 ? mse.add(out.balance().mul(ModelRuntime.scalar(m, balanceWeight))) : mse;
          if (rollout) {
            NDArray chain = rolloutLoss(
                network, m, tokens, rolledPrompts, out.prediction(), mu, sigma, target, rolloutSteps, rolled);
            total = total.add(chain.mul(ModelRuntime.scalar(m, rolloutWeight)));
          }
          collector.backward(total);
          loss = mse.getFloat();
        }
      } finally {
        for (DecoderState r : rolled) {
          if (r != null) {
            r.close();
          }
        }
      }
      return loss;
    };
    return EpochLoop.run(
        SmeTimes.FAMILY, network.manager(), network.parameters(), network::weights, windows, config.base().trainStride(),
        options, (epoch, i, steps) -> EarlyStopping.type1(options.learningRate(), epoch), step,
        () -> validate(model, data, config.base().validationStride()), listener);
  }

  /**
   * The rollout loss over a chain of K steps: the last K - 1 segments of every window are replaced,
   * one pass after another, by the model's own predictions of them (the gradient flowing through
   * each), as the rollout feeds its predictions back, and each pass's forecast of the segment after
   * its last token is scored: pass m (m = 2..K) forecasts m segments ahead of the last true one.
   * MSE on the data's scale, averaged over the K - 1 passes. Why: trained on true segments only,
   * the model's error at the second rolled segment grew faster than AutoTimes' (0.456 against 0.434
   * on ETTh1's test split, first segment 0.381 against 0.382), with its largest part on the channels
   * with the strongest daily cycle; a horizon of 720 rolls 8 segments. The chain's passes are causal
   * and end at the replaced token, so pass m runs over T - K + m tokens. The standardisation stays
   * the window's own.
   *
   * @param rolledPrompts the prompt embeddings with the last K - 1 segments' replaced by their
   *     predictions' (see {@link #rolledPrompts}), (N, T, D); null without prompts
   * @param prediction pass one's output, standardised; shape (N, T, S)
   * @param mu each row's mean; shape (N, 1, 1)
   * @param sigma each row's standard deviation; shape (N, 1, 1)
   * @param target the segment after every position, data's scale; shape (N, T, S)
   * @param steps K, in [2, T]
   * @param states receives the chain's decoder states (null entries without the LLM), closed by the
   *     caller after the backward pass
   * @return the scalar loss
   */
  private static NDArray rolloutLoss(
      SmeTimesNetwork network, NDManager m, float[] tokens, float[] rolledPrompts, NDArray prediction,
      NDArray mu, NDArray sigma, NDArray target, int steps, List<DecoderState> states) {
    long n = prediction.getShape().get(0);
    int t = (int) prediction.getShape().get(1);
    int s = (int) prediction.getShape().get(2);
    int keep = t - steps + 1; // the true tokens at the chain's head
    // 1. The chain's head (N, keep, S), then the first prediction fed back: token keep - 1's
    NDArray x = ModelRuntime.owned(m, tokens, new Shape(n, t, s)).get(":, :" + keep + ", :");
    NDArray guess = prediction.get(":, " + (keep - 1) + ":" + keep + ", :");
    NDArray sum = null;
    for (int pass = 2; pass <= steps; pass++) {
      // 2. One more token, the last prediction; its forecast of the segment after it is scored
      x = x.concat(guess, 1);
      int last = keep + pass - 2;
      float[] p = rolledPrompts == null ? null : headOf(rolledPrompts, (int) n, t, last + 1);
      DecoderState state = network.newState((int) n);
      states.add(state);
      NDArray out = network.forward(m, x, p, 0, null, state).prediction()
          .get(":, " + last + ":" + (last + 1) + ", :");
      NDArray truth = target.get(":, " + last + ":" + (last + 1) + ", :");
      NDArray mse = out.mul(sigma).add(mu).sub(truth).square().mean();
      sum = sum == null ? mse : sum.add(mse);
      guess = out;
    }
    return sum.div(ModelRuntime.scalar(m, steps - 1));
  }

  /** The first {@code tokens} of every row of a row-major (N, T, D) array. */
  private static float[] headOf(float[] rows, int n, int t, int tokens) {
    if (tokens == t) {
      return rows;
    }
    int d = rows.length / (n * t);
    float[] head = new float[n * tokens * d];
    for (int r = 0; r < n; r++) {
      System.arraycopy(rows, r * t * d, head, r * tokens * d, tokens * d);
    }
    return head;
  }

  /**
   * The prompts of the rollout chain: the last K - 1 segments' replaced by the texts of their
   * predictions on the data's scale. The predictions come from the same chain run without
   * gradients (the same weights and inputs, so the same values as the loss pass's), one pass per
   * step, before the loss pass because the prompt's LLM pass must not run inside the loss pass's
   * scope.
   *
   * @param tokens standardised, row-major (N, T, S)
   * @param prompts row-major (N, T, D)
   * @param t T, the tokens per row
   * @param steps K, in [2, T]
   * @param mean each row's mean; (N)
   * @param std each row's standard deviation; (N)
   * @return row-major (N, T, D)
   */
  private static float[] rolledPrompts(
      SmeTimesNetwork network, float[] tokens, float[] prompts, int n, int t, int steps, float[] mean,
      float[] std) {
    int s = tokens.length / (n * t);
    int d = prompts.length / (n * t);
    int keep = t - steps + 1;
    float[] chain = tokens.clone();
    float[] out = prompts.clone();
    for (int last = keep - 1; last < t - 1; last++) {
      // the prediction of token last + 1 from the chain so far (tokens 0..last)
      float[] predicted;
      try (NDManager sub = network.manager().newSubManager();
          DecoderState state = network.newState(n)) {
        float[] head = headOf(chain, n, t, last + 1);
        float[] headPrompts = headOf(out, n, t, last + 1);
        predicted = network.forward(sub, head, headPrompts, n, 0, null, state).prediction().toFloatArray();
      }
      List<double[]> segments = new ArrayList<>(n);
      for (int r = 0; r < n; r++) {
        double[] seg = new double[s];
        for (int k = 0; k < s; k++) {
          float v = predicted[(r * (last + 1) + last) * s + k];
          chain[(r * t + last + 1) * s + k] = v;
          seg[k] = v * std[r] + mean[r];
        }
        segments.add(seg);
      }
      float[] embedded = network.prompts().embeddings(segments);
      for (int r = 0; r < n; r++) {
        System.arraycopy(embedded, r * d, out, (r * t + last + 1) * d, d);
      }
    }
    return out;
  }

  /** MSE and MAE of the next segment over every stride-th validation window; no gradients. */
  private static double[] validate(SmeTimes model, TrainingData data, int stride) {
    int l = data.lookback();
    int s = model.config().segmentLength();
    int c = data.channels();
    int windows = data.validation().length - l - s + 1;
    int perChunk = Math.max(1, SmeTimes.PREDICT_ROWS / c);
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
      for (int i = 0; i < count; i++) {
        for (int ch = 0; ch < c; ch++) {
          x[i * c + ch] = Batches.column(data.validation(), ch, starts[first + i], l);
        }
      }
      double[][] y = model.nextSegment(x);
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
    if (!(model instanceof SmeTimes a)) {
      throw new IllegalArgumentException("not a smetimes model: " + model.family());
    }
    Weights.write(directory.resolve(WEIGHTS_FILE), a.weights());
  }

  @Override
  public SmeTimes loadWeights(
      Map<String, String> hyperparameters, int lookback, int horizon, String version, Path directory)
      throws IOException {
    Map<String, String> hp = new LinkedHashMap<>(hyperparameters);
    // an artifact older than these keys was trained with the token's own segment and no rollout loss
    hp.putIfAbsent(SmeTimesConfig.BASE_SEGMENTS, "1");
    hp.putIfAbsent(SmeTimesConfig.ROLLOUT_WEIGHT, "0");
    SmeTimesConfig config = SmeTimesConfig.parse(hp, lookback, horizon);
    Path file = directory.resolve(WEIGHTS_FILE);
    Map<String, Weights.Tensor> t = Weights.read(file);
    AutoTimesConfig b = config.base();
    PinnedBackbone backbone =
        PinnedBackbone.open(SmeTimes.FAMILY, b.backbone(), b.backboneSha256(), b.tokenizer(), AutoTimesConfig.TOKENIZER, device());
    try {
      Map<String, Weights.Tensor> weights = new LinkedHashMap<>();
      for (Map.Entry<String, long[]> e : SmeTimesNetwork.shapes(config, backbone.decoder()).entrySet()) {
        weights.put(e.getKey(), new Weights.Tensor(Weights.require(file, t, e.getKey(), e.getValue()), e.getValue()));
      }
      return model(config, version, backbone, weights);
    } catch (IOException | RuntimeException e) {
      backbone.close();
      throw e;
    }
  }
}

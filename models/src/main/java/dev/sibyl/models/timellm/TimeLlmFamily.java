package dev.sibyl.models.timellm;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
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
import dev.sibyl.models.backbone.DecoderState;
import dev.sibyl.models.norm.RevIn;
import dev.sibyl.models.runtime.ModelRuntime;
import dev.sibyl.models.train.Batches;
import dev.sibyl.models.train.EpochLoop;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Trains, saves and loads {@link TimeLlm} (see its comment for the paper).
 *
 * <p>Training follows the reference's loop ({@code run_main.py}): Adam, MSE between the
 * de-normalised forecast and the target, the "type1" schedule halving the learning rate every epoch
 * from the third or the reference's per-step OneCycle ({@code lr.schedule}), early stopping on the
 * validation loss with the best checkpoint kept. A batch holds every channel of each of its windows. To fit a 2-core CPU, an epoch may use every {@code
 * train.stride}-th training window (a fresh random offset each epoch, so that successive epochs see
 * different windows) and the validation loss every {@code validation.stride}-th validation window;
 * both are 1 (every window) by default.
 *
 * <p>The backbone ({@code --backbone}) is required. Its path and SHA-256 go into the model's
 * hyperparameters, hence the manifest; loading an artifact opens the checkpoint at that path (as
 * given at training, so relative to the working directory) and refuses it when the digest differs.
 */
public final class TimeLlmFamily implements ModelFamily {

  /** The weight file inside an artifact. */
  public static final String WEIGHTS_FILE = "time-llm.ndlist";

  /**
   * Domain descriptions by data set, abridged from the reference's {@code dataset/prompt_bank}:
   * the stories260K tokenizer spends about one token per 1.5 characters, and every prompt token is
   * a backbone position for every window and channel (the reference's ETT text alone would be
   * about 140 tokens, twice the 64 patches).
   */
  private static final Map<String, String> DOMAINS =
      Map.of(
          "ett",
          "The Electricity Transformer Temperature (ETT): hourly oil temperature and 6 power loads",
          "weather",
          "Weather is recorded every 10 minutes for the 2020 whole year, which contains 21"
              + " meteorological indicators, such as air temperature, humidity, etc",
          "electricity",
          "Measurements of electric power consumption in one household with a one-minute sampling"
              + " rate over a period of almost 4 years",
          "traffic",
          "Traffic is a collection of hourly data from California Department of Transportation,"
              + " which describes the road occupancy rates measured by different sensors");

  /** Creates the family (stateless). */
  public TimeLlmFamily() {}

  @Override
  public String name() {
    return TimeLlm.FAMILY;
  }

  @Override
  public Map<String, String> defaultHyperparameters() {
    return TimeLlmConfig.DEFAULTS;
  }

  /**
   * The domain description of a data set by its name, or a generic one.
   *
   * @param dataset the data set's (file) name; not null
   * @return the description
   */
  public static String domain(String dataset) {
    String n = dataset.toLowerCase(Locale.ROOT);
    for (Map.Entry<String, String> e : DOMAINS.entrySet()) {
      if (n.startsWith(e.getKey()) || (e.getKey().equals("electricity") && n.startsWith("ecl"))) {
        return e.getValue();
      }
    }
    return "Time series " + dataset.replaceFirst("\\.[^.]*$", "");
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
  public TimeLlm create(Map<String, String> hyperparameters, int lookback, int horizon, long seed) {
    TimeLlmConfig config = TimeLlmConfig.parse(hyperparameters, lookback, horizon);
    TimeLlmBackbone backbone = open(config);
    return new TimeLlm(config, "1", backbone, TimeLlmNetwork.initial(config, backbone.decoder(), seed));
  }

  private static TimeLlmBackbone open(TimeLlmConfig config) {
    try {
      return TimeLlmBackbone.open(config, device());
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
    int l = data.lookback();
    int h = data.horizon();
    int c = data.channels();
    // 1. The configuration with the backbone pinned by digest and the data set's domain
    TimeLlmConfig config = TimeLlmConfig.parse(options.hyperparameters(), l, h);
    if (options.backbone() == null) {
      throw new IllegalArgumentException(
          "time-llm needs a backbone checkpoint (--backbone <llama2.c file or Hugging Face directory>)");
    }
    Map<String, String> pinned = new LinkedHashMap<>();
    pinned.put(TimeLlmConfig.BACKBONE, options.backbone().toString());
    try {
      pinned.put(TimeLlmConfig.BACKBONE_SHA256, TimeLlmBackbone.sha256(options.backbone()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read backbone " + options.backbone(), e);
    }
    if (config.domain().isBlank()) {
      pinned.put(TimeLlmConfig.DOMAIN, domain(data.name()));
    }
    config = config.with(pinned);
    TimeLlmBackbone backbone = open(config);
    TimeLlm model = null;
    try {
      model = new TimeLlm(config, "1", backbone, TimeLlmNetwork.initial(config, backbone.decoder(), options.seed()));
      EpochLoop.Fit fit = fit(model, data, options, listener);
      TimeLlm best = new TimeLlm(config, "1", backbone, fit.best());
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

  private static EpochLoop.Fit fit(TimeLlm model, TrainingData data, TrainingOptions options, TrainingListener listener) {
    TimeLlmConfig config = model.config();
    int l = data.lookback();
    int h = data.horizon();
    int c = data.channels();
    TimeLlmNetwork network = model.network();
    EpochLoop.BatchStep step = starts -> {
      int n = starts.length * c;
      double[][] x = new double[n][];
      float[] y = new float[n * h];
      for (int i = 0; i < starts.length; i++) {
        int s = starts[i];
        for (int ch = 0; ch < c; ch++) {
          x[i * c + ch] = Batches.column(data.train(), ch, s, l);
          double[] target = Batches.column(data.train(), ch, s + l, h);
          for (int t = 0; t < h; t++) {
            y[(i * c + ch) * h + t] = (float) target[t];
          }
        }
      }
      RevIn revIn = RevIn.normalise(x);
      float[] mean = new float[n];
      float[] std = new float[n];
      for (int r = 0; r < n; r++) {
        mean[r] = (float) revIn.mean(r);
        std[r] = (float) revIn.std(r);
      }
      int[][] prompts = model.promptIds(x);
      double loss;
      try (NDScope scope = new NDScope();
          DecoderState state = network.newState(n)) {
        // owned copies, as the other families make them: autograd saves sigma for the backward
        // pass, which must not read a Java buffer (see ModelRuntime.owned)
        var m = network.manager();
        NDArray target = ModelRuntime.owned(m, y, new Shape(n, h));
        NDArray mu = ModelRuntime.owned(m, mean, new Shape(n, 1));
        NDArray sigma = ModelRuntime.owned(m, std, new Shape(n, 1));
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
          // the loss is on the data's scale, as the reference de-normalises before it
          NDArray out = network.forward(x, prompts, state).mul(sigma).add(mu);
          NDArray mse = out.sub(target).square().mean();
          collector.backward(mse);
          loss = mse.getFloat();
        }
      }
      return loss;
    };
    return EpochLoop.run(
        TimeLlm.FAMILY, network.manager(), network.parameters(), network::weights, data.trainWindows(),
        config.trainStride(), options,
        (epoch, i, steps) -> config.learningRate(options.learningRate(), epoch, i, steps), step,
        () -> validate(model, data, config.validationStride()), listener);
  }


  /** MSE and MAE over every stride-th validation window, every channel; no gradients. */
  private static double[] validate(TimeLlm model, TrainingData data, int stride) {
    int l = data.lookback();
    int h = data.horizon();
    int c = data.channels();
    int windows = data.validationWindows();
    int perChunk = Math.max(1, TimeLlm.PREDICT_ROWS / c);
    double sq = 0;
    double abs = 0;
    long n = 0;
    int[] starts = new int[(windows + stride - 1) / stride];
    for (int i = 0; i < starts.length; i++) {
      starts[i] = i * stride;
    }
    for (int first = 0; first < starts.length; first += perChunk) {
      int count = Math.min(perChunk, starts.length - first);
      double[][][] x = new double[count][c][];
      for (int i = 0; i < count; i++) {
        for (int ch = 0; ch < c; ch++) {
          x[i][ch] = Batches.column(data.validation(), ch, starts[first + i], l);
        }
      }
      double[][][] y = model.predict(x, h);
      for (int i = 0; i < count; i++) {
        for (int ch = 0; ch < c; ch++) {
          double[] target = Batches.column(data.validation(), ch, starts[first + i] + l, h);
          for (int t = 0; t < h; t++) {
            double e = y[i][ch][t] - target[t];
            sq += e * e;
            abs += Math.abs(e);
          }
          n += h;
        }
      }
    }
    return new double[] {sq / n, abs / n};
  }

  @Override
  public void saveWeights(WindowModel model, Path directory) throws IOException {
    if (!(model instanceof TimeLlm t)) {
      throw new IllegalArgumentException("not a time-llm model: " + model.family());
    }
    Weights.write(directory.resolve(WEIGHTS_FILE), t.weights());
  }

  @Override
  public TimeLlm loadWeights(
      Map<String, String> hyperparameters, int lookback, int horizon, String version, Path directory)
      throws IOException {
    TimeLlmConfig config = TimeLlmConfig.parse(hyperparameters, lookback, horizon);
    Path file = directory.resolve(WEIGHTS_FILE);
    Map<String, Weights.Tensor> t = Weights.read(file);
    TimeLlmBackbone backbone = TimeLlmBackbone.open(config, device());
    try {
      Map<String, Weights.Tensor> weights = new LinkedHashMap<>();
      for (Map.Entry<String, long[]> e : TimeLlmNetwork.shapes(config, backbone.decoder()).entrySet()) {
        weights.put(e.getKey(), new Weights.Tensor(Weights.require(file, t, e.getKey(), e.getValue()), e.getValue()));
      }
      return new TimeLlm(config, version, backbone, weights);
    } catch (IOException | RuntimeException e) {
      backbone.close();
      throw e;
    }
  }
}

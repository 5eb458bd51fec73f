package dev.sibyl.app.cli;

import dev.sibyl.models.api.ModelFamily;
import dev.sibyl.models.api.ModelRegistry;
import dev.sibyl.models.api.TrainingData;
import dev.sibyl.models.api.TrainingListener;
import dev.sibyl.models.api.TrainingOptions;
import dev.sibyl.models.api.TrainingResult;
import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.artifact.Artifacts;
import dev.sibyl.models.artifact.Manifest;
import dev.sibyl.models.eval.Harness;
import dev.sibyl.models.eval.Protocol;
import dev.sibyl.models.eval.Table;
import dev.sibyl.models.rul.Prognostics;
import dev.sibyl.models.runtime.DeviceConfig;
import dev.sibyl.models.runtime.ModelRuntime;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code sibyl train}: trains one model family on a CSV under a forecasting protocol and writes an
 * artifact (manifest + weights). Progress (epoch, batch, loss, ETA) goes to stderr on one
 * rewritten line; the summary to stdout.
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Train a model family on a CSV (ETT protocol or 70/10/20 split) and write an artifact.")
public final class TrainCommand implements Callable<Integer> {

  @Spec private CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "FAMILY", description = "Model family to train: a forecaster (dlinear, ar, s-mamba, time-llm, autotimes, smetimes) or a prognostic (arphmm, cnn-rul).")
  private String model;

  @Option(names = "--data", required = true, paramLabel = "CSV", description = "Training data: header, optional date column, numeric channels.")
  private Path data;

  @Option(names = "--lookback", paramLabel = "L", description = "Lookback window length (forecasters: required).")
  private Integer lookback;

  @Option(names = "--horizon", paramLabel = "H", description = "Forecast horizon the model is trained for (forecasters: required).")
  private Integer horizon;

  @Option(names = "--epochs", paramLabel = "E", defaultValue = "10", description = "Most epochs (default ${DEFAULT-VALUE}).")
  private int epochs;

  @Option(names = "--batch-size", paramLabel = "B", defaultValue = "32", description = "Windows per batch (default ${DEFAULT-VALUE}).")
  private int batchSize;

  @Option(names = "--lr", paramLabel = "X", defaultValue = "0.005", description = "Initial learning rate (default ${DEFAULT-VALUE}; halved each epoch from the third).")
  private double learningRate;

  @Option(names = "--patience", paramLabel = "N", defaultValue = "3", description = "Early-stopping patience in epochs (default ${DEFAULT-VALUE}).")
  private int patience;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "2021", description = "Random seed (default ${DEFAULT-VALUE}, the DLinear scripts' seed).")
  private long seed;

  @Option(names = "--backbone", paramLabel = "PATH", description = "Frozen LLM checkpoint (LLM-backed families only).")
  private Path backbone;

  @Option(names = "--protocol", paramLabel = "ett|csv", description = "Split protocol (default: ett for ETT*.csv files, csv otherwise).")
  private String protocol;

  @Option(names = "--hp", paramLabel = "KEY=VALUE", description = "A family hyperparameter (repeatable), e.g. kernel.size=25.")
  private Map<String, String> hyperparameters = new LinkedHashMap<>();

  @Option(names = "--threads", paramLabel = "N", defaultValue = "1", description = "PyTorch intra-op threads (default ${DEFAULT-VALUE}: these models are small, and more threads than cores made an epoch 7x slower on 2 cores).")
  private int threads;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Artifact directory to write.")
  private Path out;

  @Override
  public Integer call() throws Exception {
    // 0. Prognostic families (arphmm, cnn-rul) train on C-MAPSS files, without windows
    if (Prognostics.contains(model)) {
      if (!Files.isRegularFile(data)) {
        throw new ParameterException(spec.commandLine(), "--data: no such file: " + data);
      }
      return PrognosticTraining.run(spec.commandLine(), model, data, hyperparameters, seed, threads, out);
    }
    if (lookback == null || horizon == null) {
      throw new ParameterException(spec.commandLine(), "--lookback and --horizon are required for forecaster families (" + model + ")");
    }
    // 1. Options
    if (lookback < 1 || horizon < 1 || epochs < 1 || batchSize < 1 || patience < 1 || threads < 1) {
      throw new ParameterException(
          spec.commandLine(), "--lookback, --horizon, --epochs, --batch-size, --patience and --threads must be positive");
    }
    if (!(learningRate > 0)) {
      throw new ParameterException(spec.commandLine(), "--lr must be positive, got " + learningRate);
    }
    if (protocol != null && !protocol.equals("ett") && !protocol.equals("csv")) {
      throw new ParameterException(spec.commandLine(), "--protocol must be ett or csv, got '" + protocol + "'");
    }
    if (!ModelRegistry.contains(model)) {
      throw new ParameterException(
          spec.commandLine(), "--model: unknown family '" + model + "'; trainable families: " + ModelRegistry.names());
    }
    boolean llmBacked = ModelRegistry.family(model).defaultHyperparameters().containsKey("backbone");
    if (backbone != null && !llmBacked) {
      throw new ParameterException(
          spec.commandLine(), "--backbone applies to LLM-backed families only; " + model + " has no backbone");
    }
    if (backbone == null && llmBacked) {
      throw new ParameterException(spec.commandLine(), "--backbone is required for " + model);
    }
    if (backbone != null && !Files.exists(backbone)) {
      throw new ParameterException(spec.commandLine(), "--backbone: no such file or directory: " + backbone);
    }
    if (!Files.isRegularFile(data)) {
      throw new ParameterException(spec.commandLine(), "--data: no such file: " + data);
    }
    ModelFamily family = ModelRegistry.family(model);
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter stdout = spec.commandLine().getOut();

    // 2. Data under the protocol: scaler fitted on the train rows only
    Table table = Table.read(data);
    // a multivariate family records the columns' names, by which the pipeline maps a point's channels
    if (family.defaultHyperparameters().containsKey(WindowModel.CHANNEL_NAMES)) {
      hyperparameters.putIfAbsent(WindowModel.CHANNEL_NAMES, String.join(",", table.columns()));
    }
    Protocol p = ProtocolOption.resolve(spec.commandLine(), protocol, table, lookback);
    Harness.Prepared prepared = Harness.prepare(table, p);
    TrainingData training =
        new TrainingData(
            table.name(),
            prepared.rows(p.trainStart(), p.trainEnd()),
            prepared.rows(p.validationStart(), p.validationEnd()),
            lookback,
            horizon);
    long[] times = null;
    try {
      times = table.times();
    } catch (IllegalArgumentException e) {
      // a first column that is not a date (an index, a label): no times, and a family that needs them says so
    }
    if (times != null) {
      training = training.withTimes(
          Arrays.copyOfRange(times, p.trainStart(), p.trainEnd()), Arrays.copyOfRange(times, p.validationStart(), p.validationEnd()));
    }
    TrainingOptions options =
        new TrainingOptions(epochs, batchSize, learningRate, patience, seed, backbone, hyperparameters);

    // 3. Train with a progress line, then write the artifact
    // threads before the engine starts (setSeed starts it)
    ModelRuntime.start(new DeviceConfig(DeviceConfig.DEVICE_DEFAULT, threads, 1));
    ModelRuntime.setSeed((int) seed);
    err.printf(
        Locale.ROOT,
        "training %s on %s (%s protocol, L=%d, H=%d, %d channels, %d train / %d validation windows)%n",
        model, table.name(), p.name(), lookback, horizon, table.channels(), training.trainWindows(), training.validationWindows());
    TrainingResult result = family.train(training, options, new Progress(err, epochs));
    Manifest manifest =
        new Manifest(
            Artifacts.FORMAT_VERSION,
            model,
            result.model().version(),
            result.model().hyperparameters(),
            lookback,
            horizon,
            training.fingerprint(),
            result.validationMetrics(),
            result.trainSeconds(),
            table.name(),
            Artifacts.now());
    Artifacts.save(out, manifest, result.model());
    stdout.printf(
        Locale.ROOT,
        "trained %s L=%d H=%d in %.1f s (best epoch %d of %d): validation mse %.4f mae %.4f; artifact %s%n",
        model, lookback, horizon, result.trainSeconds(), result.bestEpoch(), result.epochsRun(),
        result.validationMetrics().get("mse"), result.validationMetrics().get("mae"), out);
    return 0;
  }

  /** A progress line on stderr, rewritten in place ({@code \r}) at most every 200 ms. */
  private static final class Progress implements TrainingListener {

    private final PrintWriter err;
    private final int epochs;
    private final long start = System.nanoTime();
    private long lastPrint;
    private long batchesDone;

    Progress(PrintWriter err, int epochs) {
      this.err = err;
      this.epochs = epochs;
    }

    @Override
    public void onBatch(int epoch, int batch, int batches, double loss) {
      batchesDone++;
      long now = System.nanoTime();
      if (now - lastPrint < 200_000_000L && batch != batches) {
        return;
      }
      lastPrint = now;
      double perBatch = (now - start) / 1e9 / batchesDone;
      long remaining = (long) (batches - batch) + (long) (epochs - epoch) * batches;
      long eta = Math.round(perBatch * remaining);
      err.printf(
          Locale.ROOT,
          "\repoch %d/%d batch %d/%d loss %.4f ETA %d:%02d (upper bound: early stopping may end sooner)   ",
          epoch, epochs, batch, batches, loss, eta / 60, eta % 60);
      err.flush();
    }

    @Override
    public void onEpochEnd(int epoch, double trainLoss, double validationLoss, boolean best) {
      err.printf(
          Locale.ROOT,
          "\repoch %d/%d train loss %.4f validation loss %.4f%s%n",
          epoch, epochs, trainLoss, validationLoss, best ? " (best, kept)" : "");
      err.flush();
    }

    @Override
    public void onEarlyStop(int epoch, int bestEpoch) {
      err.printf(Locale.ROOT, "early stop after epoch %d; keeping epoch %d%n", epoch, bestEpoch);
      err.flush();
    }
  }
}

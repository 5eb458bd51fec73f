package dev.sibyl.app.cli;

import dev.sibyl.models.api.TrainingListener;
import dev.sibyl.models.arphmm.Cmapss;
import dev.sibyl.models.artifact.Manifest;
import dev.sibyl.models.rul.Prognostics;
import dev.sibyl.models.runtime.DeviceConfig;
import dev.sibyl.models.runtime.ModelRuntime;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * {@code sibyl train --model arphmm|cnn-rul}: trains a prognostic family on a C-MAPSS training file
 * (run-to-failure units) and writes a prognostic artifact (see {@link Prognostics}). Called by
 * {@link TrainCommand}; the forecaster options (--lookback, --horizon, --epochs, --batch-size,
 * --lr, --patience, --protocol, --backbone) do not apply, and giving one is an error: the CNN's
 * settings go through {@code --hp}.
 */
final class PrognosticTraining {

  /** The forecaster options a prognostic family refuses. */
  private static final List<String> FORECASTER_OPTIONS = List.of("--lookback", "--horizon",
      "--epochs", "--batch-size", "--lr", "--patience", "--protocol", "--backbone");

  private static final Pattern CMAPSS_NAME =
      Pattern.compile("(train|test)_FD\\d{3}\\.txt", Pattern.CASE_INSENSITIVE);

  private PrognosticTraining() {}

  /**
   * Whether a file is a C-MAPSS train or test file: by its name ({@code train_FD001.txt}), else by
   * its first line (26 numeric, space-separated columns).
   *
   * @param file an existing file
   * @return true for a C-MAPSS file
   * @throws IOException when the file cannot be read
   */
  static boolean isCmapss(Path file) throws IOException {
    if (CMAPSS_NAME.matcher(file.getFileName().toString()).matches()) {
      return true;
    }
    try (var lines = Files.lines(file)) {
      String first = lines.map(String::trim).filter(s -> !s.isEmpty()).findFirst().orElse("");
      String[] cols = first.split("\\s+");
      if (cols.length != Cmapss.COLUMNS.size()) {
        return false;
      }
      for (String c : cols) {
        try {
          Double.parseDouble(c);
        } catch (NumberFormatException e) {
          return false;
        }
      }
      return true;
    } catch (java.io.UncheckedIOException e) {
      // not text (e.g. malformed UTF-8): not a C-MAPSS file
      return false;
    }
  }

  /**
   * Trains and writes the artifact; the summary goes to stdout, progress to stderr.
   *
   * @param cl the train command line (for errors and streams)
   * @param family {@code arphmm} or {@code cnn-rul}
   * @param data the C-MAPSS training file
   * @param hyperparameters the {@code --hp} settings
   * @param seed the seed
   * @param threads PyTorch intra-op threads (the CNN)
   * @param out the artifact directory
   * @return the exit code, 0
   * @throws ParameterException for a forecaster option, a non-C-MAPSS file or a bad setting
   * @throws IOException when the data cannot be read or the artifact written
   */
  static int run(CommandLine cl, String family, Path data, Map<String, String> hyperparameters,
      long seed, int threads, Path out) throws IOException {
    // 1. Options
    for (String option : FORECASTER_OPTIONS) {
      if (cl.getParseResult().hasMatchedOption(option)) {
        throw new ParameterException(cl, option + " applies to forecaster families only; "
            + family + " takes --hp KEY=VALUE (e.g. " + example(family) + ")");
      }
    }
    if (threads < 1) {
      throw new ParameterException(cl, "--threads must be positive, got " + threads);
    }
    if (!isCmapss(data)) {
      throw new ParameterException(cl, "--data: " + family
          + " trains on a C-MAPSS file (train_FD00x.txt, 26 numeric columns), got " + data);
    }
    PrintWriter err = cl.getErr();
    List<Cmapss.Unit> units;
    try {
      units = Cmapss.readUnits(data);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(cl, "--data: " + e.getMessage());
    }
    err.printf(Locale.ROOT, "training %s on %s (%d run-to-failure units, %d cycles)%n", family,
        data.getFileName(), units.size(), units.stream().mapToInt(Cmapss.Unit::cycles).sum());
    err.flush();

    // 2. Train
    ModelRuntime.start(new DeviceConfig(DeviceConfig.DEVICE_DEFAULT, threads, 1));
    ModelRuntime.setSeed((int) seed);
    Prognostics.Trained trained;
    try {
      trained = Prognostics.train(family, units, hyperparameters, seed, new Progress(err),
          line -> {
            err.println(line);
            err.flush();
          });
    } catch (IllegalArgumentException e) {
      throw new ParameterException(cl, e.getMessage());
    }

    // 3. Artifact
    Manifest manifest = Prognostics.manifest(trained, data.getFileName().toString(),
        Prognostics.fingerprint(data));
    Prognostics.save(out, manifest, trained.model());
    cl.getOut().printf(Locale.ROOT,
        "trained %s in %.1f s: %s, validation RMSE %.2f cycles; inputs %s; artifact %s%n", family,
        trained.seconds(), trained.hyperparameters(), trained.validationMetrics().get("rmse"),
        trained.model().inputColumns(), out);
    return 0;
  }

  private static String example(String family) {
    return family.equals("arphmm") ? "states=10" : "epochs=60";
  }

  /** One line per epoch on stderr with the validation RMSE (cycles) and the member's ETA. */
  private static final class Progress implements TrainingListener {

    private final PrintWriter err;
    private long start;
    private int epochs;

    Progress(PrintWriter err) {
      this.err = err;
    }

    @Override
    public void onEpochStart(int epoch, int epochs, int batches) {
      // each ensemble member starts again at epoch 1: the ETA is the member's
      if (epoch == 1) {
        start = System.nanoTime();
      }
      this.epochs = epochs;
    }

    @Override
    public void onEpochEnd(int epoch, double trainLoss, double validationLoss, boolean best) {
      double perEpoch = (System.nanoTime() - start) / 1e9 / epoch;
      long eta = Math.round(perEpoch * (epochs - epoch));
      err.printf(Locale.ROOT,
          "epoch %d/%d train loss %.5f validation RMSE %.2f%s, ETA %d:%02d (early stopping may end"
              + " sooner)%n",
          epoch, epochs, trainLoss, validationLoss, best ? " (best, kept)" : "", eta / 60, eta % 60);
      err.flush();
    }

    @Override
    public void onEarlyStop(int epoch, int bestEpoch) {
      err.printf(Locale.ROOT, "early stop after epoch %d; keeping epoch %d%n", epoch, bestEpoch);
      err.flush();
    }
  }
}

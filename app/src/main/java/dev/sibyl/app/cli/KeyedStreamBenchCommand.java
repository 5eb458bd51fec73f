package dev.sibyl.app.cli;

import dev.sibyl.models.api.ForecastResult;
import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.ForecasterRegistry;
import dev.sibyl.models.api.KeyedForecaster;
import dev.sibyl.models.api.KeyedServing;
import dev.sibyl.models.api.SeriesWindow;
import dev.sibyl.models.artifact.ArtifactException;
import dev.sibyl.models.artifact.Artifacts;
import dev.sibyl.models.eval.Table;
import dev.sibyl.models.runtime.DeviceConfig;
import dev.sibyl.models.runtime.ModelRuntime;
import dev.sibyl.streams.core.ExcursionLikelihood;
import dev.sibyl.streams.core.ForecastRequest;
import dev.sibyl.streams.core.KeyedSeriesOperator;
import dev.sibyl.streams.core.SeriesId;
import dev.sibyl.streams.core.SeriesOperator;
import dev.sibyl.streams.core.SeriesOperator.Admission;
import dev.sibyl.streams.core.SeriesOperator.AnomalyCheck;
import dev.sibyl.streams.core.SeriesOperator.StepResult;
import dev.sibyl.streams.core.SeriesState;
import dev.sibyl.streams.core.SeriesStateCodec;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code sibyl bench keyed-stream}: the series step of the pipeline on the keyed path
 * ({@code model.option.streaming=kv-cache}: KV cache per series, online intervals) against the
 * stateless path ({@code streaming=stateless}: a full pass and a split-conformal backtest per
 * forecast, the due channels of a source in one call as the pipeline batches them), on the same
 * replayed rows of a CSV. Each path replays the rows through fresh series states, as the stream
 * processors do (admission, model, completion, and the meta record encoded per observation), with
 * no broker: the Kafka work is the same for both paths and would only dilute the ratio. Reports
 * the model time per forecast of each path and their ratio, over every row (the keyed path's
 * seeds included) and from {@code --start} on (the window full, the seeds final), the empirical
 * coverage of each path's intervals over the observations from {@code --start} on checked against
 * them, each path's mean absolute error there, and the anomaly flags each would raise (score at
 * least the default {@code anomaly.min-score}, 0.5). The last line is JSON.
 */
@Command(
    name = "keyed-stream",
    sortOptions = false,
    description = {
      "The pipeline's series step with the KV-cache path against the stateless path on the same replayed"
          + " rows: time per forecast, ratio, interval coverage, mean absolute error."
    })
public final class KeyedStreamBenchCommand implements Callable<Integer> {

  private static final long STEP_MILLIS = 3_600_000L;

  /** The default of anomaly.min-score: the flags the pipeline would raise. */
  private static final double MIN_SCORE = 0.5;

  @Spec private CommandSpec spec;

  @Option(names = "--artifact", paramLabel = "DIR", required = true, description = "A trained autotimes or smetimes artifact.")
  private Path artifact;

  @Option(names = "--data", paramLabel = "CSV", defaultValue = "../shared/datasets/ett/ETTh1.csv", description = "Rows to replay (default ${DEFAULT-VALUE}).")
  private Path data;

  @Option(names = "--channels", paramLabel = "N", defaultValue = "3", description = "The first N columns, each its own series of one source (default ${DEFAULT-VALUE}).")
  private int channels;

  @Option(names = "--start", paramLabel = "ROW", defaultValue = "11520", description = "The first row forecast from: the window before it is filled first (default ${DEFAULT-VALUE}, ETTh1's test split).")
  private int start;

  @Option(names = "--points", paramLabel = "N", defaultValue = "960", description = "Rows replayed from --start on (default ${DEFAULT-VALUE}).")
  private int points;

  @Option(names = "--horizon", paramLabel = "H", defaultValue = "24", description = "forecast.horizon (default ${DEFAULT-VALUE}).")
  private int horizon;

  @Option(names = "--cadence", paramLabel = "C", defaultValue = "12", description = "forecast.cadence (default ${DEFAULT-VALUE}).")
  private int cadence;

  @Option(names = "--coverage", paramLabel = "P", defaultValue = "0.9", description = "Nominal coverage of the intervals (default ${DEFAULT-VALUE}).")
  private double coverage;

  @Option(names = "--calibration", paramLabel = "N", defaultValue = "48", description = "calibration.size (default ${DEFAULT-VALUE}).")
  private int calibration;

  @Option(names = "--gamma", paramLabel = "G", defaultValue = "0.05", description = "forecast.online-interval.gamma (default ${DEFAULT-VALUE}).")
  private double gamma;

  @Option(names = "--threads", paramLabel = "N", defaultValue = "1", description = "PyTorch intra-op threads (default ${DEFAULT-VALUE}).")
  private int threads;

  /**
   * What one path did.
   *
   * @param seconds model and state time of every row
   * @param forecasts forecasts over every row
   * @param steadySeconds the same from --start on, when the window is full and the seeds final
   * @param steadyForecasts forecasts from --start on
   * @param flags checks from --start on whose score reaches the default anomaly.min-score
   */
  private record Outcome(
      double seconds, int forecasts, double steadySeconds, int steadyForecasts, int checks, int inside, double absError, int flags) {

    double msPerForecast() {
      return 1000 * seconds / forecasts;
    }

    double steadyMsPerForecast() {
      return 1000 * steadySeconds / steadyForecasts;
    }

    double coverage() {
      return (double) inside / checks;
    }

    double mae() {
      return absError / checks;
    }
  }

  @Override
  public Integer call() throws Exception {
    if (channels < 1 || points < 1 || horizon < 1 || cadence < 1 || cadence > horizon || calibration < 1 || threads < 1) {
      throw new ParameterException(spec.commandLine(), "--channels, --points, --horizon, --calibration and --threads must be positive, 1 <= --cadence <= --horizon");
    }
    if (!(coverage > 0 && coverage < 1) || !(gamma >= 0 && gamma <= 1)) {
      throw new ParameterException(spec.commandLine(), "--coverage must be in (0, 1) and --gamma in [0, 1]");
    }
    if (!Files.isRegularFile(data)) {
      throw new ParameterException(spec.commandLine(), "--data: no such file: " + data);
    }
    PrintWriter err = spec.commandLine().getErr();
    ModelRuntime.start(new DeviceConfig(DeviceConfig.DEVICE_DEFAULT, threads, 1));
    // 1. The model both ways, and the rows: the window before --start, then --points rows
    Map<String, String> options =
        Map.of("artifact", artifact.toString(), "coverage", "" + coverage, "calibration.size", "" + calibration, "streaming", "kv-cache");
    Forecaster forecaster = create(options);
    if (!(forecaster instanceof KeyedServing serving)) {
      throw new ParameterException(spec.commandLine(), "--artifact: " + forecaster.family() + " keeps no per-series state (no kv-cache path)");
    }
    int window = serving.minHistory() - 1 + calibration + horizon;
    double[][] rows = Table.read(data).rows();
    int first = start - window;
    if (first < 0 || start + points > rows.length || channels > rows[0].length) {
      throw new ParameterException(
          spec.commandLine(), "--data has " + rows.length + " rows of " + rows[0].length + " columns: need rows [" + first + ", " + (start + points) + ") and " + channels + " columns");
    }
    err.printf(Locale.ROOT, "bench keyed-stream: %s, window %d, horizon %d, cadence %d, %d channels, rows [%d, %d) forecast from %d%n",
        serving.family(), window, horizon, cadence, channels, first, start + points, start);
    err.flush();
    // 2. The stateless path, then the keyed path, on the same rows
    Outcome stateless = stateless(serving.stateless(), rows, first, window);
    report(err, "stateless (full pass + backtest per forecast)", stateless);
    Outcome keyed = keyed(serving, rows, first, window);
    report(err, "kv-cache (one token per segment, online intervals)", keyed);
    double ratio = keyed.msPerForecast() / stateless.msPerForecast();
    double steadyRatio = keyed.steadyMsPerForecast() / stateless.steadyMsPerForecast();
    err.printf(Locale.ROOT, "  ratio of the time per forecast, kv-cache / stateless: %.4f over every row, %.4f from --start on%n", ratio, steadyRatio);
    err.flush();
    spec.commandLine().getOut().println(String.format(Locale.ROOT,
        "{\"bench\":\"keyed-stream\",\"model\":\"%s\",\"channels\":%d,\"points\":%d,\"horizon\":%d,\"cadence\":%d,"
            + "\"coverage_nominal\":%.3f,\"gamma\":%.4f,\"forecasts\":%d,"
            + "\"stateless_ms_per_forecast\":%.3f,\"keyed_ms_per_forecast\":%.3f,\"ratio\":%.4f,"
            + "\"steady_stateless_ms_per_forecast\":%.3f,\"steady_keyed_ms_per_forecast\":%.3f,\"steady_ratio\":%.4f,"
            + "\"stateless_coverage\":%.4f,\"keyed_coverage\":%.4f,\"checks\":%d,"
            + "\"stateless_mae\":%.5f,\"keyed_mae\":%.5f,\"stateless_flags\":%d,\"keyed_flags\":%d,\"threads\":%d}",
        serving.family(), channels, points, horizon, cadence, coverage, gamma, keyed.forecasts(),
        stateless.msPerForecast(), keyed.msPerForecast(), ratio,
        stateless.steadyMsPerForecast(), keyed.steadyMsPerForecast(), steadyRatio, stateless.coverage(), keyed.coverage(), keyed.checks(),
        stateless.mae(), keyed.mae(), stateless.flags(), keyed.flags(), threads));
    spec.commandLine().getOut().flush();
    return 0;
  }

  private Forecaster create(Map<String, String> options) {
    String family;
    try {
      family = Artifacts.readManifest(artifact).family();
    } catch (ArtifactException e) {
      throw new ParameterException(spec.commandLine(), "--artifact " + e.getMessage());
    }
    return ForecasterRegistry.create(family, options);
  }

  private void report(PrintWriter err, String path, Outcome o) {
    err.printf(Locale.ROOT, "  %s: %d forecasts in %.2f s, %.2f ms per forecast (%.2f from --start on); %d checks, coverage %.4f, MAE %.4f, %d flags%n",
        path, o.forecasts(), o.seconds(), o.msPerForecast(), o.steadyMsPerForecast(), o.checks(), o.coverage(), o.mae(), o.flags());
    err.flush();
  }

  /** The stateless path as the pipeline runs it (JointSeriesProcessor): the due channels of a row in one call. */
  private Outcome stateless(Forecaster forecaster, double[][] rows, int first, int window) {
    SeriesOperator operator = operator(forecaster);
    SeriesState[] states = states(window);
    long nanos = 0;
    long steadyNanos = 0;
    int forecasts = 0;
    int steadyForecasts = 0;
    int[] checks = new int[3];
    double[] error = new double[1];
    for (int i = first; i < start + points; i++) {
      long t = (long) i * STEP_MILLIS;
      long t0 = System.nanoTime();
      Admission[] admissions = new Admission[channels];
      List<Integer> due = new ArrayList<>();
      List<SeriesWindow> windows = new ArrayList<>();
      for (int c = 0; c < channels; c++) {
        admissions[c] = operator.admit(states[c], t, rows[i][c]);
        if (admissions[c].due() != null) {
          due.add(c);
          windows.add(admissions[c].due().window());
        }
      }
      if (!due.isEmpty()) {
        List<ForecastResult> out = forecaster.forecastBatch(windows, horizon);
        for (int j = 0; j < due.size(); j++) {
          ForecastRequest request = admissions[due.get(j)].due();
          operator.complete(states[due.get(j)], request, out.get(j));
        }
        forecasts += due.size();
        steadyForecasts += i >= start ? due.size() : 0;
      }
      for (int c = 0; c < channels; c++) {
        SeriesStateCodec.encodeMetaWithBlock(states[c], SeriesStateCodec.Meta.of(states[c]));
      }
      long spent = System.nanoTime() - t0;
      nanos += spent;
      steadyNanos += i >= start ? spent : 0;
      for (int c = 0; c < channels; c++) {
        count(admissions[c].check(), i, checks, error);
      }
    }
    return new Outcome(nanos / 1e9, forecasts, steadyNanos / 1e9, steadyForecasts, checks[0], checks[1], error[0], checks[2]);
  }

  /** The keyed path as the pipeline runs it (KeyedChannelStep): each channel under its key. */
  private Outcome keyed(KeyedServing serving, double[][] rows, int first, int window) {
    KeyedSeriesOperator operator = new KeyedSeriesOperator(operator(serving).withOnlineIntervals(gamma), serving);
    SeriesState[] states = states(window);
    long nanos = 0;
    long steadyNanos = 0;
    int forecasts = 0;
    int steadyForecasts = 0;
    int[] checks = new int[3];
    double[] error = new double[1];
    try (KeyedForecaster keyed = serving.openKeyed(channels)) {
      for (int i = first; i < start + points; i++) {
        long t = (long) i * STEP_MILLIS;
        for (int c = 0; c < channels; c++) {
          long t0 = System.nanoTime();
          StepResult r = operator.onObservation(keyed, new SeriesId("bench", "c" + c), states[c], t, rows[i][c]);
          SeriesStateCodec.encodeMetaWithBlock(states[c], SeriesStateCodec.Meta.of(states[c]));
          long spent = System.nanoTime() - t0;
          nanos += spent;
          steadyNanos += i >= start ? spent : 0;
          forecasts += r.forecast() == null ? 0 : 1;
          steadyForecasts += r.forecast() != null && i >= start ? 1 : 0;
          count(r.check(), i, checks, error);
        }
      }
    }
    return new Outcome(nanos / 1e9, forecasts, steadyNanos / 1e9, steadyForecasts, checks[0], checks[1], error[0], checks[2]);
  }

  /** Counts a check from --start on: checks, inside, flags; absolute error. */
  private void count(AnomalyCheck check, int row, int[] checks, double[] error) {
    if (check == null || row < start) {
      return;
    }
    checks[0]++;
    checks[1] += check.observed() >= check.lower() && check.observed() <= check.upper() ? 1 : 0;
    checks[2] += check.score() != null && check.score().score() >= MIN_SCORE ? 1 : 0;
    error[0] += Math.abs(check.observed() - check.expected());
  }

  private SeriesOperator operator(Forecaster forecaster) {
    // warm-up 0: every observation a forecast covers is checked; no gap resets on replayed rows
    return new SeriesOperator(forecaster, horizon, cadence, 10, 0, ExcursionLikelihood.DEFAULT_LIKELIHOOD_ALPHA);
  }

  private SeriesState[] states(int window) {
    SeriesState[] states = new SeriesState[channels];
    for (int c = 0; c < channels; c++) {
      states[c] = new SeriesState(window);
    }
    return states;
  }
}

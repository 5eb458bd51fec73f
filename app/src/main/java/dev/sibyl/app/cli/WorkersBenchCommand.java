package dev.sibyl.app.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.artifact.Artifacts;
import dev.sibyl.models.runtime.DeviceConfig;
import dev.sibyl.models.runtime.ModelRuntime;
import dev.sibyl.workers.BatchingConfig;
import dev.sibyl.workers.WorkerBench;
import dev.sibyl.workers.WorkerDevice;
import java.io.BufferedReader;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code sibyl bench workers}: one artifact served by a real worker on the loopback interface under
 * {@code --series} concurrent closed-loop series of one-window requests (over gRPC, through the
 * client), first with batching off (max batch 1), then with dynamic batching; prints throughput
 * and client-side p50/p99 latency of both and their throughput ratio. Windows are consecutive
 * windows of {@code --data}. Meant for LLM-backed models, whose cost per call is what batching
 * amortises; any artifact runs.
 *
 * <p>{@code --mode keyed}: each series sends its own key and a window that advances by {@code
 * --advance} points (default: the model's segment length) per request, so that a model with a
 * per-series KV cache (AutoTimes, SMETimes) decodes one new token per channel, and the batched
 * run decodes the new tokens of many series in one call. {@code --threads} sets PyTorch's
 * intra-op threads for both runs (it must be set before the engine starts).
 *
 * <p>Why a long warm-up by default: measured on the project's 2-core machine, the JIT's C2
 * compiler thread used 40-90% of a core through the first 50 s of batch-1 load and again when the
 * batched run started new code paths; a few seconds of warm-up measured that compilation, not the
 * worker, and it fell unevenly on the two runs. A worker runs for days: the figures that matter are
 * its steady state.
 */
@Command(
    name = "workers",
    sortOptions = false,
    description = {
      "Worker throughput and p50/p99 latency at batch 1 against dynamic batching, with concurrent"
          + " series over loopback gRPC, as a ratio."
    })
public final class WorkersBenchCommand implements Callable<Integer> {

  /** Rows of --data read for windows: plenty of distinct windows, little parsing. */
  private static final int MAX_ROWS = 4000;

  @Spec private CommandSpec spec;

  @Option(names = "--artifact", required = true, paramLabel = "DIR", description = "Artifact directory of the model to serve.")
  private Path artifact;

  @Option(names = "--data", paramLabel = "CSV", defaultValue = "../shared/datasets/ett/ETTh1.csv", description = "Series to take windows from (default ${DEFAULT-VALUE}).")
  private Path data;

  @Option(names = "--series", paramLabel = "N", defaultValue = "64", description = "Concurrent series (default ${DEFAULT-VALUE}).")
  private int series;

  @Option(names = "--max-batch", paramLabel = "N", defaultValue = "64", description = "Max batch of the batched run (default ${DEFAULT-VALUE}).")
  private int maxBatch;

  @Option(names = "--max-delay", paramLabel = "DURATION", defaultValue = "5ms", converter = DurationConverter.class, description = "Max queue delay of the batched run (default ${DEFAULT-VALUE}).")
  private Duration maxDelay;

  @Option(names = "--seconds", paramLabel = "S", defaultValue = "10", description = "Measured seconds per run (default ${DEFAULT-VALUE}).")
  private int seconds;

  @Option(names = "--warmup", paramLabel = "S", defaultValue = "30", description = "Unmeasured seconds before each run (default ${DEFAULT-VALUE}): the JVM compiles the code of each configuration in its first tens of seconds, its compiler thread taking up to a core meanwhile.")
  private int warmup;

  @Option(names = "--mode", paramLabel = "stateless|keyed", defaultValue = "stateless", description = "stateless: every request a window of its own; keyed: every series its key and a window advancing by --advance points (default ${DEFAULT-VALUE}).")
  private String mode;

  @Option(names = "--advance", paramLabel = "N", defaultValue = "0", description = "Keyed mode: points each request adds (default: the model's segment.length, else 1).")
  private int advance;

  @Option(names = "--device", paramLabel = "cpu|gpu:N", defaultValue = "cpu", description = "The device the worker's model runs on, both runs (default ${DEFAULT-VALUE}); a GPU must be visible to the engine.")
  private String device;

  @Option(names = "--threads", paramLabel = "N", defaultValue = "1", description = "PyTorch intra-op threads of the worker, both runs (default ${DEFAULT-VALUE}; 0: the engine's default, one per core).")
  private int threads;

  @Override
  public Integer call() throws Exception {
    // 1. Options
    if (series < 1 || maxBatch < 1 || seconds < 1 || warmup < 0) {
      throw new ParameterException(spec.commandLine(), "--series, --max-batch and --seconds must be >= 1, --warmup >= 0");
    }
    if (!mode.equals("stateless") && !mode.equals("keyed")) {
      throw new ParameterException(spec.commandLine(), "--mode must be stateless or keyed, got '" + mode + "'");
    }
    if (advance < 0 || threads < 0) {
      throw new ParameterException(spec.commandLine(), "--advance and --threads must be >= 0");
    }
    WorkerDevice workerDevice;
    try {
      workerDevice = WorkerDevice.parse(device);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    // threads before the engine starts (resolving the device starts it); the model loads onto the
    // device resolved here
    Device resolved = ModelRuntime.start(new DeviceConfig(workerDevice.toString(), threads, 0));
    if (workerDevice.isGpu() && !resolved.isGpu()) {
      throw new ParameterException(
          spec.commandLine(), "--device " + workerDevice + ": the engine sees " + Engine.getInstance().getGpuCount() + " GPU(s)");
    }
    if (!Files.isRegularFile(data)) {
      throw new ParameterException(spec.commandLine(), "--data: no such file: " + data);
    }
    WindowModel model = Artifacts.load(artifact).model();
    boolean keyed = mode.equals("keyed");
    // keyed series advance through the whole file, stateless windows are drawn from its start
    double[][] columns = columns(model, keyed ? Integer.MAX_VALUE : MAX_ROWS);
    double[][][] windows = keyed ? new double[][][] {columns} : windows(columns, model.lookback());
    int step = advance > 0 ? advance : Integer.parseInt(model.hyperparameters().getOrDefault("segment.length", "1"));
    PrintWriter err = spec.commandLine().getErr();
    err.printf(Locale.ROOT, "%s L=%d H=%d on %s, %s, %d series, %d rows of %s, %d thread(s)%s%n", model.family(), model.lookback(), model.horizon(), workerDevice, mode, series, columns[0].length, data, threads,
        keyed ? ", advancing " + step + " points per request" : "");
    err.flush();

    // 2. Batch 1, then dynamic batching, same load
    WorkerBench.Result one = run(model, new BatchingConfig(1, Duration.ZERO, 4096), windows, keyed, step);
    print(err, "batch 1", one);
    WorkerBench.Result dyn = run(model, new BatchingConfig(maxBatch, maxDelay, 4096), windows, keyed, step);
    print(err, "dynamic", dyn);
    double ratio = dyn.throughput() / one.throughput();
    // the model thread's CPU per request: what batching saves the worker, free of closed-loop waits
    double cpuRatio = one.modelCpuMillisPerRequest() / dyn.modelCpuMillisPerRequest();
    err.printf(Locale.ROOT, "throughput ratio dynamic / batch 1: %.2fx; model-thread CPU per request, batch 1 / dynamic: %.2fx%n", ratio, cpuRatio);
    err.flush();

    // 3. The JSON line
    spec.commandLine().getOut().println(String.format(Locale.ROOT,
        "{\"bench\":\"workers\",\"family\":\"%s\",\"lookback\":%d,\"horizon\":%d,\"series\":%d,\"seconds\":%d,"
            + "\"batch1\":%s,\"dynamic\":%s,\"max_delay_ms\":%d,\"mode\":\"%s\",\"device\":\"%s\",\"threads\":%d,\"cpu_ratio\":%s,\"ratio\":%.4f}",
        model.family(), model.lookback(), model.horizon(), series, seconds, json(one), json(dyn), maxDelay.toMillis(), mode, workerDevice, threads, number(cpuRatio), ratio));
    return one.failed() + dyn.failed() == 0 ? 0 : 1;
  }

  private WorkerBench.Result run(WindowModel model, BatchingConfig batching, double[][][] windows, boolean keyed, int step) throws Exception {
    Duration w = Duration.ofSeconds(warmup);
    Duration m = Duration.ofSeconds(seconds);
    if (!keyed) {
      return WorkerBench.run(model, batching, windows, model.horizon(), series, w, m);
    }
    return WorkerBench.runKeyed(model, batching, windows[0], step, model.horizon(), series, w, m);
  }

  private static void print(PrintWriter err, String label, WorkerBench.Result r) {
    err.printf(Locale.ROOT, "%-8s max batch %3d: %9.1f req/s, p50 %8.2f ms, p99 %8.2f ms, mean batch %5.1f, %d requests, %d failed, model thread %.3f ms CPU/request%n",
        label, r.maxBatch(), r.throughput(), r.p50Millis(), r.p99Millis(), r.meanBatch(), r.requests(), r.failed(), r.modelCpuMillisPerRequest());
    err.flush();
  }

  private static String json(WorkerBench.Result r) {
    return String.format(Locale.ROOT,
        "{\"max_batch\":%d,\"requests\":%d,\"throughput_per_s\":%.2f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"mean_batch\":%.2f,\"failed\":%d,\"model_cpu_ms_per_request\":%s}",
        r.maxBatch(), r.requests(), r.throughput(), r.p50Millis(), r.p99Millis(), r.meanBatch(), r.failed(), number(r.modelCpuMillisPerRequest()));
  }

  /** A JSON number, or null for NaN (JSON has no NaN). */
  private static String number(double x) {
    return Double.isNaN(x) || Double.isInfinite(x) ? "null" : String.format(Locale.ROOT, "%.4f", x);
  }

  /** The numeric columns the model takes, the first {@code maxRows} rows: shape (channels, rows). */
  private double[][] columns(WindowModel model, int maxRows) throws Exception {
    List<double[]> rows = new ArrayList<>();
    try (BufferedReader in = Files.newBufferedReader(data)) {
      String header = in.readLine();
      if (header == null) {
        throw new ParameterException(spec.commandLine(), "--data: empty file: " + data);
      }
      String line;
      while (rows.size() < maxRows && (line = in.readLine()) != null) {
        String[] f = line.split(",");
        List<Double> values = new ArrayList<>();
        for (String v : f) {
          try {
            values.add(Double.parseDouble(v.trim()));
          } catch (NumberFormatException e) {
            // a date or label column
          }
        }
        rows.add(values.stream().mapToDouble(Double::doubleValue).toArray());
      }
    }
    int channels = model.channels() > 0 ? model.channels() : rows.get(0).length;
    if (rows.get(0).length < channels) {
      throw new ParameterException(spec.commandLine(), "--data has " + rows.get(0).length + " numeric columns, the model needs " + channels);
    }
    if (rows.size() <= model.lookback()) {
      throw new ParameterException(spec.commandLine(), "--data has fewer rows than the lookback " + model.lookback());
    }
    double[][] columns = new double[channels][rows.size()];
    for (int t = 0; t < rows.size(); t++) {
      for (int c = 0; c < channels; c++) {
        columns[c][t] = rows.get(t)[c];
      }
    }
    return columns;
  }

  /** Consecutive windows of the columns: shape (rows - lookback, channels, lookback). */
  private static double[][][] windows(double[][] columns, int lookback) {
    int n = columns[0].length - lookback;
    double[][][] w = new double[n][columns.length][];
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < columns.length; c++) {
        w[i][c] = Arrays.copyOfRange(columns[c], i, i + lookback);
      }
    }
    return w;
  }
}

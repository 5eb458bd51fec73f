package dev.sibyl.app.cli;

import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.artifact.ArtifactException;
import dev.sibyl.models.artifact.Artifacts;
import dev.sibyl.models.autotimes.AutoTimes;
import dev.sibyl.models.autotimes.AutoTimesConfig;
import dev.sibyl.models.autotimes.AutoTimesFamily;
import dev.sibyl.models.autotimes.AutoTimesSession;
import dev.sibyl.models.eval.Table;
import dev.sibyl.models.runtime.DeviceConfig;
import dev.sibyl.models.runtime.ModelRuntime;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code sibyl bench autotimes-stream}: what the KV cache of an AutoTimes streaming session saves.
 * Each repetition opens a session on a context of {@code --data} (not timed), then times appending
 * the next segment (one token of decoding and the segment projection) and, on the very same
 * tokens and statistics, a full recomputation with a fresh cache ({@link
 * AutoTimesSession#recomputedAll()}); the two predictions are checked to agree to 1e-4. Measured
 * twice in one run: sessions of one series, and sessions of {@code --series} series that complete
 * a segment together and are decoded as one batch ({@code ratio} in the JSON; the one-series ratio
 * is {@code ratio_single}). Why both: at batch 1 the tiny backbone's cost is the fixed cost of
 * each native operation, the same for one token as for eight; batching series makes the work
 * per token visible, which is what the cache saves. Prints the medians and their ratios; the last
 * line is JSON.
 */
@Command(
    name = "autotimes-stream",
    sortOptions = false,
    description = {
      "AutoTimes streaming: the cost of appending one segment with the KV cache against a full"
          + " recomputation over the same context, as a ratio of medians."
    })
public final class AutotimesStreamBenchCommand implements Callable<Integer> {

  @Spec private CommandSpec spec;

  @Option(names = "--artifact", paramLabel = "DIR", description = "A trained autotimes artifact (or give --backbone for an untrained model: the cost does not depend on the weights).")
  private Path artifact;

  @Option(names = "--backbone", paramLabel = "PATH", defaultValue = "../shared/datasets/tinylm/stories260K.bin", description = "Backbone of the untrained model used without --artifact (default ${DEFAULT-VALUE}).")
  private Path backbone;

  @Option(names = "--lookback", paramLabel = "L", defaultValue = "672", description = "Context of the untrained model, a multiple of 96 (default ${DEFAULT-VALUE}).")
  private int lookback;

  @Option(names = "--data", paramLabel = "CSV", defaultValue = "../shared/datasets/ett/ETTh1.csv", description = "Series to take contexts from, its first channel (default ${DEFAULT-VALUE}).")
  private Path data;

  @Option(names = "--repeats", paramLabel = "N", defaultValue = "50", description = "Timed repetitions (default ${DEFAULT-VALUE}).")
  private int repeats;

  @Option(names = "--warmup", paramLabel = "N", defaultValue = "5", description = "Untimed repetitions first (default ${DEFAULT-VALUE}).")
  private int warmup;

  @Option(names = "--series", paramLabel = "N", defaultValue = "64", description = "Series completing a segment together, decoded as one batch, for the reported ratio; batch 1 is measured too (default ${DEFAULT-VALUE}).")
  private int seriesCount;

  @Option(names = "--threads", paramLabel = "N", defaultValue = "1", description = "PyTorch intra-op threads (default ${DEFAULT-VALUE}).")
  private int threads;

  @Override
  public Integer call() throws Exception {
    if (repeats < 1 || warmup < 0 || threads < 1 || seriesCount < 1) {
      throw new ParameterException(spec.commandLine(), "--repeats, --series and --threads must be positive and --warmup >= 0");
    }
    if (!Files.isRegularFile(data)) {
      throw new ParameterException(spec.commandLine(), "--data: no such file: " + data);
    }
    PrintWriter err = spec.commandLine().getErr();
    ModelRuntime.start(new DeviceConfig(DeviceConfig.DEVICE_DEFAULT, threads, 1));
    // 1. The model: a trained artifact, or an untrained one on the backbone
    AutoTimes model = model();
    int l = model.lookback();
    int s = model.config().segmentLength();
    double[][] rows = Table.read(data).rows();
    if (rows.length < l + s + seriesCount * 97) {
      throw new ParameterException(spec.commandLine(), "--data has too few rows for the context and --series");
    }
    double[] series = new double[rows.length];
    for (int i = 0; i < rows.length; i++) {
      series[i] = rows[i][0];
    }
    err.printf(Locale.ROOT, "bench autotimes-stream: %s, context %d segments of %d, %d repetitions%n", model, l / s, s, repeats);
    err.flush();
    // 2. One series per session, then --series series decoded together
    double[] single = measure(model, series, 1);
    report(err, 1, single);
    double[] batched = measure(model, series, seriesCount);
    report(err, seriesCount, batched);
    double ratio = batched[0] / batched[1];
    spec.commandLine().getOut().println(String.format(Locale.ROOT,
        "{\"bench\":\"autotimes-stream\",\"model\":\"%s\",\"context_segments\":%d,\"segment\":%d,\"repeats\":%d,"
            + "\"series\":%d,\"append_ms_p50\":%.4f,\"full_ms_p50\":%.4f,\"ratio\":%.4f,"
            + "\"single_append_ms_p50\":%.4f,\"single_full_ms_p50\":%.4f,\"ratio_single\":%.4f,"
            + "\"max_abs_diff\":%.3e,\"threads\":%d}",
        model.family(), l / s, s, repeats, seriesCount, batched[0], batched[1], ratio,
        single[0], single[1], single[0] / single[1], Math.max(single[2], batched[2]), threads));
    spec.commandLine().getOut().flush();
    return 0;
  }

  private void report(PrintWriter err, int rows, double[] m) {
    int tokens = model().lookback() / model().config().segmentLength();
    err.printf(Locale.ROOT, "  %d series: append one segment each (KV cache over %d tokens) median %.3f ms;"
        + " full recomputation over the same %d tokens median %.3f ms; ratio %.3f (largest difference %.2e)%n",
        rows, tokens, m[0], tokens + 1, m[1], m[0] / m[1], m[2]);
    err.flush();
  }

  /**
   * Medians of append and of full recomputation, and the largest difference of their forecasts,
   * for sessions of {@code rows} series (contexts at different offsets of the series).
   */
  private double[] measure(AutoTimes model, double[] series, int rows) {
    int l = model.lookback();
    int s = model.config().segmentLength();
    double[] append = new double[repeats];
    double[] full = new double[repeats];
    double worst = 0;
    int span = series.length - l - s;
    for (int r = -warmup; r < repeats; r++) {
      double[][] contexts = new double[rows][];
      double[][] segments = new double[rows][];
      for (int i = 0; i < rows; i++) {
        int from = (int) (((long) (r + warmup) * 7 + (long) i * 97) % span);
        contexts[i] = Arrays.copyOfRange(series, from, from + l);
        segments[i] = Arrays.copyOfRange(series, from + l, from + l + s);
      }
      try (AutoTimesSession session = model.openSession(contexts)) {
        long t0 = System.nanoTime();
        session.append(segments);
        double[][] cached = session.forecastAll(s);
        long t1 = System.nanoTime();
        double[][] recomputed = session.recomputedAll();
        long t2 = System.nanoTime();
        for (int i = 0; i < rows; i++) {
          for (int k = 0; k < s; k++) {
            worst = Math.max(worst, Math.abs(cached[i][k] - recomputed[i][k]));
          }
        }
        if (r >= 0) {
          append[r] = (t1 - t0) / 1e6;
          full[r] = (t2 - t1) / 1e6;
        }
      }
    }
    if (!(worst <= 1e-4)) {
      throw new IllegalStateException("KV-cache forecast differs from full recomputation by " + worst);
    }
    return new double[] {median(append), median(full), worst};
  }

  private AutoTimes loaded;

  /** The model: a trained artifact, or an untrained one on the backbone; loaded once. */
  private AutoTimes model() {
    if (loaded != null) {
      return loaded;
    }
    AutoTimes model;
    if (artifact != null) {
      WindowModel m;
      try {
        m = Artifacts.load(artifact).model();
      } catch (ArtifactException e) {
        throw new ParameterException(spec.commandLine(), "--artifact " + e.getMessage());
      }
      if (!(m instanceof AutoTimes a)) {
        throw new ParameterException(spec.commandLine(), "--artifact: not an autotimes artifact: " + m.family());
      }
      model = a;
    } else {
      if (!Files.exists(backbone)) {
        throw new ParameterException(spec.commandLine(), "--backbone: no such file or directory: " + backbone);
      }
      if (lookback < 96 || lookback % 96 != 0) {
        throw new ParameterException(spec.commandLine(), "--lookback must be a positive multiple of 96, got " + lookback);
      }
      model = new AutoTimesFamily().create(Map.of(AutoTimesConfig.BACKBONE, backbone.toString()), lookback, 96, 1);
    }
    loaded = model;
    return model;
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }
}

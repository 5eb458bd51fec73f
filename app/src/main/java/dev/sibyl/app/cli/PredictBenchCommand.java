package dev.sibyl.app.cli;

import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.artifact.ArtifactException;
import dev.sibyl.models.artifact.Artifacts;
import dev.sibyl.models.eval.Harness;
import dev.sibyl.models.eval.Protocol;
import dev.sibyl.models.eval.Table;
import dev.sibyl.models.eval.Windows;
import java.io.PrintWriter;
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
 * {@code sibyl bench predict}: a trained artifact's {@code infer_ms_per_window} at chosen batch
 * sizes, on the first test windows of a data set under the harness's protocol.
 *
 * <p>Why beside {@code evaluate}: the harness times its own batches of {@value Harness#BATCH}
 * windows, while serving sees one window per call (a stream's step) or a few dozen (a batched
 * source). Each figure is the median of {@code --repeats} timed calls of {@link
 * WindowModel#predict} on {@code batch} consecutive test windows, after one untimed warm-up call;
 * a window is every channel.
 */
@Command(
    name = "predict",
    sortOptions = false,
    description = {
      "A trained artifact's predict time per window (every channel) at several batch sizes, on the"
          + " test windows of the harness's protocol."
    })
public final class PredictBenchCommand implements Callable<Integer> {

  @Spec private CommandSpec spec;

  @Option(names = "--artifact", required = true, paramLabel = "DIR", description = "Artifact directory.")
  private Path artifact;

  @Option(names = "--data", required = true, paramLabel = "CSV", description = "Data file.")
  private Path data;

  @Option(names = "--batches", paramLabel = "B,...", defaultValue = "1,64", split = ",", description = "Windows per call (default ${DEFAULT-VALUE}).")
  private int[] batches;

  @Option(names = "--repeats", paramLabel = "N", defaultValue = "5", description = "Timed calls per batch size; the median is reported (default ${DEFAULT-VALUE}).")
  private int repeats;

  @Option(names = "--protocol", paramLabel = "ett|csv", description = "Split protocol (default: ett for ETT*.csv files, csv otherwise).")
  private String protocol;

  @Override
  public Integer call() throws Exception {
    if (repeats < 1 || batches.length == 0) {
      throw new ParameterException(spec.commandLine(), "--repeats and --batches must be positive");
    }
    for (int b : batches) {
      if (b < 1) {
        throw new ParameterException(spec.commandLine(), "--batches values must be >= 1, got " + b);
      }
    }
    Artifacts.Loaded loaded;
    try {
      loaded = Artifacts.load(artifact);
    } catch (ArtifactException e) {
      throw new ParameterException(spec.commandLine(), "--artifact " + e.getMessage());
    }
    WindowModel model = loaded.model();
    int l = model.lookback();
    int h = model.horizon();
    Table table = Table.read(data);
    Protocol p = ProtocolOption.resolve(spec.commandLine(), protocol, table, l);
    Harness.Prepared prepared = Harness.prepare(table, p);
    PrintWriter err = spec.commandLine().getErr();
    Map<String, Double> ms = new LinkedHashMap<>();
    for (int b : batches) {
      if (b > p.testWindows(h)) {
        throw new ParameterException(spec.commandLine(), "--batches " + b + " exceeds the " + p.testWindows(h) + " test windows");
      }
      double[][][] x = Windows.inputs(prepared.scaled(), p.testStart(), b, l);
      model.predict(x, h);
      double[] perWindow = new double[repeats];
      for (int r = 0; r < repeats; r++) {
        long t0 = System.nanoTime();
        model.predict(x, h);
        perWindow[r] = (System.nanoTime() - t0) / 1e6 / b;
      }
      Arrays.sort(perWindow);
      double median = perWindow[repeats / 2];
      ms.put(Integer.toString(b), median);
      err.printf(Locale.ROOT, "bench predict: %s batch %d: %.1f ms per window (median of %d; min %.1f, max %.1f)%n",
          model, b, median, repeats, perWindow[0], perWindow[repeats - 1]);
      err.flush();
    }
    StringBuilder json = new StringBuilder();
    json.append("{\"bench\":\"predict\",\"family\":\"").append(model.family()).append('"');
    json.append(",\"lookback\":").append(l).append(",\"horizon\":").append(h);
    json.append(",\"channels\":").append(table.channels());
    json.append(",\"infer_ms_per_window\":{");
    int i = 0;
    for (Map.Entry<String, Double> e : ms.entrySet()) {
      json.append(i++ == 0 ? "" : ",").append('"').append(e.getKey()).append("\":");
      json.append(String.format(Locale.ROOT, "%.3f", e.getValue()));
    }
    json.append("}}");
    spec.commandLine().getOut().println(json);
    spec.commandLine().getOut().flush();
    return 0;
  }
}

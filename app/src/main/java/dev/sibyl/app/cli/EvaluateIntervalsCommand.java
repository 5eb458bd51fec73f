package dev.sibyl.app.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.ForecasterOptions;
import dev.sibyl.models.api.ForecasterRegistry;
import dev.sibyl.models.eval.IntervalCoverage;
import dev.sibyl.models.eval.Protocol;
import dev.sibyl.models.eval.Table;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * {@code sibyl evaluate-intervals}: the empirical coverage of a streaming forecaster's
 * split-conformal intervals on the test split of a protocol, measured as the pipeline forecasts
 * (each channel alone, from its most recent window), with a JSON report.
 */
@Command(
    name = "evaluate-intervals",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Measure the empirical coverage of a forecaster's prediction intervals on the test split.")
public final class EvaluateIntervalsCommand implements Callable<Integer> {

  @Spec private CommandSpec spec;

  @Option(names = "--data", required = true, paramLabel = "CSV", description = "Data file (ETT protocol for ETT*.csv, 70/10/20 otherwise).")
  private Path data;

  @Option(names = "--model", defaultValue = "holt-winters", paramLabel = "FAMILY", description = "Forecaster family as in model.family (default ${DEFAULT-VALUE}).")
  private String family;

  @Option(names = "--option", paramLabel = "KEY=VALUE", description = "A forecaster option as in model.option.* (repeatable), e.g. season.length=24.")
  private Map<String, String> options = new LinkedHashMap<>();

  @Option(names = "--coverage", defaultValue = "0.9", paramLabel = "P", description = "Nominal coverage of the intervals (default ${DEFAULT-VALUE}).")
  private double coverage;

  @Option(names = "--window", defaultValue = "256", paramLabel = "N", description = "Observations per forecast, as forecast.lookback (default ${DEFAULT-VALUE}).")
  private int window;

  @Option(names = "--horizon", defaultValue = "24", paramLabel = "H", description = "Steps per forecast (default ${DEFAULT-VALUE}).")
  private int horizon;

  @Option(names = "--stride", defaultValue = "1", paramLabel = "N", description = "Rows between forecast origins (default ${DEFAULT-VALUE}: every row).")
  private int stride;

  @Option(names = "--protocol", paramLabel = "ett|csv", description = "Split protocol (default: ett for ETT*.csv files, csv otherwise).")
  private String protocol;

  @Option(names = "--report", required = true, paramLabel = "FILE", description = "JSON report to write.")
  private Path report;

  @Override
  public Integer call() throws Exception {
    // 1. Options and the forecaster
    if (!(coverage > 0 && coverage < 1)) {
      throw new ParameterException(spec.commandLine(), "--coverage must be in (0, 1), got " + coverage);
    }
    if (window < 2 || horizon < 1 || stride < 1) {
      throw new ParameterException(spec.commandLine(), "--window must be >= 2, --horizon and --stride positive");
    }
    if (protocol != null && !protocol.equals("ett") && !protocol.equals("csv")) {
      throw new ParameterException(spec.commandLine(), "--protocol must be ett or csv, got '" + protocol + "'");
    }
    if (!Files.isRegularFile(data)) {
      throw new ParameterException(spec.commandLine(), "--data: no such file: " + data);
    }
    if (options.containsKey(ForecasterOptions.COVERAGE_CONFIG)) {
      throw new ParameterException(spec.commandLine(), "give the coverage with --coverage, not --option " + ForecasterOptions.COVERAGE_CONFIG);
    }
    Map<String, String> all = new LinkedHashMap<>(options);
    all.put(ForecasterOptions.COVERAGE_CONFIG, Double.toString(coverage));
    Forecaster forecaster;
    try {
      forecaster = ForecasterRegistry.create(family, all);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--model/--option: " + e.getMessage());
    }
    if (window < forecaster.minHistory()) {
      throw new ParameterException(
          spec.commandLine(), "--window " + window + " is shorter than " + family + "'s minimum history " + forecaster.minHistory());
    }
    Table table = Table.read(data);
    Protocol p = ProtocolOption.resolve(spec.commandLine(), protocol, table, window);
    PrintWriter err = spec.commandLine().getErr();

    // 2. Every origin of the test split, with a progress line
    int origins = (p.testEnd() - p.testStart() - window - horizon) / stride + 1;
    err.printf(Locale.ROOT, "%s on %s test split: %d origins x %d channels x %d steps, nominal coverage %.3f%n",
        family, table.name(), origins, table.channels(), horizon, coverage);
    long started = System.nanoTime();
    IntervalCoverage.Result r;
    try {
      r = IntervalCoverage.measure(
          forecaster, coverage, table.rows(), p.testStart(), p.testEnd(), 3_600_000L, window, horizon, stride,
          done -> {
            if (done % 100 == 0 || done == origins) {
              err.printf(Locale.ROOT, "\rorigin %d/%d", done, origins);
              err.flush();
            }
          });
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    err.println();

    // 3. Report
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = json.createObjectNode();
    root.put("family", family);
    root.putPOJO("options", options);
    root.put("dataset", table.name());
    root.put("protocol", p.name());
    root.put("split", "test");
    root.put("window", window);
    root.put("horizon", horizon);
    root.put("stride", stride);
    root.put("nominal", coverage);
    root.put("coverage", r.coverage());
    root.put("trials", r.trials());
    root.put("origins", r.origins());
    root.put("mean_width", r.meanWidth());
    root.put("seconds", seconds);
    ArrayNode perStep = root.putArray("per_step");
    for (double c : r.perStep()) {
      perStep.add(c);
    }
    Path parent = report.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    json.writeValue(report.toFile(), root);
    spec.commandLine().getOut().printf(
        Locale.ROOT, "%s %s: empirical coverage %.4f of nominal %.2f over %d trials (step 1 %.4f, step %d %.4f) in %.1f s; report %s%n",
        family, table.name(), r.coverage(), coverage, r.trials(), r.perStep()[0], horizon, r.perStep()[horizon - 1], seconds, report);
    return 0;
  }
}

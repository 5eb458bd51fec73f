package dev.sibyl.app.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.artifact.ArtifactException;
import dev.sibyl.models.artifact.Artifacts;
import dev.sibyl.models.controls.SeasonalNaive;
import dev.sibyl.models.eval.Harness;
import dev.sibyl.models.eval.Predictor;
import dev.sibyl.models.eval.Protocol;
import dev.sibyl.models.eval.Table;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code sibyl evaluate}: runs artifacts (or the parameter-free seasonal-naive baseline) over
 * every test window of a protocol and writes a JSON report. Each horizon is served by an artifact
 * trained for exactly that horizon or by an autoregressive one; other requests are refused.
 */
@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Evaluate trained artifacts on the test split (MSE / MAE on the standardised scale).")
public final class EvaluateCommand implements Callable<Integer> {

  @Spec private CommandSpec spec;

  @Option(names = "--artifact", paramLabel = "DIR", description = "Artifact directory (repeatable: one per horizon for direct models).")
  private List<Path> artifacts = new ArrayList<>();

  @Option(names = "--model", paramLabel = "FAMILY", description = "Instead of artifacts: the parameter-free baseline seasonal-naive.")
  private String baseline;

  @Option(names = "--lookback", paramLabel = "L", description = "Lookback for --model (artifacts carry their own).")
  private Integer lookback;

  @Option(names = "--season-length", paramLabel = "M", defaultValue = "24", description = "Season of seasonal-naive (default ${DEFAULT-VALUE}).")
  private int seasonLength;

  @Option(names = "--data", required = true, paramLabel = "CSV", description = "Data file.")
  private Path data;

  @Option(names = "--horizons", split = ",", paramLabel = "H", description = "Horizons, comma-separated, e.g. 96,192,336,720 (forecasters: required).")
  private List<Integer> horizons;

  @Option(names = "--rul", paramLabel = "FILE", description = "True RULs (RUL_FD00x.txt) for a prognostic artifact (arphmm, cnn-rul) on a C-MAPSS test file.")
  private Path rul;

  @Option(names = "--protocol", paramLabel = "ett|csv", description = "Split protocol (default: ett for ETT*.csv files, csv otherwise).")
  private String protocol;

  @Option(names = "--report", required = true, paramLabel = "FILE", description = "JSON report to write.")
  private Path report;

  @Mixin private InContextOptions inContext;

  /** One horizon's predictor and where it comes from. */
  private record Served(int horizon, Predictor predictor, String family, String model, double trainSeconds, long trainable, long total) {}

  @Override
  public Integer call() throws Exception {
    // 0. A prognostic artifact on C-MAPSS: its own protocol
    if (rul != null) {
      if (!Files.isRegularFile(data)) {
        throw new ParameterException(spec.commandLine(), "--data: no such file: " + data);
      }
      return PrognosticEvaluation.run(spec.commandLine(), artifacts, data, rul, report);
    }
    if (horizons == null) {
      throw new ParameterException(spec.commandLine(), "--horizons is required for forecasters (a prognostic artifact takes --rul instead)");
    }
    // 1. Options
    if (artifacts.isEmpty() == (baseline == null)) {
      throw new ParameterException(spec.commandLine(), "give either --artifact (one or more) or --model seasonal-naive");
    }
    if (protocol != null && !protocol.equals("ett") && !protocol.equals("csv")) {
      throw new ParameterException(spec.commandLine(), "--protocol must be ett or csv, got '" + protocol + "'");
    }
    for (int h : horizons) {
      if (h < 1) {
        throw new ParameterException(spec.commandLine(), "--horizons must be positive, got " + h);
      }
    }
    if (!Files.isRegularFile(data)) {
      throw new ParameterException(spec.commandLine(), "--data: no such file: " + data);
    }
    List<Served> served = new ArrayList<>();
    List<WindowModel> models = new ArrayList<>();
    int l;
    if (baseline != null) {
      if (!SeasonalNaive.FAMILY.equals(baseline)) {
        throw new ParameterException(
            spec.commandLine(), "--model: only seasonal-naive runs without an artifact, got '" + baseline + "'");
      }
      if (lookback == null || lookback < seasonLength || seasonLength < 1) {
        throw new ParameterException(spec.commandLine(), "--model seasonal-naive needs --lookback >= --season-length >= 1");
      }
      l = lookback;
      SeasonalNaive naive = new SeasonalNaive(seasonLength);
      Predictor p = (windows, h) -> {
        double[][][] out = new double[windows.length][][];
        for (int b = 0; b < windows.length; b++) {
          out[b] = new double[windows[b].length][];
          for (int c = 0; c < windows[b].length; c++) {
            out[b][c] = naive.forecast(windows[b][c], h);
          }
        }
        return out;
      };
      for (int h : horizons) {
        served.add(new Served(h, p, SeasonalNaive.FAMILY, SeasonalNaive.FAMILY + "(m=" + seasonLength + ")", 0, 0, 0));
      }
    } else {
      if (lookback != null) {
        throw new ParameterException(spec.commandLine(), "--lookback applies to --model only; an artifact carries its lookback");
      }
      List<Artifacts.Loaded> loaded = new ArrayList<>();
      for (Path dir : artifacts) {
        try {
          loaded.add(Artifacts.load(dir));
        } catch (ArtifactException e) {
          throw new ParameterException(spec.commandLine(), "--artifact " + e.getMessage());
        }
      }
      l = loaded.get(0).manifest().lookback();
      for (Artifacts.Loaded a : loaded) {
        models.add(a.model());
      }
      for (Artifacts.Loaded a : loaded) {
        if (a.manifest().lookback() != l || !a.manifest().family().equals(loaded.get(0).manifest().family())) {
          throw new ParameterException(spec.commandLine(), "--artifact: all artifacts must share one family and lookback");
        }
      }
      for (int h : horizons) {
        served.add(serve(loaded, h));
      }
    }
    PrintWriter stdout = spec.commandLine().getOut();

    // 2. Data under the protocol, then every horizon
    Table table = Table.read(data);
    Protocol p = ProtocolOption.resolve(spec.commandLine(), protocol, table, l);
    Harness.Prepared prepared = Harness.prepare(table, p);
    inContext.check(spec.commandLine(), models, table, p, horizons);
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = json.createObjectNode();
    root.put("model", served.get(0).model());
    root.put("family", served.get(0).family());
    root.put("dataset", table.name());
    root.put("lookback", l);
    root.put("protocol", p.name());
    inContext.report(root);
    ArrayNode results = root.putArray("results");
    double trainSeconds = 0;
    double inferMs = 0;
    long windows = 0;
    long trainable = 0;
    long total = 0;
    List<String> seen = new ArrayList<>();
    for (Served s : served) {
      Harness.Result r = Harness.evaluate(prepared, s.predictor(), s.horizon());
      ObjectNode o = results.addObject();
      o.put("horizon", r.horizon());
      o.put("mse", r.mse());
      o.put("mae", r.mae());
      o.put("windows", r.windows());
      o.put("artifact", s.model());
      inferMs += r.inferMsPerWindow() * r.windows();
      windows += r.windows();
      if (!seen.contains(s.model())) {
        seen.add(s.model());
        trainSeconds += s.trainSeconds();
        trainable += s.trainable();
        total += s.total();
      }
      stdout.printf(Locale.ROOT, "%s %s L=%d H=%d: mse %.4f mae %.4f over %d windows%n",
          s.family(), table.name(), l, r.horizon(), r.mse(), r.mae(), r.windows());
    }
    // the totals add up the distinct artifacts used (one per horizon for direct models)
    root.put("train_seconds", trainSeconds);
    root.put("infer_ms_per_window", inferMs / windows);
    root.put("params_trainable", trainable);
    root.put("params_total", total);
    if (report.toAbsolutePath().getParent() != null) {
      Files.createDirectories(report.toAbsolutePath().getParent());
    }
    json.writeValue(report.toFile(), root);
    return 0;
  }

  /** The artifact for a horizon: trained for exactly it, else an autoregressive one, else refused. */
  private Served serve(List<Artifacts.Loaded> loaded, int h) {
    Artifacts.Loaded chosen = null;
    for (Artifacts.Loaded a : loaded) {
      if (a.manifest().horizon() == h) {
        chosen = a;
      }
    }
    if (chosen == null) {
      for (Artifacts.Loaded a : loaded) {
        if (a.model().autoregressive()) {
          chosen = a;
        }
      }
    }
    if (chosen == null) {
      StringBuilder trained = new StringBuilder();
      for (Artifacts.Loaded a : loaded) {
        trained.append(trained.length() == 0 ? "" : ", ").append(a.manifest().horizon());
      }
      throw new ParameterException(
          spec.commandLine(),
          "--horizons " + h + ": no artifact serves it; " + loaded.get(0).manifest().family()
              + " was trained for horizon(s) " + trained + " and does not roll forward (train one model per horizon)");
    }
    WindowModel m = chosen.model();
    String name = m.family() + " L=" + m.lookback() + " H=" + m.horizon();
    return new Served(h, inContext.predictor(m), m.family(), name, chosen.manifest().trainSeconds(), m.parametersTrainable(), m.parametersTotal());
  }
}

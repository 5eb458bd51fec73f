package dev.sibyl.app.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sibyl.models.anomaly.DetectorConfig;
import dev.sibyl.models.anomaly.DetectorOutput;
import dev.sibyl.models.anomaly.ForecastAnomalyDetector;
import dev.sibyl.models.anomaly.NabCorpus;
import dev.sibyl.models.anomaly.NabScorer;
import dev.sibyl.models.anomaly.OnsetConfig;
import dev.sibyl.models.anomaly.OnsetDetector;
import dev.sibyl.models.anomaly.StreamingDetector;
import dev.sibyl.models.anomaly.ZScoreDetector;
import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.ForecasterRegistry;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
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
 * {@code sibyl evaluate-anomalies}: runs a streaming detector over every file of a NAB-layout
 * corpus in streaming order (one fresh state per file), scores the anomaly scores with {@link
 * NabScorer} (threshold optimised per profile over the corpus, as NAB does) and writes a JSON
 * report; optionally writes NAB's results layout so NAB's own scorer can check the number.
 */
@Command(
    name = "evaluate-anomalies",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Score an anomaly detector on a NAB-layout corpus (NAB standard / low-FP / low-FN).")
public final class EvaluateAnomaliesCommand implements Callable<Integer> {

  /** One day in milliseconds, the season of {@code --season-length day}. */
  private static final long DAY_MILLIS = 86_400_000L;

  @Spec private CommandSpec spec;

  @Option(names = "--data", required = true, paramLabel = "DIR", description = "Folder of <category>/<file>.csv (or of data/<category>/...).")
  private Path data;

  @Option(names = "--windows", required = true, paramLabel = "FILE", description = "NAB combined_windows.json.")
  private Path windows;

  @Option(names = "--report", required = true, paramLabel = "FILE", description = "JSON report to write.")
  private Path report;

  @Option(names = "--results-dir", paramLabel = "DIR", description = "Also write NAB's results layout <detector>/<category>/<detector>_<file>.csv.")
  private Path resultsDir;

  @Option(names = "--detector", defaultValue = "forecast", paramLabel = "forecast|zscore|onset", description = "Detector (default ${DEFAULT-VALUE}).")
  private String detector;

  @Option(names = "--forecaster", defaultValue = "holt-winters", paramLabel = "FAMILY", description = "Forecaster of the forecast detector: holt-winters or seasonal-naive (default ${DEFAULT-VALUE}).")
  private String forecaster;

  @Option(names = "--season-length", defaultValue = "1", paramLabel = "N|day", description = "Season in rows, or 'day' for one day at each file's step when the window holds two days, else 1 (default ${DEFAULT-VALUE}).")
  private String seasonLength;

  @Option(names = "--coverage", defaultValue = "0.9", paramLabel = "P", description = "Nominal coverage of the conformal intervals (default ${DEFAULT-VALUE}).")
  private double coverage;

  @Option(names = "--window", paramLabel = "N", description = "Observations the forecaster sees (default 64) or the z-score's and onset's rolling window (default 256).")
  private Integer windowOption;

  /** The window in effect: the option, else the detector's default. */
  private int window;

  @Option(names = "--cadence", defaultValue = "1", paramLabel = "N", description = "Points between forecasts (default ${DEFAULT-VALUE}).")
  private int cadence;

  @Override
  public Integer call() throws IOException {
    // 1. Options
    if (!detector.equals(ForecastAnomalyDetector.NAME) && !detector.equals(ZScoreDetector.NAME) && !detector.equals(OnsetDetector.NAME)) {
      throw new ParameterException(spec.commandLine(), "--detector must be forecast, zscore or onset, got '" + detector + "'");
    }
    if (!forecaster.equals("holt-winters") && !forecaster.equals("seasonal-naive")) {
      throw new ParameterException(spec.commandLine(), "--forecaster must be holt-winters or seasonal-naive, got '" + forecaster + "'");
    }
    if (!seasonLength.equals("day")) {
      try {
        if (Integer.parseInt(seasonLength) < 1) {
          throw new NumberFormatException();
        }
      } catch (NumberFormatException e) {
        throw new ParameterException(spec.commandLine(), "--season-length must be a positive integer or 'day', got '" + seasonLength + "'");
      }
    }
    if (!Files.isDirectory(data)) {
      throw new ParameterException(spec.commandLine(), "--data: no such folder: " + data);
    }
    if (!Files.isRegularFile(windows)) {
      throw new ParameterException(spec.commandLine(), "--windows: no such file: " + windows);
    }
    window = windowOption != null ? windowOption : detector.equals(ZScoreDetector.NAME) ? 256
        : detector.equals(OnsetDetector.NAME) ? OnsetConfig.defaults().window() : DetectorConfig.defaults().window();
    if (window < 4) {
      throw new ParameterException(spec.commandLine(), "--window must be >= 4, got " + window);
    }
    DetectorConfig config;
    try {
      config = DetectorConfig.defaults().withCoverage(coverage).withWindow(window, cadence);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "bad detector option: " + e.getMessage());
    }
    List<NabCorpus.Series> corpus;
    try {
      corpus = NabCorpus.load(data, windows);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    PrintWriter err = spec.commandLine().getErr();

    // 2. The detector over each file in streaming order, one fresh state per file
    long started = System.nanoTime();
    List<NabScorer.FileInput> inputs = new ArrayList<>();
    ObjectNode perFileInfo = new ObjectMapper().createObjectNode();
    Map<String, Integer> seasons = new HashMap<>();
    for (NabCorpus.Series s : corpus) {
      int season = season(s);
      seasons.put(s.key(), season);
      double[] scores = run(s, config, season, perFileInfo);
      inputs.add(new NabScorer.FileInput(s.key(), scores, s.windows()));
      if (resultsDir != null) {
        writeResults(s, scores);
      }
      err.printf(Locale.ROOT, "%s: %d rows, season %d, %d windows%n", s.key(), s.values().length, season, s.windows().size());
      err.flush();
    }
    double seconds = (System.nanoTime() - started) / 1e9;

    // 3. NAB scores per profile, then the report
    Map<String, NabScorer.Result> results = NabScorer.evaluate(inputs);
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = json.createObjectNode();
    root.put("detector", detector);
    if (detector.equals(ForecastAnomalyDetector.NAME)) {
      root.put("forecaster", forecaster);
      root.put("season_length", seasonLength);
      root.putPOJO("config", config);
    } else if (detector.equals(OnsetDetector.NAME)) {
      root.putPOJO("config", OnsetConfig.defaults().withWindow(window));
    } else {
      root.put("window", window);
    }
    root.put("files", corpus.size());
    root.put("rows", Arrays.stream(inputs.toArray(new NabScorer.FileInput[0])).mapToLong(f -> f.scores().length).sum());
    root.put("seconds", seconds);
    for (NabScorer.Result r : results.values()) {
      root.put(r.profile().name(), r.score());
    }
    ObjectNode profiles = root.putObject("profiles");
    for (NabScorer.Result r : results.values()) {
      ObjectNode p = profiles.putObject(r.profile().name());
      p.put("score", r.score());
      p.put("threshold", r.threshold());
      p.put("raw", r.raw());
      p.put("null", r.nullScore());
      p.put("perfect", r.perfect());
      p.put("precision", r.precision());
      p.put("recall", r.recall());
      p.put("weights_tp_fp_fn", r.profile().tpWeight() + "," + r.profile().fpWeight() + "," + r.profile().fnWeight());
    }
    ArrayNode files = root.putArray("per_file");
    for (int i = 0; i < inputs.size(); i++) {
      ObjectNode f = files.addObject();
      NabScorer.FileInput in = inputs.get(i);
      f.put("file", in.name());
      f.put("rows", in.scores().length);
      f.put("probation", NabScorer.probationLength(in.scores().length));
      f.put("season_length", seasons.get(in.name()));
      f.put("warm_up_rows", perFileInfo.get(in.name()).asInt());
      for (NabScorer.Result r : results.values()) {
        NabScorer.FileResult fr = r.files().get(i);
        ObjectNode p = f.putObject(r.profile().name());
        p.put("raw", fr.raw());
        p.put("windows", fr.windows());
        p.put("detected", fr.detected());
        p.put("flags", fr.flags());
        p.put("tp_flags", fr.truePositiveFlags());
      }
    }
    if (report.toAbsolutePath().getParent() != null) {
      Files.createDirectories(report.toAbsolutePath().getParent());
    }
    json.writeValue(report.toFile(), root);
    PrintWriter out = spec.commandLine().getOut();
    for (NabScorer.Result r : results.values()) {
      out.printf(Locale.ROOT, "%s %s: %.2f (threshold %.6f, precision %.3f, recall %.3f)%n",
          detector, r.profile().name(), r.score(), r.threshold(), r.precision(), r.recall());
    }
    out.flush();
    return 0;
  }

  /** The season of a file: the option's number, or one day at the file's median step when it fits. */
  private int season(NabCorpus.Series s) {
    if (detector.equals(OnsetDetector.NAME)) {
      // the onset detector finds its own daily season; 1 when it has none, as for the others
      return Math.max(1, OnsetDetector.seasonOf(s.millis(), OnsetConfig.defaults().withWindow(window)));
    }
    if (!seasonLength.equals("day")) {
      return Integer.parseInt(seasonLength);
    }
    long[] t = s.millis();
    int m = Math.min(t.length - 1, 200);
    if (m < 1) {
      return 1;
    }
    long[] gaps = new long[m];
    for (int i = 0; i < m; i++) {
      gaps[i] = t[i + 1] - t[i];
    }
    Arrays.sort(gaps);
    long step = gaps[m / 2];
    // a season only when the step divides a day and the window holds two seasons plus some
    if (step <= 0 || DAY_MILLIS % step != 0) {
      return 1;
    }
    int season = (int) (DAY_MILLIS / step);
    return 2 * season + 8 <= window ? season : 1;
  }

  private double[] run(NabCorpus.Series s, DetectorConfig config, int season, ObjectNode info) {
    double[] scores = new double[s.values().length];
    int warm;
    if (detector.equals(ZScoreDetector.NAME)) {
      warm = stream(new ZScoreDetector(window, Math.min(window, 30), 1.0), s, scores);
    } else if (detector.equals(OnsetDetector.NAME)) {
      warm = stream(new OnsetDetector(OnsetConfig.defaults().withWindow(window)), s, scores);
    } else {
      Forecaster f = ForecasterRegistry.create(forecaster, Map.of("season.length", Integer.toString(season)));
      warm = stream(new ForecastAnomalyDetector(f, config), s, scores);
    }
    info.put(s.key(), warm);
    return scores;
  }

  /** Streams one file through a detector; returns the number of warm-up rows. */
  private static <S> int stream(StreamingDetector<S> d, NabCorpus.Series s, double[] scores) {
    S state = d.newState();
    int warm = 0;
    for (int i = 0; i < scores.length; i++) {
      DetectorOutput o = d.update(state, s.millis()[i], s.values()[i]);
      scores[i] = o.score();
      warm += o.warmUp() ? 1 : 0;
    }
    return warm;
  }

  /** NAB's results layout: columns timestamp,value,anomaly_score,label (1 inside a window). */
  private void writeResults(NabCorpus.Series s, double[] scores) throws IOException {
    Path dir = resultsDir.resolve(detector).resolve(s.category());
    Files.createDirectories(dir);
    boolean[] inWindow = new boolean[scores.length];
    for (NabScorer.Window w : s.windows()) {
      Arrays.fill(inWindow, w.start(), w.end() + 1, true);
    }
    try (BufferedWriter w = Files.newBufferedWriter(dir.resolve(detector + "_" + s.fileName()), StandardCharsets.UTF_8)) {
      w.write("timestamp,value,anomaly_score,label\n");
      for (int i = 0; i < scores.length; i++) {
        w.write(s.timestamps().get(i) + "," + s.values()[i] + "," + scores[i] + "," + (inWindow[i] ? 1 : 0) + "\n");
      }
    }
  }
}

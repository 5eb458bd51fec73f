package dev.sibyl.models.api;

import dev.sibyl.models.artifact.Artifacts;
import dev.sibyl.models.autotimes.AutoTimes;
import dev.sibyl.models.autotimes.AutoTimesStreaming;
import dev.sibyl.models.controls.ArForecaster;
import dev.sibyl.models.interval.SplitConformal;
import dev.sibyl.models.smetimes.SmeTimes;
import dev.sibyl.models.smetimes.SmeTimesStreaming;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntFunction;

/**
 * Serves the trainable families ({@link ModelRegistry}) to the streaming pipeline as {@link
 * Forecaster}s: the options of {@code model.option.*}, declared once here, and the adapter from a
 * batched {@link WindowModel} to one series.
 *
 * <p>The adapter standardises each lookback window by its own mean and standard deviation (+1e-5)
 * and undoes it on the output (RevIN without affine). Why: the artifact was trained on columns
 * standardised with their own training statistics, and a streamed series has an unknown scale.
 * Intervals are split-conformal ({@link SplitConformal}) on the model's backtest inside the window,
 * so a window of {@code lookback + calibration.size + horizon} values gives intervals at their
 * nominal coverage. A multivariate model ({@code channels() > 0}, S-Mamba) is served by {@link
 * MultivariateForecaster} instead, which forecasts the named channels of a source together, and an
 * LLM-backed one (Time-LLM) by {@link BatchedForecaster}, which gives many series and all their
 * calibration origins one model call.
 */
public final class TrainedForecasters {

  /** Artifact directory key. */
  public static final String ARTIFACT_CONFIG = "artifact";

  /** Artifact directory documentation. */
  public static final String ARTIFACT_DOC =
      "Directory of a trained artifact (manifest.json + weights) written by `sibyl train`."
          + " Required for dlinear; optional for ar, which without one fits its coefficients on"
          + " each window by ridge least squares.";

  /** AR order key (window-fitted AR only). */
  public static final String AR_ORDER_CONFIG = "ar.order";

  /** AR order documentation. */
  public static final String AR_ORDER_DOC =
      "Order p of the AR model fitted on each window when no artifact is given (default 24);"
          + " the window needs at least 3p + 1 values.";

  /** AR order default. */
  public static final int AR_ORDER_DEFAULT = 24;

  /** Streaming path key. */
  public static final String STREAMING_CONFIG = "streaming";

  /** The keyed path: per-series decoder KV cache, online intervals. */
  public static final String STREAMING_KV_CACHE = "kv-cache";

  /** The stateless path: a full pass and a split-conformal backtest per forecast. */
  public static final String STREAMING_STATELESS = "stateless";

  /** Streaming path documentation. */
  public static final String STREAMING_DOC =
      "How the streaming pipeline (inference.mode=direct) serves a model that keeps per-series state"
          + " (autotimes, smetimes). stateless (default): a full pass and a split-conformal backtest of"
          + " calibration.size + horizon origins per forecast. kv-cache: each stream task keeps every series'"
          + " decoder KV cache, so that a completed 96-point segment costs one token of decoding and a forecast"
          + " between segment boundaries none, with online conformal intervals kept in the series state"
          + " (forecast.online-interval.gamma); about a tenth of the work per forecast, but between boundaries"
          + " the forecast is the last boundary's, blind to the points since (on ETTh1 at cadence 12, 24 % more"
          + " absolute error than stateless; 4 % at cadence 96, one forecast per segment). Stateless is the"
          + " default because it keeps the forecasts the pipeline gave before; set kv-cache where the cost"
          + " matters, best with forecast.cadence a multiple of 96. Refused for families without per-series"
          + " state.";

  /** The hyperparameter that marks an LLM-backed family (its frozen checkpoint), as train reads it. */
  private static final String BACKBONE_HYPERPARAMETER = "backbone";

  /** Keys every trained family accepts. */
  private static final Set<String> KEYS =
      Set.of(
          ARTIFACT_CONFIG,
          AR_ORDER_CONFIG,
          STREAMING_CONFIG,
          ForecasterOptions.COVERAGE_CONFIG,
          ForecasterOptions.CALIBRATION_SIZE_CONFIG);

  private TrainedForecasters() {}

  /** One line per option, for help texts. */
  public static String describe() {
    return ARTIFACT_CONFIG
        + " (path, no default): "
        + ARTIFACT_DOC
        + "\n"
        + AR_ORDER_CONFIG
        + " (integer, default 24, range [1, 1000]): "
        + AR_ORDER_DOC
        + "\n"
        + STREAMING_CONFIG
        + " (stateless or kv-cache, default stateless): "
        + STREAMING_DOC
        + "\n";
  }

  /**
   * Creates the forecaster of a trainable family.
   *
   * @param family a name from {@link ModelRegistry#names()}; not null
   * @param options {@code artifact}, {@code ar.order}, {@code coverage}, {@code calibration.size};
   *     not null
   * @return the forecaster, with split-conformal intervals; a {@link JointForecaster} for a
   *     multivariate model ({@link MultivariateForecaster}), a {@link BatchedForecaster} for an
   *     LLM-backed one, and a {@link KeyedServing} around it with {@code streaming=kv-cache} (for a
   *     model that offers a {@link KeyedForecaster})
   * @throws IllegalArgumentException for an unknown key, a bad value, a missing artifact where one
   *     is required, an artifact of another family, an unreadable artifact (naming the path), or a
   *     multivariate artifact that does not name its channels
   */
  public static Forecaster create(String family, Map<String, String> options) {
    Objects.requireNonNull(family, "family must not be null");
    Objects.requireNonNull(options, "options must not be null (use an empty map)");
    ModelRegistry.family(family);
    // 1. Split our keys from the interval keys, which ForecasterOptions validates
    Map<String, String> interval = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : options.entrySet()) {
      Objects.requireNonNull(e.getValue(), "option '" + e.getKey() + "' must not have a null value");
      if (!KEYS.contains(e.getKey())) {
        throw new IllegalArgumentException(
            "unknown option '"
                + e.getKey()
                + "' for family "
                + family
                + "; known options: "
                + new TreeSet<>(KEYS));
      }
      if (e.getKey().equals(ForecasterOptions.COVERAGE_CONFIG)
          || e.getKey().equals(ForecasterOptions.CALIBRATION_SIZE_CONFIG)) {
        interval.put(e.getKey(), e.getValue());
      }
    }
    ForecasterOptions o =
        ForecasterOptions.parse(
            interval,
            "family " + family,
            Set.of(ForecasterOptions.COVERAGE_CONFIG, ForecasterOptions.CALIBRATION_SIZE_CONFIG));
    String streaming = options.get(STREAMING_CONFIG);
    if (streaming != null && !streaming.trim().equals(STREAMING_KV_CACHE) && !streaming.trim().equals(STREAMING_STATELESS)) {
      throw new IllegalArgumentException(
          "option '" + STREAMING_CONFIG + "' must be " + STREAMING_KV_CACHE + " or " + STREAMING_STATELESS + ", got '"
              + streaming + "'");
    }
    String artifact = options.get(ARTIFACT_CONFIG);
    // 2. Without an artifact only AR can serve: it fits on each window
    if (artifact == null || artifact.isBlank()) {
      if (!ArForecaster.FAMILY.equals(family)) {
        throw new IllegalArgumentException(
            "family "
                + family
                + " needs a trained artifact: set option '"
                + ARTIFACT_CONFIG
                + "' (model.option."
                + ARTIFACT_CONFIG
                + "=<dir> written by `sibyl train`)");
      }
      if (streaming != null && streaming.trim().equals(STREAMING_KV_CACHE)) {
        throw new IllegalArgumentException(
            "option '" + STREAMING_CONFIG + "=" + STREAMING_KV_CACHE + "': family " + family
                + " keeps no per-series state; remove the option or set " + STREAMING_STATELESS);
      }
      int order = parseOrder(options.getOrDefault(AR_ORDER_CONFIG, "" + AR_ORDER_DEFAULT));
      return new SplitConformal(
          ArForecaster.windowFitted(order, ArForecaster.RIDGE_DEFAULT),
          o.coverage(),
          o.calibrationSize());
    }
    if (options.containsKey(AR_ORDER_CONFIG)) {
      throw new IllegalArgumentException(
          "option '" + AR_ORDER_CONFIG + "' applies only without an artifact (the artifact fixes"
              + " the order)");
    }
    // 3. With an artifact: load it and check its family
    WindowModel model;
    try {
      model = Artifacts.load(Path.of(artifact.trim())).model();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read artifact " + artifact + ": " + e.getMessage(), e);
    }
    if (!model.family().equals(family)) {
      throw new IllegalArgumentException(
          "artifact " + artifact + " is of family " + model.family() + ", not " + family);
    }
    // 4. A multivariate model forecasts the channels of a source together
    if (model.channels() > 0) {
      try {
        return MultivariateForecaster.of(model, o.coverage(), o.calibrationSize());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("artifact " + artifact + ": " + e.getMessage(), e);
      }
    }
    // 5. An LLM-backed model costs a language-model pass per call: one call for many series
    IntFunction<KeyedForecaster> keyed = keyedFactory(model);
    boolean kvCache = streaming != null && streaming.trim().equals(STREAMING_KV_CACHE);
    if (kvCache && keyed == null) {
      // asked for explicitly: saying no beats serving it another way unnoticed
      throw new IllegalArgumentException(
          "option '" + STREAMING_CONFIG + "=" + STREAMING_KV_CACHE + "': family " + family
              + " keeps no per-series state; remove the option or set " + STREAMING_STATELESS);
    }
    if (model.hyperparameters().containsKey(BACKBONE_HYPERPARAMETER)) {
      BatchedForecaster batched = BatchedForecaster.of(model, o.coverage(), o.calibrationSize());
      return kvCache ? KeyedServing.of(batched, keyed) : batched;
    }
    return new SplitConformal(pointModel(model), o.coverage(), o.calibrationSize());
  }

  /** The keyed forecasters of a model that offers them (a KV cache per series), else null. */
  private static IntFunction<KeyedForecaster> keyedFactory(WindowModel model) {
    if (model instanceof AutoTimes autoTimes) {
      return maxSeries -> new AutoTimesStreaming(autoTimes, maxSeries);
    }
    if (model instanceof SmeTimes smeTimes) {
      return maxSeries -> new SmeTimesStreaming(smeTimes, maxSeries);
    }
    return null;
  }

  private static int parseOrder(String raw) {
    try {
      int order = Integer.parseInt(raw.trim());
      if (order >= 1 && order <= 1000) {
        return order;
      }
    } catch (NumberFormatException e) {
      // reported below with the range
    }
    throw new IllegalArgumentException(
        "option '" + AR_ORDER_CONFIG + "' must be an integer in [1, 1000], got '" + raw + "'");
  }

  /**
   * One series through a channel-independent window model, with per-window standardisation.
   *
   * @param model a channel-independent model ({@code channels() == 0}); not null
   * @return the point model; minHistory is the lookback
   * @throws IllegalArgumentException for a multivariate model, which needs all its channels
   */
  public static PointModel pointModel(WindowModel model) {
    if (model.channels() != 0) {
      throw new IllegalArgumentException(
          model.family()
              + " is multivariate ("
              + model.channels()
              + " channels); serve it with MultivariateForecaster, which takes all of them");
    }
    return new PointModel() {
      @Override
      public String family() {
        return model.family();
      }

      @Override
      public String version() {
        return model.version();
      }

      @Override
      public int minHistory() {
        return model.lookback();
      }

      @Override
      public double[] forecast(double[] values, int horizon) {
        PointModel.checkArguments(this, values, horizon, 0);
        // 1. The last L values, standardised by their own statistics
        int l = model.lookback();
        double[] x = Arrays.copyOfRange(values, values.length - l, values.length); // (L)
        double mean = Arrays.stream(x).average().orElse(0);
        double var = 0;
        for (double v : x) {
          var += (v - mean) * (v - mean);
        }
        double std = Math.sqrt(var / l) + 1e-5;
        for (int i = 0; i < l; i++) {
          x[i] = (x[i] - mean) / std;
        }
        // 2. Forecast and undo the scaling
        double[] y = model.predict(new double[][][] {{x}}, horizon)[0][0]; // (horizon)
        for (int k = 0; k < horizon; k++) {
          y[k] = y[k] * std + mean;
        }
        return y;
      }

      @Override
      public String toString() {
        return model.family() + "[L=" + model.lookback() + ", H=" + model.horizon() + "]";
      }
    };
  }
}

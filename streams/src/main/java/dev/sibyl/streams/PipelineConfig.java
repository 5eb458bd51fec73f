package dev.sibyl.streams;

import dev.sibyl.streams.core.ExcursionLikelihood;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * Every setting of the forecasting pipeline, declared once with its documentation, default and
 * validator. The same settings drive the Kafka Streams topology and (later) the Flink job.
 */
public final class PipelineConfig extends AbstractConfig {

  public static final String TELEMETRY_TOPIC_CONFIG = "topic.telemetry";
  public static final String TELEMETRY_TOPIC_DEFAULT = "sibyl.telemetry";
  private static final String TELEMETRY_TOPIC_DOC = "Input topic of TelemetryPoint records, keyed by source.";

  public static final String FORECASTS_TOPIC_CONFIG = "topic.forecasts";
  public static final String FORECASTS_TOPIC_DEFAULT = "sibyl.forecasts";
  private static final String FORECASTS_TOPIC_DOC = "Output topic of Forecast records, keyed by source.";

  public static final String ANOMALIES_TOPIC_CONFIG = "topic.anomalies";
  public static final String ANOMALIES_TOPIC_DEFAULT = "sibyl.anomalies";
  private static final String ANOMALIES_TOPIC_DOC = "Output topic of AnomalyFlag records, keyed by source.";

  public static final String HEALTH_TOPIC_CONFIG = "topic.health";
  public static final String HEALTH_TOPIC_DEFAULT = "sibyl.health";
  private static final String HEALTH_TOPIC_DOC = "Output topic of HealthEstimate records, keyed by source.";

  public static final String DEAD_LETTER_TOPIC_CONFIG = "topic.dead-letters";
  public static final String DEAD_LETTER_TOPIC_DEFAULT = "sibyl.dead-letters";
  private static final String DEAD_LETTER_TOPIC_DOC =
      "Topic of DeadLetter records: every input record that could not be processed, with the reason.";

  public static final String LOOKBACK_CONFIG = "forecast.lookback";
  private static final String LOOKBACK_DOC = "Number of recent points kept per series and shown to the model.";

  public static final String HORIZON_CONFIG = "forecast.horizon";
  private static final String HORIZON_DOC = "Number of steps each forecast covers.";

  public static final String CADENCE_CONFIG = "forecast.cadence";
  private static final String CADENCE_DOC = "A forecast is issued every this many accepted points of a series.";

  public static final String MODEL_FAMILY_CONFIG = "model.family";
  private static final String MODEL_FAMILY_DOC =
      "Forecaster family used by the pipeline (seasonal-naive, holt-winters, ...).";

  public static final String MODEL_OPTIONS_PREFIX = "model.option.";

  public static final String MAX_GAP_STEPS_CONFIG = "series.max-gap-steps";
  private static final String MAX_GAP_STEPS_DOC =
      "A gap longer than this many nominal steps resets the series' window (the model would otherwise"
          + " treat points far apart as neighbours).";

  public static final String MAX_FUTURE_CONFIG = "series.max-future-ms";
  private static final String MAX_FUTURE_DOC =
      "Points whose timestamp is more than this far ahead of the wall clock go to the dead-letter topic.";

  public static final String HEALTH_ARTIFACT_CONFIG = "health.artifact";
  private static final String HEALTH_ARTIFACT_DOC =
      "Artifact directory of a prognostic model (arphmm, cnn-rul) written by `sibyl train`. When set, every"
          + " source whose points carry the model's input channels is a unit: a HealthEstimate per point goes to"
          + " topic.health and an AnomalyFlag (channel health) when the unit enters the alert stages. Empty: off.";

  public static final String HEALTH_ALERT_STATES_CONFIG = "health.alert-states";
  private static final String HEALTH_ALERT_STATES_DOC =
      "How many of the last degradation states raise a health flag when a unit's most probable state enters"
          + " them (one flag per episode). Must be below the model's number of states.";

  public static final String HEALTH_MAX_CYCLES_CONFIG = "health.max-cycles";
  private static final String HEALTH_MAX_CYCLES_DOC =
      "Most recent cycles kept per unit and shown to the prognostic model; older cycles are dropped.";

  public static final String MAX_CACHED_SERIES_CONFIG = "series.cache.max-series";
  private static final String MAX_CACHED_SERIES_DOC =
      "Series whose decoded windows each stream task keeps in memory (least recently used first out);"
          + " others are read back from the state stores when they next receive a point.";

  public static final String MAX_KEYED_SERIES_CONFIG = "series.kv-cache.max-series";
  private static final String MAX_KEYED_SERIES_DOC =
      "Series whose model state (AutoTimes' or SMETimes' decoder KV cache, model.option.streaming=kv-cache) each"
          + " stream task keeps in memory, least recently used first out; a series without one is rebuilt from its"
          + " window (one full pass) at its next forecast.";

  public static final String ONLINE_INTERVAL_GAMMA_CONFIG = "forecast.online-interval.gamma";
  private static final String ONLINE_INTERVAL_GAMMA_DOC =
      "Step of the online conformal intervals of the keyed path (model.option.streaming=kv-cache): after each"
          + " observation that the latest forecast covered at step k, that step's half-width q is updated as"
          + " q <- q exp(gamma (miss - alpha)), miss = 1 when the observation fell outside the interval, alpha = 1 -"
          + " coverage (quantile tracking on the log scale). Larger adapts faster and jitters more; 0 keeps the"
          + " half-widths that the split-conformal backtest of the series' first forecast seeded.";

  public static final String MIN_SCORE_CONFIG = "anomaly.min-score";
  private static final String MIN_SCORE_DOC =
      "Observations outside the interval whose score is below this are not flagged. The score is"
          + " log(P) / log(1e-10) capped at 1, P the probability, given the series' recent excursions,"
          + " of a run of consecutive observations outside the interval as long as the current one"
          + " ending in an excursion as large (1 - exp(-d), d the distance beyond the interval in"
          + " half-widths): the default 0.5 flags P below 1e-5, 0.9 below 1e-9; 0 flags every"
          + " observation outside the interval.";

  public static final String LIKELIHOOD_ALPHA_CONFIG = "anomaly.likelihood.alpha";
  private static final String LIKELIHOOD_ALPHA_DOC =
      "Weight of the newest observation in a series' exponentially weighted estimates of how often it"
          + " leaves its interval, how often such excursions come in runs, and how large they are"
          + " (about 1/alpha points of memory): higher makes a lasting excursion the new normal sooner"
          + " and lets a noisy series quiet down faster. At most 0.5: a heavier weight would learn from"
          + " one or two observations, so that nothing would be unusual.";

  public static final String WARMUP_POINTS_CONFIG = "anomaly.warmup-points";
  private static final String WARMUP_POINTS_DOC =
      "Observations of a series are not flagged until its window holds this many points: before that"
          + " the intervals rest on too few calibration residuals to be trusted. The anomaly scorer learns the"
          + " series' usual excursions during the warm-up, from the first forecast on.";

  public static final String INFERENCE_MODE_CONFIG = "inference.mode";
  public static final String INFERENCE_MODE_DIRECT = "direct";
  public static final String INFERENCE_MODE_POOL = "pool";
  private static final String INFERENCE_MODE_DOC =
      "Where a trained window model (model.family dlinear, ... with model.option.artifact) runs: direct"
          + " calls it on the stream thread, one series at a time; pool sends the due forecasts of a stream"
          + " task in batches to an inference pool (inference.endpoints) without blocking the stream thread"
          + " and computes the intervals on the stream side; it needs model.option.artifact (the parameter-free"
          + " families have no pool path).";

  public static final String INFERENCE_ENDPOINTS_CONFIG = "inference.endpoints";
  private static final String INFERENCE_ENDPOINTS_DOC =
      "Inference workers (host:port, comma-separated; `sibyl worker`, or any Open Inference Protocol v2"
          + " server) used with inference.mode=pool. Empty: an in-process pool serving model.option.artifact.";

  public static final String INFERENCE_MODEL_CONFIG = "inference.model";
  private static final String INFERENCE_MODEL_DOC =
      "The model's name on the workers (their artifact directory's name). Empty: the name of the"
          + " model.option.artifact directory.";

  public static final String INFERENCE_MAX_BATCH_CONFIG = "inference.max-batch";
  private static final String INFERENCE_MAX_BATCH_DOC =
      "Due forecasts per pool request. A stream task sends what it has gathered when this many are due"
          + " or at the next flush (inference.flush-ms), whichever comes first. Each forecast is several"
          + " windows: the one past the end and those its split-conformal intervals are calibrated on.";

  public static final String INFERENCE_MAX_IN_FLIGHT_CONFIG = "inference.max-in-flight";
  private static final String INFERENCE_MAX_IN_FLIGHT_DOC =
      "Pool requests a stream task may have unanswered; at the bound the stream thread waits for the oldest"
          + " (at most inference.timeout-ms), which is the pipeline's back-pressure on a slow pool.";

  public static final String INFERENCE_TIMEOUT_CONFIG = "inference.timeout-ms";
  private static final String INFERENCE_TIMEOUT_DOC =
      "A pool request unanswered after this long counts as a pool failure: its forecasts come from"
          + " inference.fallback. On remote workers each attempt gets a third of it, so that up to two retries on"
          + " other workers fit in it.";

  public static final String INFERENCE_FLUSH_CONFIG = "inference.flush-ms";
  private static final String INFERENCE_FLUSH_DOC =
      "Wall-clock interval at which a stream task sends the forecasts it has gathered and forwards the"
          + " answers that came back (also done on every input record).";

  public static final String INFERENCE_FALLBACK_CONFIG = "inference.fallback";
  private static final String INFERENCE_FALLBACK_DOC =
      "A cheap forecaster family (seasonal-naive, holt-winters) that answers on the stream thread when the"
          + " pool is unavailable (down, overloaded, timed out); its forecasts are marked degraded. Empty: no"
          + " fallback, such forecasts go to the dead-letter topic (stage forecast).";

  public static final String INFERENCE_TLS_CA_CONFIG = "inference.tls.ca";
  private static final String INFERENCE_TLS_CA_DOC =
      "PEM file of the CA that signed the workers' certificates: set it (or inference.tls.cert) to reach"
          + " the workers over TLS. Empty: plaintext, unless a client certificate is set (then the JVM's"
          + " trust store).";

  public static final String INFERENCE_TLS_CERT_CONFIG = "inference.tls.cert";
  private static final String INFERENCE_TLS_CERT_DOC =
      "PEM certificate chain of this client, for workers that require mutual TLS; needs inference.tls.key.";

  public static final String INFERENCE_TLS_KEY_CONFIG = "inference.tls.key";
  private static final String INFERENCE_TLS_KEY_DOC = "Unencrypted PKCS#8 PEM key of inference.tls.cert.";

  public static final String METRICS_PORT_CONFIG = "metrics.port";
  private static final String METRICS_PORT_DOC =
      "Port of the pipeline's Prometheus endpoint (GET /metrics): pool requests in flight, batch sizes,"
          + " latency, errors and fallbacks. 0: no endpoint.";

  private static final ConfigDef DEFINITION =
      new ConfigDef()
          .define(TELEMETRY_TOPIC_CONFIG, Type.STRING, TELEMETRY_TOPIC_DEFAULT, Importance.HIGH, TELEMETRY_TOPIC_DOC)
          .define(FORECASTS_TOPIC_CONFIG, Type.STRING, FORECASTS_TOPIC_DEFAULT, Importance.HIGH, FORECASTS_TOPIC_DOC)
          .define(ANOMALIES_TOPIC_CONFIG, Type.STRING, ANOMALIES_TOPIC_DEFAULT, Importance.HIGH, ANOMALIES_TOPIC_DOC)
          .define(HEALTH_TOPIC_CONFIG, Type.STRING, HEALTH_TOPIC_DEFAULT, Importance.MEDIUM, HEALTH_TOPIC_DOC)
          .define(DEAD_LETTER_TOPIC_CONFIG, Type.STRING, DEAD_LETTER_TOPIC_DEFAULT, Importance.HIGH, DEAD_LETTER_TOPIC_DOC)
          .define(LOOKBACK_CONFIG, Type.INT, 256, Range.between(2, 100_000), Importance.HIGH, LOOKBACK_DOC)
          .define(HORIZON_CONFIG, Type.INT, 24, Range.between(1, 10_000), Importance.HIGH, HORIZON_DOC)
          .define(CADENCE_CONFIG, Type.INT, 12, Range.atLeast(1), Importance.HIGH, CADENCE_DOC)
          .define(MODEL_FAMILY_CONFIG, Type.STRING, "holt-winters", Importance.HIGH, MODEL_FAMILY_DOC)
          .define(MAX_GAP_STEPS_CONFIG, Type.INT, 10, Range.atLeast(1), Importance.MEDIUM, MAX_GAP_STEPS_DOC)
          .define(MAX_FUTURE_CONFIG, Type.LONG, 24L * 3600 * 1000, Range.atLeast(0), Importance.LOW, MAX_FUTURE_DOC)
          .define(MIN_SCORE_CONFIG, Type.DOUBLE, 0.5, Range.between(0.0, 1.0), Importance.MEDIUM, MIN_SCORE_DOC)
          .define(MAX_CACHED_SERIES_CONFIG, Type.INT, 10_000, Range.atLeast(1), Importance.LOW, MAX_CACHED_SERIES_DOC)
          .define(MAX_KEYED_SERIES_CONFIG, Type.INT, 1024, Range.atLeast(1), Importance.LOW, MAX_KEYED_SERIES_DOC)
          .define(ONLINE_INTERVAL_GAMMA_CONFIG, Type.DOUBLE, 0.05, Range.between(0.0, 1.0), Importance.LOW, ONLINE_INTERVAL_GAMMA_DOC)
          .define(WARMUP_POINTS_CONFIG, Type.INT, 72, Range.atLeast(0), Importance.MEDIUM, WARMUP_POINTS_DOC)
          .define(
              LIKELIHOOD_ALPHA_CONFIG,
              Type.DOUBLE,
              ExcursionLikelihood.DEFAULT_LIKELIHOOD_ALPHA,
              Range.between(0.0001, 0.5),
              Importance.LOW,
              LIKELIHOOD_ALPHA_DOC)
          .define(HEALTH_ARTIFACT_CONFIG, Type.STRING, "", Importance.MEDIUM, HEALTH_ARTIFACT_DOC)
          .define(HEALTH_ALERT_STATES_CONFIG, Type.INT, 2, Range.atLeast(1), Importance.LOW, HEALTH_ALERT_STATES_DOC)
          .define(HEALTH_MAX_CYCLES_CONFIG, Type.INT, 1000, Range.between(1, 1_000_000), Importance.LOW, HEALTH_MAX_CYCLES_DOC)
          .define(
              INFERENCE_MODE_CONFIG,
              Type.STRING,
              INFERENCE_MODE_DIRECT,
              ConfigDef.ValidString.in(INFERENCE_MODE_DIRECT, INFERENCE_MODE_POOL),
              Importance.MEDIUM,
              INFERENCE_MODE_DOC)
          .define(INFERENCE_ENDPOINTS_CONFIG, Type.LIST, "", Importance.MEDIUM, INFERENCE_ENDPOINTS_DOC)
          .define(INFERENCE_MODEL_CONFIG, Type.STRING, "", Importance.LOW, INFERENCE_MODEL_DOC)
          .define(INFERENCE_MAX_BATCH_CONFIG, Type.INT, 32, Range.between(1, 4096), Importance.LOW, INFERENCE_MAX_BATCH_DOC)
          .define(INFERENCE_MAX_IN_FLIGHT_CONFIG, Type.INT, 4, Range.between(1, 1024), Importance.LOW, INFERENCE_MAX_IN_FLIGHT_DOC)
          .define(INFERENCE_TIMEOUT_CONFIG, Type.LONG, 5000L, Range.atLeast(1), Importance.LOW, INFERENCE_TIMEOUT_DOC)
          .define(INFERENCE_FLUSH_CONFIG, Type.LONG, 10L, Range.between(1, 60_000), Importance.LOW, INFERENCE_FLUSH_DOC)
          .define(INFERENCE_FALLBACK_CONFIG, Type.STRING, "seasonal-naive", Importance.MEDIUM, INFERENCE_FALLBACK_DOC)
          .define(INFERENCE_TLS_CA_CONFIG, Type.STRING, "", Importance.LOW, INFERENCE_TLS_CA_DOC)
          .define(INFERENCE_TLS_CERT_CONFIG, Type.STRING, "", Importance.LOW, INFERENCE_TLS_CERT_DOC)
          .define(INFERENCE_TLS_KEY_CONFIG, Type.STRING, "", Importance.LOW, INFERENCE_TLS_KEY_DOC)
          .define(METRICS_PORT_CONFIG, Type.INT, 0, Range.between(0, 65_535), Importance.LOW, METRICS_PORT_DOC);

  /**
   * @param originals raw settings; keys this class does not define are ignored (they belong to
   *     Kafka or to other components)
   * @throws ConfigException when a value is invalid or two values contradict each other
   */
  public PipelineConfig(Map<?, ?> originals) {
    super(DEFINITION, originals, false);
    if (getInt(CADENCE_CONFIG) > getInt(HORIZON_CONFIG)) {
      throw new ConfigException(
          CADENCE_CONFIG + " (" + getInt(CADENCE_CONFIG) + ") must not exceed " + HORIZON_CONFIG + " ("
              + getInt(HORIZON_CONFIG) + "): observations between two forecasts would have no forecast to be checked against");
    }
    if (getString(INFERENCE_TLS_CERT_CONFIG).isBlank() != getString(INFERENCE_TLS_KEY_CONFIG).isBlank()) {
      throw new ConfigException(
          INFERENCE_TLS_CERT_CONFIG + " and " + INFERENCE_TLS_KEY_CONFIG + " go together: set both or neither");
    }
  }

  /** The definition of every pipeline key, for documentation. */
  public static ConfigDef configDef() {
    return new ConfigDef(DEFINITION);
  }

  /** The options passed to the forecaster: every {@code model.option.*} key, prefix removed. */
  public Map<String, Object> modelOptions() {
    return originalsWithPrefix(MODEL_OPTIONS_PREFIX);
  }
}

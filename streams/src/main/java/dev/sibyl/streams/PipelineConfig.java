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
          .define(HEALTH_MAX_CYCLES_CONFIG, Type.INT, 1000, Range.between(1, 1_000_000), Importance.LOW, HEALTH_MAX_CYCLES_DOC);

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

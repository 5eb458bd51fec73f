package dev.sibyl.streams.kafka;

import dev.sibyl.models.api.BatchedForecaster;
import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.JointForecaster;
import dev.sibyl.models.api.KeyedServing;
import dev.sibyl.models.api.MultivariateForecaster;
import dev.sibyl.models.api.Prognostic;
import dev.sibyl.models.api.WindowModel;
import dev.sibyl.schemas.AnomalyFlag;
import dev.sibyl.schemas.DeadLetter;
import dev.sibyl.schemas.Forecast;
import dev.sibyl.schemas.HealthEstimate;
import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.schemas.serde.AvroSerdes;
import dev.sibyl.streams.PipelineConfig;
import dev.sibyl.streams.core.HealthOperator;
import dev.sibyl.streams.core.KeyedSeriesOperator;
import dev.sibyl.streams.core.PointValidator;
import dev.sibyl.streams.core.SeriesOperator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The Kafka Streams topology of the forecasting pipeline:
 *
 * <pre>
 * telemetry (bytes) -> decode -> series [stores: series-points, -meta, -forecast] -> forecasts
 *                        |          |                          -> anomalies
 *                        +----------+-------------------------> dead letters
 * </pre>
 *
 * Input is read as bytes and decoded by a processor so that undecodable records reach the
 * dead-letter topic with their original bytes. The topology is keyed by source throughout: all
 * channels of a source share its partition, so the per-series store needs no repartition topic.
 *
 * <p>With a multivariate model (a {@link JointForecaster}, e.g. S-Mamba) or a costly
 * channel-independent one (a {@link BatchedForecaster}, e.g. Time-LLM) the series step is {@link
 * JointSeriesProcessor}, which forecasts the channels of a source in one model call; same name,
 * same stores, same outputs.
 *
 * <p>With a model that keeps per-series state ({@link KeyedServing}: AutoTimes, SMETimes with
 * {@code model.option.streaming=kv-cache}) the series step on the direct path is {@link
 * KeyedChannelStep}: each stream task keeps the series' KV caches, and the intervals are online
 * conformal half-widths kept in the series state; same name, same stores, same outputs. The pool
 * path serves such a model statelessly.
 *
 * <p>With a prognostic model, a second branch reads the same decoded points, keeps each unit's
 * history and writes health estimates (and health flags):
 *
 * <pre>
 * decode -> health [store: unit-history] -> health estimates, anomalies, dead letters
 * </pre>
 */
public final class ForecastTopology {

  /** Processor and store names: stable, because state and changelog topics are named after them. */
  public static final String SOURCE = "telemetry-source";

  public static final String DECODE_PROCESSOR = "decode";
  public static final String SERIES_PROCESSOR = "series";
  public static final String SERIES_POINTS_STORE = "series-points";
  public static final String SERIES_META_STORE = "series-meta";
  public static final String SERIES_FORECAST_STORE = "series-forecast";
  /** Forecasts sent to the inference pool and not yet answered (only with {@code inference.mode=pool}). */
  public static final String SERIES_PENDING_STORE = "series-pending";
  public static final String HEALTH_PROCESSOR = "health";
  public static final String UNIT_HISTORY_STORE = "unit-history";
  public static final String HEALTH_SINK = "health-sink";
  public static final String FORECAST_SINK = "forecast-sink";
  public static final String ANOMALY_SINK = "anomaly-sink";
  public static final String DEAD_LETTER_SINK = "dead-letter-sink";

  private ForecastTopology() {}

  /**
   * Builds the topology without the prognostics branch.
   *
   * @param config topics, window and cadence settings
   * @param forecaster the model every series uses
   * @param serdeConfigs settings of the Avro serdes (registry URL, ...); may be empty
   */
  public static Topology build(PipelineConfig config, Forecaster forecaster, Map<String, ?> serdeConfigs) {
    return build(config, forecaster, null, serdeConfigs);
  }

  /**
   * Builds the topology.
   *
   * @param config topics, window, cadence and health settings
   * @param forecaster the model every series uses
   * @param prognostic the model every unit uses, or null for no prognostics branch
   * @param serdeConfigs settings of the Avro serdes (registry URL, ...); may be empty
   * @throws IllegalArgumentException when {@code health.alert-states} does not fit the model
   */
  public static Topology build(
      PipelineConfig config, Forecaster forecaster, Prognostic prognostic, Map<String, ?> serdeConfigs) {
    return build(config, forecaster, prognostic, serdeConfigs, null);
  }

  /**
   * Builds the topology, with the series' forecasts sent to an inference pool when {@code pool} is
   * given ({@link PooledSeriesProcessor}, and a store of pending forecasts).
   *
   * @param config topics, window, cadence and health settings
   * @param forecaster the model every series uses (with a pool: the in-process twin of the pool's
   *     model, which decides when a series has enough history; it is not called)
   * @param prognostic the model every unit uses, or null for no prognostics branch
   * @param serdeConfigs settings of the Avro serdes (registry URL, ...); may be empty
   * @param pool the inference pool, or null to run the forecaster on the stream threads
   * @throws IllegalArgumentException when {@code health.alert-states} does not fit the model
   */
  public static Topology build(
      PipelineConfig config, Forecaster forecaster, Prognostic prognostic, Map<String, ?> serdeConfigs, InferencePool pool) {
    int lookback = config.getInt(PipelineConfig.LOOKBACK_CONFIG);
    SeriesOperator operator =
        new SeriesOperator(
            forecaster,
            config.getInt(PipelineConfig.HORIZON_CONFIG),
            config.getInt(PipelineConfig.CADENCE_CONFIG),
            config.getInt(PipelineConfig.MAX_GAP_STEPS_CONFIG),
            config.getInt(PipelineConfig.WARMUP_POINTS_CONFIG),
            config.getDouble(PipelineConfig.LIKELIHOOD_ALPHA_CONFIG));
    PointValidator validator = new PointValidator(config.getLong(PipelineConfig.MAX_FUTURE_CONFIG));
    double minScore = config.getDouble(PipelineConfig.MIN_SCORE_CONFIG);

    List<String> decodedTo =
        prognostic == null ? List.of(SERIES_PROCESSOR) : List.of(SERIES_PROCESSOR, HEALTH_PROCESSOR);
    Topology topology = new Topology();
    topology.addSource(
        SOURCE,
        new ByteArrayDeserializer(),
        new ByteArrayDeserializer(),
        config.getString(PipelineConfig.TELEMETRY_TOPIC_CONFIG));
    topology.addProcessor(
        DECODE_PROCESSOR,
        () -> new DecodeProcessor(AvroSerdes.forType(TelemetryPoint.class, serdeConfigs, false).deserializer(), validator, decodedTo),
        SOURCE);
    int maxCachedSeries = config.getInt(PipelineConfig.MAX_CACHED_SERIES_CONFIG);
    if (pool != null) {
      if (forecaster instanceof JointForecaster) {
        // the pool path sends one series per request: it would feed a multivariate model wrong windows
        throw new IllegalArgumentException(
            PipelineConfig.INFERENCE_MODE_CONFIG + "=pool serves channel-independent models; "
                + forecaster.family() + " reads the channels of a source together: use "
                + PipelineConfig.INFERENCE_MODE_CONFIG + "=direct");
      }
      topology.addProcessor(
          SERIES_PROCESSOR, () -> new PooledSeriesProcessor(operator, pool, lookback, maxCachedSeries, minScore), DECODE_PROCESSOR);
      addStore(topology, SERIES_PENDING_STORE, SERIES_PROCESSOR);
    } else if (forecaster instanceof KeyedServing serving) {
      // a model that keeps per-series state: each task its own keyed forecaster, online intervals
      checkWindow(serving.stateless(), lookback, config.getInt(PipelineConfig.HORIZON_CONFIG));
      KeyedSeriesOperator keyed =
          new KeyedSeriesOperator(operator.withOnlineIntervals(config.getDouble(PipelineConfig.ONLINE_INTERVAL_GAMMA_CONFIG)), serving);
      int maxKeyed = config.getInt(PipelineConfig.MAX_KEYED_SERIES_CONFIG);
      topology.addProcessor(
          SERIES_PROCESSOR, () -> new SeriesProcessor(keyed.operator(), () -> new KeyedChannelStep(keyed, maxKeyed), lookback, maxCachedSeries, minScore), DECODE_PROCESSOR);
    } else if (forecaster instanceof JointForecaster || forecaster instanceof BatchedForecaster) {
      // a multivariate model reads the channels of a source together, a costly one batches them
      checkWindow(forecaster, lookback, config.getInt(PipelineConfig.HORIZON_CONFIG));
      topology.addProcessor(
          SERIES_PROCESSOR, () -> new JointSeriesProcessor(forecaster, operator, lookback, maxCachedSeries, minScore), DECODE_PROCESSOR);
    } else {
      topology.addProcessor(
          SERIES_PROCESSOR, () -> new SeriesProcessor(operator, lookback, maxCachedSeries, minScore), DECODE_PROCESSOR);
    }
    // Caching collapses the repeated writes of a key (a series' meta record, one per point)
    // into one changelog record per commit. Keys are the UTF-8 bytes of the store keys, encoded
    // once per series by SeriesStateStore (the same bytes a String serde would write).
    for (String store : new String[] {SERIES_POINTS_STORE, SERIES_META_STORE, SERIES_FORECAST_STORE}) {
      addStore(topology, store, SERIES_PROCESSOR);
    }
    List<String> anomalyParents = new ArrayList<>(List.of(SERIES_PROCESSOR));
    List<String> deadLetterParents = new ArrayList<>(List.of(DECODE_PROCESSOR, SERIES_PROCESSOR));
    if (prognostic != null) {
      HealthOperator health;
      try {
        health = new HealthOperator(prognostic, config.getInt(PipelineConfig.HEALTH_ALERT_STATES_CONFIG));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(PipelineConfig.HEALTH_ALERT_STATES_CONFIG + ": " + e.getMessage(), e);
      }
      int maxCycles = config.getInt(PipelineConfig.HEALTH_MAX_CYCLES_CONFIG);
      int width = prognostic.inputColumns().size();
      topology.addProcessor(
          HEALTH_PROCESSOR, () -> new HealthProcessor(health, width, maxCycles, maxCachedSeries), DECODE_PROCESSOR);
      addStore(topology, UNIT_HISTORY_STORE, HEALTH_PROCESSOR);
      topology.addSink(
          HEALTH_SINK,
          config.getString(PipelineConfig.HEALTH_TOPIC_CONFIG),
          new StringSerializer(),
          valueSerializer(HealthEstimate.class, serdeConfigs),
          HEALTH_PROCESSOR);
      anomalyParents.add(HEALTH_PROCESSOR);
      deadLetterParents.add(HEALTH_PROCESSOR);
    }
    topology.addSink(
        FORECAST_SINK,
        config.getString(PipelineConfig.FORECASTS_TOPIC_CONFIG),
        new StringSerializer(),
        valueSerializer(Forecast.class, serdeConfigs),
        SERIES_PROCESSOR);
    topology.addSink(
        ANOMALY_SINK,
        config.getString(PipelineConfig.ANOMALIES_TOPIC_CONFIG),
        new StringSerializer(),
        valueSerializer(AnomalyFlag.class, serdeConfigs),
        anomalyParents.toArray(String[]::new));
    topology.addSink(
        DEAD_LETTER_SINK,
        config.getString(PipelineConfig.DEAD_LETTER_TOPIC_CONFIG),
        new StringSerializer(),
        valueSerializer(DeadLetter.class, serdeConfigs),
        deadLetterParents.toArray(String[]::new));
    return topology;
  }

  /** A window too short for the model, or a horizon it does not serve, would fail every point: say so at start. */
  private static void checkWindow(Forecaster forecaster, int lookback, int horizon) {
    if (lookback < forecaster.minHistory()) {
      throw new IllegalArgumentException(
          PipelineConfig.LOOKBACK_CONFIG + " is " + lookback + " but " + forecaster.family() + " needs windows of at least "
              + forecaster.minHistory() + " points (its lookback + 1; add calibration.size + forecast.horizon for"
              + " calibrated intervals)");
    }
    WindowModel model =
        forecaster instanceof MultivariateForecaster m ? m.model() : forecaster instanceof BatchedForecaster b ? b.model() : null;
    if (model != null && !model.autoregressive() && horizon > model.horizon()) {
      throw new IllegalArgumentException(
          PipelineConfig.HORIZON_CONFIG + " is " + horizon + " but the " + model.family() + " artifact was trained for horizon "
              + model.horizon() + " and does not roll forward");
    }
  }

  /** A persistent, cached byte store of one processor. */
  private static void addStore(Topology topology, String name, String processor) {
    topology.addStateStore(
        Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.Bytes(), Serdes.ByteArray())
            .withCachingEnabled(),
        processor);
  }

  /** A serializer for one output type, typed as Object because processors forward several types. */
  @SuppressWarnings("unchecked")
  private static <T extends org.apache.avro.specific.SpecificRecord> Serializer<Object> valueSerializer(
      Class<T> type, Map<String, ?> serdeConfigs) {
    Serializer<T> serializer = AvroSerdes.forType(type, serdeConfigs, false).serializer();
    return (topic, value) -> serializer.serialize(topic, (T) value);
  }
}

package dev.sibyl.streams.flink;

import dev.sibyl.models.api.Prognostic;
import dev.sibyl.streams.PipelineConfig;
import dev.sibyl.streams.core.HealthOperator;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The Flink job of the forecasting pipeline: the same stages as the Kafka Streams topology, from
 * the same operator core, so that both engines give the same forecasts and flags.
 *
 * <pre>
 * telemetry --source--> decode --watermarks--> keyBy(source) series --> async inference (ordered)
 *              (bytes)     |                            |                    |
 *                          |                            |      keyBy(source) scoring --> forecasts, anomalies
 *                          +----------------------------+--------------------+---------> dead letters
 * </pre>
 *
 * One exactly-once {@link KafkaSink} writes every output, each record naming its topic (see {@link
 * OutputRecord}); the Kafka transactions commit when a checkpoint completes, so read the outputs
 * with {@code isolation.level=read_committed}.
 *
 * <p>Every operator has a stable uid ({@code UID_*}): savepoints map state to operators by uid,
 * so a job upgraded with the same uids starts from the old job's savepoint. Never change them.
 *
 * <p>With {@code health.artifact} set, a prognostics branch reads the same points, keyed by source,
 * and writes health estimates and health flags, as the Streams topology's does:
 *
 * <pre>
 * watermarks --keyBy(source)--> health --> health estimates, anomalies, dead letters
 * </pre>
 */
public final class FlinkForecastJob {

  /** Operator uids; part of every savepoint. */
  public static final String UID_SOURCE = "telemetry-source";

  public static final String UID_DECODE = "decode";
  public static final String UID_WATERMARKS = "watermarks";
  public static final String UID_SERIES = "series";
  public static final String UID_INFERENCE = "inference";
  public static final String UID_SCORING = "scoring";
  public static final String UID_HEALTH = "health";
  public static final String UID_SINK = "kafka-sink";

  /** Default job name. */
  public static final String JOB_NAME = "sibyl-forecast";

  private final PipelineConfig pipeline;
  private final FlinkJobConfig flink;
  private final Map<String, String> kafka;
  private final Map<String, String> serdeConfigs;
  private final boolean bounded;
  private final MapFunction<RawRecord, RawRecord> sourceTap;
  private final SeriesSettings series;
  private final JobTopics topics;

  private FlinkForecastJob(Builder b) {
    this.pipeline = b.pipeline;
    this.flink = b.flink;
    this.kafka = b.kafka;
    this.serdeConfigs = b.serdeConfigs;
    this.bounded = b.bounded;
    this.sourceTap = b.sourceTap;
    this.topics = JobTopics.of(pipeline);
    this.series = SeriesSettings.of(pipeline, b.model);
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** The topics the job reads and writes. */
  public JobTopics topics() {
    return topics;
  }

  /**
   * The environment settings the job needs: checkpointing (exactly once), checkpoint storage and
   * parallelism. Applied by {@link #addTo}; exposed so that a caller creating a local environment
   * can pass them at creation.
   */
  public Configuration environmentConfiguration() {
    Configuration conf = new Configuration();
    conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofMillis(flink.getLong(FlinkJobConfig.CHECKPOINT_INTERVAL_CONFIG)));
    String dir = flink.getString(FlinkJobConfig.CHECKPOINT_DIR_CONFIG).trim();
    if (!dir.isEmpty()) {
      conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
      conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir);
    }
    return conf;
  }

  /**
   * Adds the job's operators to an environment and configures its checkpointing and parallelism.
   *
   * @param env the environment; the job is run by {@code env.execute(FlinkForecastJob.JOB_NAME)}
   */
  public void addTo(StreamExecutionEnvironment env) {
    env.configure(environmentConfiguration());
    env.setParallelism(flink.getInt(FlinkJobConfig.PARALLELISM_CONFIG));
    // Every record type of the job is immutable once emitted (no function changes its input or an
    // array it received), so chained operators may pass references rather than deep copies.
    env.getConfig().enableObjectReuse();
    long ttl = flink.getLong(FlinkJobConfig.STATE_TTL_CONFIG);
    OutputEncoder encoder = new OutputEncoder(topics, serdeConfigs);

    // 1. Source: raw bytes, so that nothing is lost before decoding.
    DataStream<RawRecord> raw = env.fromSource(source(), WatermarkStrategy.noWatermarks(), "telemetry").uid(UID_SOURCE);
    if (sourceTap != null) {
      raw = raw.map(sourceTap).returns(RawRecord.class).uid("source-tap").name("source-tap");
    }
    // 2. Decode and validate; refusals to the dead letters.
    SingleOutputStreamOperator<Point> decoded =
        raw.process(new DecodeFunction(serdeConfigs, series.maxFutureMillis(), encoder)).uid(UID_DECODE).name("decode");
    // 3. Event time from the points, bounded out-of-orderness.
    WatermarkStrategy<Point> watermarks =
        WatermarkStrategy.<Point>forBoundedOutOfOrderness(Duration.ofMillis(flink.getLong(FlinkJobConfig.OUT_OF_ORDERNESS_CONFIG)))
            .withTimestampAssigner((point, recordTimestamp) -> point.timestamp());
    long idle = flink.getLong(FlinkJobConfig.IDLENESS_CONFIG);
    if (idle > 0) {
      watermarks = watermarks.withIdleness(Duration.ofMillis(idle));
    }
    DataStream<Point> points = decoded.assignTimestampsAndWatermarks(watermarks).uid(UID_WATERMARKS).name("watermarks");
    // 4. Per-series windows, keyed by source: admit, and requests when the cadence is due.
    SingleOutputStreamOperator<SeriesEvent> events =
        points.keyBy(Point::source, Types.STRING).process(new SeriesFunction(series, ttl, encoder)).uid(UID_SERIES).name("series");
    // 5. Inference, asynchronous and ordered, with capacity, timeout and fallback.
    InferenceSettings inference =
        new InferenceSettings(
            flink.inferenceMode(),
            flink.getList(FlinkJobConfig.INFERENCE_ENDPOINTS_CONFIG),
            flink.getString(FlinkJobConfig.INFERENCE_MODEL_CONFIG),
            flink.getInt(FlinkJobConfig.INFERENCE_THREADS_CONFIG),
            flink.getLong(FlinkJobConfig.INFERENCE_CALL_TIMEOUT_CONFIG));
    DataStream<SeriesEvent> answered =
        AsyncDataStream.orderedWait(
                events,
                new InferenceFunction(series.model(), inference),
                flink.getLong(FlinkJobConfig.ASYNC_TIMEOUT_CONFIG),
                TimeUnit.MILLISECONDS,
                flink.getInt(FlinkJobConfig.ASYNC_CAPACITY_CONFIG))
            .uid(UID_INFERENCE)
            .name("inference");
    // 6. Scoring against the latest forecast, flags and forecasts out.
    DataStream<OutputRecord> outputs =
        answered.keyBy(SeriesEvent::source, Types.STRING).process(new ScoringFunction(series, ttl, encoder)).uid(UID_SCORING).name("scoring");
    outputs = outputs.union(decoded.getSideOutput(DecodeFunction.DEAD_LETTERS), events.getSideOutput(DecodeFunction.DEAD_LETTERS));
    // 7. Prognostics, when a health model is configured.
    String healthArtifact = pipeline.getString(PipelineConfig.HEALTH_ARTIFACT_CONFIG).trim();
    if (!healthArtifact.isEmpty()) {
      HealthFunction health =
          new HealthFunction(
              PrognosticLoader.artifact(healthArtifact),
              pipeline.getInt(PipelineConfig.HEALTH_ALERT_STATES_CONFIG),
              pipeline.getInt(PipelineConfig.HEALTH_MAX_CYCLES_CONFIG),
              ttl,
              encoder);
      outputs = outputs.union(points.keyBy(Point::source, Types.STRING).process(health).uid(UID_HEALTH).name("health"));
    }
    // 8. One exactly-once sink for every output topic.
    outputs
        .sinkTo(sink())
        .uid(UID_SINK)
        .name("kafka-sink");
  }

  private KafkaSource<RawRecord> source() {
    Properties props = new Properties();
    props.putAll(kafka);
    KafkaSourceBuilder<RawRecord> builder =
        KafkaSource.<RawRecord>builder()
            .setProperties(props)
            .setBootstrapServers(kafka.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG))
            .setTopics(topics.telemetry())
            .setGroupId(flink.getString(FlinkJobConfig.GROUP_ID_CONFIG))
            .setStartingOffsets(OffsetsInitializer.earliest())
            .setDeserializer(new RawRecordSchema());
    if (bounded) {
      builder.setBounded(OffsetsInitializer.latest());
    }
    return builder.build();
  }

  private KafkaSink<OutputRecord> sink() {
    Properties props = new Properties();
    props.putAll(kafka);
    props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Long.toString(flink.getLong(FlinkJobConfig.TRANSACTION_TIMEOUT_CONFIG)));
    return KafkaSink.<OutputRecord>builder()
        .setKafkaProducerConfig(props)
        .setBootstrapServers(kafka.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG))
        .setRecordSerializer(new OutputSerializationSchema())
        .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
        .setTransactionalIdPrefix(flink.getString(FlinkJobConfig.TRANSACTIONAL_ID_PREFIX_CONFIG))
        .build();
  }

  /** Builds a {@link FlinkForecastJob}; {@link #build()} checks the settings. */
  public static final class Builder {

    private Map<String, ?> settings;
    private Map<String, String> kafka;
    private boolean bounded;
    private MapFunction<RawRecord, RawRecord> sourceTap;
    private PipelineConfig pipeline;
    private FlinkJobConfig flink;
    private Map<String, String> serdeConfigs;
    private ModelSpec model;

    private Builder() {}

    /**
     * The settings: pipeline keys ({@link PipelineConfig}), {@code flink.*} keys ({@link
     * FlinkJobConfig}) and Avro serde keys, in one map as the application merges them.
     */
    public Builder setSettings(Map<String, ?> settings) {
      this.settings = Objects.requireNonNull(settings, "settings");
      return this;
    }

    /** The Kafka client properties of source and sink; must hold {@code bootstrap.servers}. */
    public Builder setKafkaProperties(Map<String, ?> kafka) {
      Map<String, String> copy = new HashMap<>();
      Objects.requireNonNull(kafka, "kafka").forEach((k, v) -> copy.put(k, String.valueOf(v)));
      this.kafka = copy;
      return this;
    }

    /**
     * Stops at the telemetry offsets that are the latest when the job starts, rather than running
     * until cancelled (benchmarks and tests); default false.
     */
    public Builder optBounded(boolean bounded) {
      this.bounded = bounded;
      return this;
    }

    /**
     * A function every raw record passes through right after the source (tests inject failures
     * with it); default none.
     */
    public Builder optSourceTap(MapFunction<RawRecord, RawRecord> tap) {
      this.sourceTap = tap;
      return this;
    }

    /**
     * Checks the settings and builds the forecaster once on the client, so that a bad setting
     * fails here with one line rather than in a task manager.
     *
     * @throws IllegalStateException when a required setter was not called
     * @throws org.apache.kafka.common.config.ConfigException naming a bad setting
     * @throws IllegalArgumentException naming a bad {@code model.*} setting
     */
    public FlinkForecastJob build() {
      sanityCheck();
      pipeline = new PipelineConfig(settings);
      flink = new FlinkJobConfig(settings);
      serdeConfigs = new HashMap<>();
      settings.forEach((k, v) -> serdeConfigs.put(k, String.valueOf(v)));
      model = ModelSpec.of(pipeline);
      checkHealthModel(pipeline);
      if (flink.inferenceMode() != InferenceMode.DIRECT && model.artifact() == null) {
        throw new IllegalArgumentException(
            FlinkJobConfig.INFERENCE_MODE_CONFIG + "=" + flink.inferenceMode().configName() + " needs a trained artifact in model.option.artifact");
      }
      return new FlinkForecastJob(this);
    }

    /** Loads the health model once, so that a bad {@code health.*} setting fails here. */
    private static void checkHealthModel(PipelineConfig pipeline) {
      String artifact = pipeline.getString(PipelineConfig.HEALTH_ARTIFACT_CONFIG).trim();
      if (artifact.isEmpty()) {
        return;
      }
      Prognostic prognostic;
      try {
        prognostic = PrognosticLoader.artifact(artifact).load();
      } catch (Exception e) {
        throw new IllegalArgumentException(PipelineConfig.HEALTH_ARTIFACT_CONFIG + ": " + e.getMessage(), e);
      }
      try {
        new HealthOperator(prognostic, pipeline.getInt(PipelineConfig.HEALTH_ALERT_STATES_CONFIG));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(PipelineConfig.HEALTH_ALERT_STATES_CONFIG + ": " + e.getMessage(), e);
      }
    }

    private void sanityCheck() {
      if (settings == null) {
        throw new IllegalStateException("settings are required: call setSettings");
      }
      if (kafka == null || kafka.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG) == null) {
        throw new IllegalStateException("Kafka properties with bootstrap.servers are required: call setKafkaProperties");
      }
    }
  }
}

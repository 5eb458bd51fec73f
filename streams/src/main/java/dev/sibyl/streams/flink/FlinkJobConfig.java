package dev.sibyl.streams.flink;

import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * The settings of the Flink job that the Kafka Streams pipeline does not have, declared once with
 * their documentation, default and validator. Topics, window, cadence, model and anomaly settings
 * are the pipeline's ({@link dev.sibyl.streams.PipelineConfig}), shared by both engines.
 */
public final class FlinkJobConfig extends AbstractConfig {

  public static final String PARALLELISM_CONFIG = "flink.parallelism";
  private static final String PARALLELISM_DOC =
      "Parallelism of every operator of the job. More than the telemetry topic's partitions leaves source instances idle.";

  public static final String CHECKPOINT_INTERVAL_CONFIG = "flink.checkpoint.interval-ms";
  private static final String CHECKPOINT_INTERVAL_DOC =
      "Checkpoint interval. Outputs are committed to Kafka when a checkpoint completes, so this is also the"
          + " latency of the results for read_committed consumers.";

  public static final String CHECKPOINT_DIR_CONFIG = "flink.checkpoint.dir";
  private static final String CHECKPOINT_DIR_DOC =
      "Checkpoint storage URI (file:///..., s3://...). Empty: the job manager's memory, which survives task"
          + " failures but not the loss of the job manager; set it on a real cluster.";

  public static final String OUT_OF_ORDERNESS_CONFIG = "flink.watermark.out-of-orderness-ms";
  private static final String OUT_OF_ORDERNESS_DOC =
      "Bound on how far event time may go backwards across the telemetry of one source partition; the watermark trails the newest"
          + " timestamp by this much.";

  public static final String IDLENESS_CONFIG = "flink.watermark.idle-ms";
  private static final String IDLENESS_DOC =
      "A source partition without records for this long stops holding the watermark back; 0 never marks a partition idle.";

  public static final String STATE_TTL_CONFIG = "flink.state.ttl-ms";
  private static final String STATE_TTL_DOC =
      "A unit whose series are neither written nor read for this long is dropped from the job's state (a"
          + " series that comes back starts afresh); 0 keeps state forever.";

  public static final String ASYNC_CAPACITY_CONFIG = "flink.inference.capacity";
  private static final String ASYNC_CAPACITY_DOC =
      "Events in flight in the asynchronous inference operator per parallel instance; when full, the operator"
          + " back-pressures the source.";

  public static final String ASYNC_TIMEOUT_CONFIG = "flink.inference.timeout-ms";
  private static final String ASYNC_TIMEOUT_DOC =
      "Time a forecast request may take in the inference operator; past it the local model answers and the forecast is marked degraded.";

  public static final String INFERENCE_THREADS_CONFIG = "flink.inference.threads";
  private static final String INFERENCE_THREADS_DOC = "Threads that run the model (or wait for the pool) per parallel instance.";

  public static final String INFERENCE_MODE_CONFIG = "flink.inference.mode";
  private static final String INFERENCE_MODE_DOC =
      "Where the model runs: direct (the forecaster in the task manager), in-process (a worker pool in the task"
          + " manager serving model.option.artifact), remote (the workers of flink.inference.endpoints serving it).";

  public static final String INFERENCE_ENDPOINTS_CONFIG = "flink.inference.endpoints";
  private static final String INFERENCE_ENDPOINTS_DOC = "host:port of each inference worker (remote mode).";

  public static final String INFERENCE_MODEL_CONFIG = "flink.inference.model";
  private static final String INFERENCE_MODEL_DOC =
      "The model's name on the workers; empty: the name of the artifact directory, as `sibyl worker` serves it.";

  public static final String INFERENCE_CALL_TIMEOUT_CONFIG = "flink.inference.call-timeout-ms";
  private static final String INFERENCE_CALL_TIMEOUT_DOC =
      "Deadline of one call to the pool; a call past it counts as the pool being unavailable and the local model answers.";

  public static final String TRANSACTIONAL_ID_PREFIX_CONFIG = "flink.sink.transactional-id-prefix";
  private static final String TRANSACTIONAL_ID_PREFIX_DOC =
      "Prefix of the Kafka transactional ids of the exactly-once sink; unique per job on a cluster.";

  public static final String TRANSACTION_TIMEOUT_CONFIG = "flink.sink.transaction-timeout-ms";
  private static final String TRANSACTION_TIMEOUT_DOC =
      "transaction.timeout.ms of the sink's producers: above the checkpoint interval, below the broker's"
          + " transaction.max.timeout.ms (15 min by default).";

  public static final String GROUP_ID_CONFIG = "flink.source.group-id";
  private static final String GROUP_ID_DOC =
      "Consumer group of the Kafka source (offsets live in the checkpoints; the group only reports progress).";

  private static final ConfigDef DEFINITION =
      new ConfigDef()
          .define(PARALLELISM_CONFIG, Type.INT, 1, Range.between(1, 10_000), Importance.HIGH, PARALLELISM_DOC)
          .define(CHECKPOINT_INTERVAL_CONFIG, Type.LONG, 5_000L, Range.atLeast(10), Importance.HIGH, CHECKPOINT_INTERVAL_DOC)
          .define(CHECKPOINT_DIR_CONFIG, Type.STRING, "", Importance.HIGH, CHECKPOINT_DIR_DOC)
          .define(OUT_OF_ORDERNESS_CONFIG, Type.LONG, 5_000L, Range.atLeast(0), Importance.MEDIUM, OUT_OF_ORDERNESS_DOC)
          .define(IDLENESS_CONFIG, Type.LONG, 30_000L, Range.atLeast(0), Importance.LOW, IDLENESS_DOC)
          .define(STATE_TTL_CONFIG, Type.LONG, 7L * 24 * 3600 * 1000, Range.atLeast(0), Importance.MEDIUM, STATE_TTL_DOC)
          .define(ASYNC_CAPACITY_CONFIG, Type.INT, 256, Range.between(1, 1_000_000), Importance.MEDIUM, ASYNC_CAPACITY_DOC)
          .define(ASYNC_TIMEOUT_CONFIG, Type.LONG, 30_000L, Range.atLeast(1), Importance.MEDIUM, ASYNC_TIMEOUT_DOC)
          .define(INFERENCE_THREADS_CONFIG, Type.INT, 2, Range.between(1, 1024), Importance.MEDIUM, INFERENCE_THREADS_DOC)
          .define(
              INFERENCE_MODE_CONFIG,
              Type.STRING,
              InferenceMode.DIRECT.configName(),
              ConfigDef.ValidString.in("direct", "in-process", "remote"),
              Importance.HIGH,
              INFERENCE_MODE_DOC)
          .define(INFERENCE_ENDPOINTS_CONFIG, Type.LIST, "", Importance.HIGH, INFERENCE_ENDPOINTS_DOC)
          .define(INFERENCE_MODEL_CONFIG, Type.STRING, "", Importance.MEDIUM, INFERENCE_MODEL_DOC)
          .define(INFERENCE_CALL_TIMEOUT_CONFIG, Type.LONG, 2_000L, Range.atLeast(1), Importance.MEDIUM, INFERENCE_CALL_TIMEOUT_DOC)
          .define(TRANSACTIONAL_ID_PREFIX_CONFIG, Type.STRING, "sibyl-flink", Importance.MEDIUM, TRANSACTIONAL_ID_PREFIX_DOC)
          .define(TRANSACTION_TIMEOUT_CONFIG, Type.LONG, 60_000L, Range.atLeast(1_000), Importance.LOW, TRANSACTION_TIMEOUT_DOC)
          .define(GROUP_ID_CONFIG, Type.STRING, "sibyl-flink", Importance.LOW, GROUP_ID_DOC);

  /**
   * @param originals raw settings; keys this class does not define are ignored
   * @throws ConfigException when a value is invalid or two values contradict each other
   */
  public FlinkJobConfig(Map<?, ?> originals) {
    super(DEFINITION, originals, false);
    InferenceMode mode = inferenceMode();
    List<String> endpoints = getList(INFERENCE_ENDPOINTS_CONFIG);
    if (mode == InferenceMode.REMOTE && endpoints.isEmpty()) {
      throw new ConfigException(INFERENCE_MODE_CONFIG + "=remote needs at least one worker in " + INFERENCE_ENDPOINTS_CONFIG);
    }
    for (String endpoint : endpoints) {
      int colon = endpoint.lastIndexOf(':');
      if (colon < 1 || !endpoint.substring(colon + 1).matches("\\d{1,5}")) {
        throw new ConfigException(INFERENCE_ENDPOINTS_CONFIG, endpoint, "each worker must be host:port");
      }
    }
    if (getLong(TRANSACTION_TIMEOUT_CONFIG) <= getLong(CHECKPOINT_INTERVAL_CONFIG)) {
      throw new ConfigException(
          TRANSACTION_TIMEOUT_CONFIG + " (" + getLong(TRANSACTION_TIMEOUT_CONFIG) + ") must exceed " + CHECKPOINT_INTERVAL_CONFIG
              + " (" + getLong(CHECKPOINT_INTERVAL_CONFIG) + "): a transaction stays open from one checkpoint to the next");
    }
  }

  /** The definition of every key, for documentation. */
  public static ConfigDef configDef() {
    return new ConfigDef(DEFINITION);
  }

  /** {@value #INFERENCE_MODE_CONFIG}, parsed. */
  public InferenceMode inferenceMode() {
    return InferenceMode.parse(getString(INFERENCE_MODE_CONFIG));
  }
}

package dev.sibyl.app.bench;

import dev.sibyl.models.api.ForecasterRegistry;
import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.schemas.serde.AvroSerdes;
import dev.sibyl.streams.PipelineConfig;
import dev.sibyl.streams.flink.FlinkForecastJob;
import dev.sibyl.streams.flink.FlinkJobConfig;
import dev.sibyl.streams.flink.RawRecord;
import dev.sibyl.streams.kafka.ForecastPipeline;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The Flink job beside the Kafka Streams pipeline on the same input, in one run and on one broker.
 *
 * <ol>
 *   <li>The same pre-serialised records are written once to an input topic.
 *   <li><b>Streams:</b> the Kafka Streams pipeline (exactly-once, the model) consumes them; untimed
 *       until its committed input offsets pass the warm-up records, then timed until they reach
 *       the end.
 *   <li><b>Flink:</b> the Flink job (exactly-once, the same model and settings) on an in-process
 *       MiniCluster, bounded at the end of the input; untimed until the warm-up records have left
 *       its source, then timed until the job has finished, its last checkpoint and Kafka
 *       transaction committed.
 * </ol>
 *
 * Both write their forecasts to their own topics; the committed counts are reported too, and they
 * must be equal (the same records through the same operator core).
 */
public final class FlinkBench {

  /**
   * What to measure.
   *
   * @param points records in the timed part
   * @param warmupPoints records processed before the timing starts
   * @param sources distinct sources (keys)
   * @param cadence forecast every this many points of a series
   * @param partitions partitions of the bench topics
   * @param parallelism parallelism of the Flink job
   * @param model forecaster family
   */
  public record Options(int points, int warmupPoints, int sources, int cadence, int partitions, int parallelism, String model) {}

  /**
   * The figures, as printed in the final JSON line.
   *
   * @param flinkPointsPerSecond records per second through the Flink job
   * @param streamsPointsPerSecond records per second through the Streams pipeline
   * @param flinkForecasts forecasts the Flink job committed
   * @param streamsForecasts forecasts the Streams pipeline committed
   */
  public record Result(Options options, double flinkPointsPerSecond, double streamsPointsPerSecond, long flinkForecasts, long streamsForecasts) {

    /** Flink over Streams throughput. */
    public double ratio() {
      return flinkPointsPerSecond / streamsPointsPerSecond;
    }

    /** One JSON line; field names are stable (scripts read them). */
    public String toJson() {
      return String.format(
          Locale.ROOT,
          "{\"bench\":\"flink\",\"model\":\"%s\",\"points\":%d,\"warmup_points\":%d,\"sources\":%d,\"cadence\":%d,\"partitions\":%d,"
              + "\"parallelism\":%d,\"flink_points_per_s\":%.0f,\"streams_points_per_s\":%.0f,\"ratio_flink_to_streams\":%.3f,"
              + "\"flink_forecasts\":%d,\"streams_forecasts\":%d}",
          options.model(), options.points(), options.warmupPoints(), options.sources(), options.cadence(), options.partitions(),
          options.parallelism(), flinkPointsPerSecond, streamsPointsPerSecond, ratio(), flinkForecasts, streamsForecasts);
    }
  }

  private static final Duration PHASE_TIMEOUT = Duration.ofMinutes(10);

  private final Map<String, Object> kafka;
  private final Consumer<String> progress;
  private final String run = Long.toString(System.currentTimeMillis(), 36);

  /**
   * @param kafkaProperties client properties (bootstrap servers, security)
   * @param progress receives one human-readable line per step
   */
  public FlinkBench(Map<String, Object> kafkaProperties, Consumer<String> progress) {
    this.kafka = Map.copyOf(kafkaProperties);
    this.progress = progress;
  }

  /** Runs both engines over the same records and returns the figures. */
  public Result run(Options options) throws Exception {
    String input = "bench-" + run + "-telemetry";
    PipelineConfig streamsConfig = new PipelineConfig(settings(options, input, "bench-" + run + "-streams"));
    Map<String, String> flinkSettings = settings(options, input, "bench-" + run + "-flink");
    flinkSettings.put(FlinkJobConfig.PARALLELISM_CONFIG, Integer.toString(options.parallelism()));
    flinkSettings.put(FlinkJobConfig.CHECKPOINT_INTERVAL_CONFIG, "1000");
    flinkSettings.put(FlinkJobConfig.TRANSACTIONAL_ID_PREFIX_CONFIG, "bench-" + run);
    flinkSettings.put(FlinkJobConfig.GROUP_ID_CONFIG, "bench-" + run + "-flink");
    PipelineConfig flinkConfig = new PipelineConfig(flinkSettings);
    try (Admin admin = Admin.create(kafka)) {
      ForecastPipeline.ensureTopics(admin, streamsConfig, options.partitions(), (short) 1);
      ForecastPipeline.ensureTopics(admin, flinkConfig, options.partitions(), (short) 1);
    }
    int total = options.warmupPoints() + options.points();
    long produceStart = System.nanoTime();
    produce(input, options, total);
    progress.accept(String.format(Locale.ROOT, "wrote %d records in %.1f s", total, seconds(produceStart)));

    double streams = streams(streamsConfig, options, input, total);
    long streamsForecasts = committedCount(streamsConfig.getString(PipelineConfig.FORECASTS_TOPIC_CONFIG), options.partitions());
    progress.accept(String.format(Locale.ROOT, "streams: %.0f records/s, %d forecasts", streams, streamsForecasts));

    double flink = flink(flinkSettings, options, total);
    long flinkForecasts = committedCount(flinkConfig.getString(PipelineConfig.FORECASTS_TOPIC_CONFIG), options.partitions());
    progress.accept(String.format(Locale.ROOT, "flink: %.0f records/s, %d forecasts (ratio to streams %.2f)", flink, flinkForecasts, flink / streams));
    return new Result(options, flink, streams, flinkForecasts, streamsForecasts);
  }

  private static Map<String, String> settings(Options options, String input, String prefix) {
    Map<String, String> settings = new HashMap<>();
    settings.put(PipelineConfig.TELEMETRY_TOPIC_CONFIG, input);
    settings.put(PipelineConfig.FORECASTS_TOPIC_CONFIG, prefix + "-forecasts");
    settings.put(PipelineConfig.ANOMALIES_TOPIC_CONFIG, prefix + "-anomalies");
    settings.put(PipelineConfig.HEALTH_TOPIC_CONFIG, prefix + "-health");
    settings.put(PipelineConfig.DEAD_LETTER_TOPIC_CONFIG, prefix + "-dead-letters");
    settings.put(PipelineConfig.CADENCE_CONFIG, Integer.toString(options.cadence()));
    settings.put(PipelineConfig.HORIZON_CONFIG, Integer.toString(Math.max(24, options.cadence())));
    settings.put(PipelineConfig.MODEL_FAMILY_CONFIG, options.model());
    return settings;
  }

  /** The Streams pipeline, timed by its committed input offsets. */
  private double streams(PipelineConfig config, Options options, String input, int total) throws Exception {
    String applicationId = "bench-" + run + "-streams";
    Properties props = ForecastPipeline.streamsProperties(kafka);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.STATE_DIR_CONFIG, System.getProperty("java.io.tmpdir") + "/sibyl-" + applicationId);
    try (ForecastPipeline pipeline = ForecastPipeline.start(config, ForecasterRegistry.create(options.model(), Map.of()), props, Map.of())) {
      pipeline.awaitRunning(Duration.ofMinutes(2));
      awaitCommitted(applicationId, input, options.warmupPoints());
      long start = System.nanoTime();
      long from = committed(applicationId, input);
      awaitCommitted(applicationId, input, total);
      if (pipeline.state() != KafkaStreams.State.RUNNING) {
        throw new IllegalStateException("the Streams pipeline stopped: state " + pipeline.state());
      }
      return (total - from) / seconds(start);
    }
  }

  /** Counts records that have left the Flink job's source, and when the warm-up ended. */
  static final class Probe implements MapFunction<RawRecord, RawRecord> {
    private static final long serialVersionUID = 1L;
    // Static: the MiniCluster runs in this JVM, and each parallel instance counts into the same total.
    static final AtomicLong SEEN = new AtomicLong();
    static final AtomicLong WARM_AT_NANOS = new AtomicLong();
    private final long warmup;

    Probe(long warmup) {
      this.warmup = warmup;
    }

    @Override
    public RawRecord map(RawRecord record) {
      if (SEEN.incrementAndGet() == warmup) {
        WARM_AT_NANOS.set(System.nanoTime());
      }
      return record;
    }
  }

  /** The Flink job, bounded at the end of the input, timed from the end of the warm-up to its finish. */
  private double flink(Map<String, String> settings, Options options, int total) throws Exception {
    Probe.SEEN.set(0);
    Probe.WARM_AT_NANOS.set(0);
    FlinkForecastJob job =
        FlinkForecastJob.builder().setSettings(settings).setKafkaProperties(kafka).optBounded(true).optSourceTap(new Probe(Math.max(1, options.warmupPoints()))).build();
    Configuration conf = job.environmentConfiguration();
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(options.parallelism(), conf);
    job.addTo(env);
    long start = System.nanoTime();
    env.execute(FlinkForecastJob.JOB_NAME);
    long end = System.nanoTime();
    if (Probe.SEEN.get() < total) {
      throw new IllegalStateException("the Flink job read " + Probe.SEEN.get() + " of " + total + " records");
    }
    long warmAt = options.warmupPoints() == 0 ? start : Probe.WARM_AT_NANOS.get();
    return (total - Math.max(0, options.warmupPoints())) / ((end - warmAt) / 1e9);
  }

  /** Serialised points: sources round-robin, one point a minute, daily sine plus noise (as in {@link PipelineBench}). */
  private void produce(String topic, Options options, int count) {
    Serializer<TelemetryPoint> serializer = AvroSerdes.forType(TelemetryPoint.class, Map.of(), false).serializer();
    Properties props = new Properties();
    props.putAll(kafka);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
    Random random = new Random(42);
    Instant start = Instant.parse("2020-01-01T00:00:00Z");
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      for (int i = 0; i < count; i++) {
        String source = "bench-" + (i % options.sources());
        int step = i / options.sources();
        double value = 20 + 5 * Math.sin(2 * Math.PI * step / 24.0) + random.nextGaussian() * 0.5;
        TelemetryPoint point = new TelemetryPoint(source, start.plusSeconds(60L * step), Map.of("value", value), Map.of());
        producer.send(new ProducerRecord<>(topic, source.getBytes(StandardCharsets.UTF_8), serializer.serialize(topic, point)));
      }
      producer.flush();
    }
  }

  private void awaitCommitted(String group, String topic, long expected) throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + PHASE_TIMEOUT.toNanos();
    while (committed(group, topic) < expected) {
      if (System.nanoTime() > deadline) {
        throw new TimeoutException("the Streams pipeline committed " + committed(group, topic) + " of " + expected + " records in " + PHASE_TIMEOUT);
      }
      Thread.sleep(20);
    }
  }

  /** The sum of the group's committed offsets on the topic's partitions. */
  private long committed(String group, String topic) throws InterruptedException, TimeoutException {
    try (Admin admin = Admin.create(kafka)) {
      Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
      return offsets.entrySet().stream().filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null).mapToLong(e -> e.getValue().offset()).sum();
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot read the pipeline's offsets: " + e.getCause().getMessage(), e.getCause());
    }
  }

  /** Committed records in a topic, counted by reading it with read_committed up to its end. */
  private long committedCount(String topic, int partitions) {
    Properties props = new Properties();
    props.putAll(kafka);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> assignment = new ArrayList<>();
      for (int p = 0; p < partitions; p++) {
        assignment.add(new TopicPartition(topic, p));
      }
      consumer.assign(assignment);
      consumer.seekToBeginning(assignment);
      Map<TopicPartition, Long> ends = consumer.endOffsets(assignment);
      long count = 0;
      long deadline = System.nanoTime() + PHASE_TIMEOUT.toNanos();
      while (assignment.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp)) && System.nanoTime() < deadline) {
        count += consumer.poll(Duration.ofMillis(200)).count();
      }
      return count;
    }
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}

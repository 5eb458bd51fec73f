package dev.sibyl.app.bench;

import dev.sibyl.models.api.ForecasterRegistry;
import dev.sibyl.schemas.Forecast;
import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.schemas.serde.AvroSerdes;
import dev.sibyl.streams.PipelineConfig;
import dev.sibyl.streams.kafka.ForecastPipeline;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;

/**
 * Measures the forecasting pipeline against a raw Kafka passthrough on the same broker, in one run.
 *
 * <ol>
 *   <li>The same pre-serialised records are written once to an input topic.
 *   <li><b>Passthrough:</b> a plain consumer copies every record to another topic with a plain
 *       producer: the ceiling of any consume-process-produce application on this broker.
 *   <li><b>Streams passthrough:</b> a Kafka Streams topology that only copies the bytes, with the
 *       pipeline's settings (exactly-once, commit interval, threads): what Kafka Streams itself
 *       costs, so that the gap between the raw passthrough and the pipeline can be split into
 *       the framework's share and ours.
 *   <li><b>Pipeline:</b> the Kafka Streams topology (exactly-once, the configured model) consumes
 *       the same records; it is done when its committed input offsets reach the end.
 *   <li><b>Latency:</b> points stamped with the wall clock are produced at a steady rate; for every
 *       forecast read back with {@code read_committed}, the latency is the time it became visible
 *       minus the event time of the observation that triggered it.
 * </ol>
 *
 * Both sides first process {@code warmupPoints} records untimed (class loading and JIT compilation
 * of Kafka, Avro and the models would otherwise dominate a run of this size on two cores), then are
 * timed over the next {@code points} records: steady-state throughput, the figure that matters for a
 * long-running service.
 */
public final class PipelineBench {

  /**
   * What to measure.
   *
   * @param points records in the timed part of the throughput phase
   * @param warmupPoints records processed before the timing starts
   * @param sources distinct sources (keys)
   * @param cadence forecast every this many points of a series
   * @param partitions partitions of the bench topics
   * @param latencySeconds duration of the latency phase
   * @param latencyRate records per second in the latency phase
   * @param model forecaster family
   */
  public record Options(
      int points, int warmupPoints, int sources, int cadence, int partitions, int latencySeconds, int latencyRate, String model) {}

  /**
   * The figures, as printed in the final JSON line.
   *
   * @param pipelinePointsPerSecond records per second through the pipeline
   * @param passthroughPointsPerSecond records per second through the raw passthrough
   * @param streamsPassthroughPointsPerSecond records per second through a copy-only Streams topology
   * @param latencyP50Millis median event-to-visible-forecast latency
   * @param latencyP99Millis 99th percentile of the same
   * @param latencyForecasts forecasts the latency figures are computed over
   */
  public record Result(
      Options options,
      double pipelinePointsPerSecond,
      double passthroughPointsPerSecond,
      double streamsPassthroughPointsPerSecond,
      double latencyP50Millis,
      double latencyP99Millis,
      int latencyForecasts) {

    /** Pipeline over passthrough throughput. */
    public double ratio() {
      return pipelinePointsPerSecond / passthroughPointsPerSecond;
    }

    /** One JSON line; field names are stable (scripts read them). */
    public String toJson() {
      return String.format(
          Locale.ROOT,
          "{\"bench\":\"pipeline\",\"model\":\"%s\",\"points\":%d,\"warmup_points\":%d,\"sources\":%d,\"cadence\":%d,\"partitions\":%d,"
              + "\"pipeline_points_per_s\":%.0f,\"passthrough_points_per_s\":%.0f,\"ratio\":%.3f,"
              + "\"streams_passthrough_points_per_s\":%.0f,\"ratio_to_streams_passthrough\":%.3f,"
              + "\"latency_p50_ms\":%.1f,\"latency_p99_ms\":%.1f,\"latency_forecasts\":%d}",
          options.model(), options.points(), options.warmupPoints(), options.sources(), options.cadence(), options.partitions(),
          pipelinePointsPerSecond, passthroughPointsPerSecond, ratio(),
          streamsPassthroughPointsPerSecond, pipelinePointsPerSecond / streamsPassthroughPointsPerSecond, latencyP50Millis, latencyP99Millis, latencyForecasts);
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
  public PipelineBench(Map<String, Object> kafkaProperties, Consumer<String> progress) {
    this.kafka = Map.copyOf(kafkaProperties);
    this.progress = progress;
  }

  /** Runs the three phases and returns the figures. */
  public Result run(Options options) throws InterruptedException, TimeoutException {
    String input = "bench-" + run + "-telemetry";
    String copy = "bench-" + run + "-passthrough";
    Map<String, String> pipelineSettings = new HashMap<>();
    pipelineSettings.put(PipelineConfig.TELEMETRY_TOPIC_CONFIG, input);
    pipelineSettings.put(PipelineConfig.FORECASTS_TOPIC_CONFIG, "bench-" + run + "-forecasts");
    pipelineSettings.put(PipelineConfig.ANOMALIES_TOPIC_CONFIG, "bench-" + run + "-anomalies");
    pipelineSettings.put(PipelineConfig.HEALTH_TOPIC_CONFIG, "bench-" + run + "-health");
    pipelineSettings.put(PipelineConfig.DEAD_LETTER_TOPIC_CONFIG, "bench-" + run + "-dead-letters");
    pipelineSettings.put(PipelineConfig.CADENCE_CONFIG, Integer.toString(options.cadence()));
    pipelineSettings.put(PipelineConfig.HORIZON_CONFIG, Integer.toString(Math.max(24, options.cadence())));
    pipelineSettings.put(PipelineConfig.MODEL_FAMILY_CONFIG, options.model());
    PipelineConfig config = new PipelineConfig(pipelineSettings);
    try (Admin admin = Admin.create(kafka)) {
      ForecastPipeline.ensureTopics(admin, config, options.partitions(), (short) 1);
      admin.createTopics(
              List.of(new NewTopic(copy, options.partitions(), (short) 1), new NewTopic(copy + "-streams", options.partitions(), (short) 1)))
          .all()
          .get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("cannot create bench topics: " + e.getCause().getMessage(), e.getCause());
    }

    List<byte[][]> records = records(options.warmupPoints() + options.points(), options.sources(), Instant.parse("2020-01-01T00:00:00Z"));
    long produceStart = System.nanoTime();
    produce(input, records);
    progress.accept(String.format(Locale.ROOT, "wrote %d records in %.1f s", records.size(), seconds(produceStart)));

    double passthrough = passthrough(input, copy, options.warmupPoints(), records.size(), options.partitions());
    progress.accept(String.format(Locale.ROOT, "passthrough: %.0f records/s", passthrough));

    double streamsPassthrough;
    Topology copyTopology = new Topology();
    copyTopology.addSource("in", new ByteArrayDeserializer(), new ByteArrayDeserializer(), input);
    copyTopology.addSink("out", copy + "-streams", new ByteArraySerializer(), new ByteArraySerializer(), "in");
    try (KafkaStreams copier = new KafkaStreams(copyTopology, streamsProperties("bench-" + run + "-copy"))) {
      copier.start();
      streamsPassthrough = timedRate(() -> copier.state() == KafkaStreams.State.RUNNING, "bench-" + run + "-copy", input, options, records.size());
    }
    progress.accept(String.format(Locale.ROOT, "streams passthrough: %.0f records/s", streamsPassthrough));

    try (ForecastPipeline pipeline =
        ForecastPipeline.start(
            config, ForecasterRegistry.create(options.model(), Map.of()), streamsProperties("bench-" + run), Map.of())) {
      double pipelineRate =
          timedRate(() -> pipeline.state() == KafkaStreams.State.RUNNING, "bench-" + run, input, options, records.size());
      progress.accept(String.format(Locale.ROOT, "pipeline: %.0f records/s (ratio %.2f)", pipelineRate, pipelineRate / passthrough));

      double[] latencies = latencies(options, input, config.getString(PipelineConfig.FORECASTS_TOPIC_CONFIG));
      progress.accept(String.format(Locale.ROOT, "latency over %d forecasts: p50 %.1f ms, p99 %.1f ms",
          latencies.length, percentile(latencies, 0.5), percentile(latencies, 0.99)));
      return new Result(options, pipelineRate, passthrough, streamsPassthrough, percentile(latencies, 0.5), percentile(latencies, 0.99), latencies.length);
    }
  }

  private Properties streamsProperties(String applicationId) {
    Properties props = ForecastPipeline.streamsProperties(kafka);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.STATE_DIR_CONFIG, System.getProperty("java.io.tmpdir") + "/sibyl-" + applicationId);
    return props;
  }

  /**
   * Waits until a Streams application runs, lets it process the warm-up records, then times it
   * over the rest (by its committed input offsets).
   */
  private double timedRate(BooleanSupplier running, String group, String input, Options options, int total)
      throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (!running.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new TimeoutException("streams application " + group + " was not running after 2 minutes");
      }
      Thread.sleep(20);
    }
    awaitCommitted(group, input, options.warmupPoints());
    long start = System.nanoTime();
    long fromOffset = committed(group, input);
    awaitCommitted(group, input, total);
    return (total - fromOffset) / seconds(start);
  }

  /** Serialised (key, value) pairs: sources round-robin, one point a minute, daily sine plus noise. */
  private static List<byte[][]> records(int count, int sources, Instant start) {
    Serializer<TelemetryPoint> serializer = AvroSerdes.forType(TelemetryPoint.class, Map.of(), false).serializer();
    Random random = new Random(42);
    List<byte[][]> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String source = "bench-" + (i % sources);
      int step = i / sources;
      double value = 20 + 5 * Math.sin(2 * Math.PI * step / 24.0) + random.nextGaussian() * 0.5;
      TelemetryPoint point = new TelemetryPoint(source, start.plusSeconds(60L * step), Map.of("value", value), Map.of());
      out.add(new byte[][] {source.getBytes(java.nio.charset.StandardCharsets.UTF_8), serializer.serialize("", point)});
    }
    return out;
  }

  private Properties producerProps() {
    Properties props = new Properties();
    props.putAll(kafka);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
    return props;
  }

  private void produce(String topic, List<byte[][]> records) {
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps())) {
      for (byte[][] record : records) {
        producer.send(new ProducerRecord<>(topic, record[0], record[1]));
      }
      producer.flush();
    }
  }

  private double passthrough(String from, String to, int warmup, int expected, int partitions) throws TimeoutException {
    Properties consumerProps = new Properties();
    consumerProps.putAll(kafka);
    consumerProps.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    consumerProps.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps);
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps())) {
      List<TopicPartition> assignment = new ArrayList<>();
      for (int p = 0; p < partitions; p++) {
        assignment.add(new TopicPartition(from, p));
      }
      consumer.assign(assignment);
      consumer.seekToBeginning(assignment);
      long deadline = System.nanoTime() + PHASE_TIMEOUT.toNanos();
      long start = System.nanoTime();
      int copied = 0;
      int timedFrom = 0;
      while (copied < expected) {
        if (timedFrom == 0 && copied >= warmup) {
          producer.flush(); // the warm-up's sends are done before the clock starts
          start = System.nanoTime();
          timedFrom = Math.max(copied, 1);
        }
        ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(200));
        for (ConsumerRecord<byte[], byte[]> record : batch) {
          producer.send(new ProducerRecord<>(to, record.key(), record.value()));
        }
        copied += batch.count();
        if (System.nanoTime() > deadline) {
          throw new TimeoutException("passthrough copied " + copied + " of " + expected + " records in " + PHASE_TIMEOUT);
        }
      }
      producer.flush();
      return (expected - timedFrom) / seconds(start);
    }
  }

  private void awaitCommitted(String group, String topic, long expected) throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + PHASE_TIMEOUT.toNanos();
    while (true) {
      long committed = committed(group, topic);
      if (committed >= expected) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new TimeoutException("pipeline committed " + committed + " of " + expected + " records in " + PHASE_TIMEOUT);
      }
      Thread.sleep(20);
    }
  }

  /** The sum of the group's committed offsets on the topic's partitions. */
  private long committed(String group, String topic) throws InterruptedException, TimeoutException {
    try (Admin admin = Admin.create(kafka)) {
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
      return offsets.entrySet().stream()
          .filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
          .mapToLong(e -> e.getValue().offset())
          .sum();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("cannot read the pipeline's offsets: " + e.getCause().getMessage(), e.getCause());
    }
  }

  /** Produces wall-clock-stamped points at a steady rate and measures event-to-visible-forecast times. */
  private double[] latencies(Options options, String input, String forecasts) throws InterruptedException {
    Properties consumerProps = new Properties();
    consumerProps.putAll(kafka);
    consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    consumerProps.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    consumerProps.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    Deserializer<Forecast> forecastDeserializer = AvroSerdes.forType(Forecast.class, Map.of(), false).deserializer();
    Serializer<TelemetryPoint> serializer = AvroSerdes.forType(TelemetryPoint.class, Map.of(), false).serializer();
    List<Double> latencies = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(consumerProps);
        Admin admin = Admin.create(kafka);
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps())) {
      List<TopicPartition> assignment = new ArrayList<>();
      for (int p = 0; p < options.partitions(); p++) {
        assignment.add(new TopicPartition(forecasts, p));
      }
      consumer.assign(assignment);
      consumer.seekToEnd(assignment);
      assignment.forEach(consumer::position); // resolve the end offsets now, before producing
      Random random = new Random(7);
      long periodNanos = 1_000_000_000L / options.latencyRate();
      long start = System.nanoTime();
      long end = start + TimeUnit.SECONDS.toNanos(options.latencySeconds());
      long next = start;
      int sent = 0;
      long[] lastEventMillis = new long[options.sources()];
      while (System.nanoTime() < end + TimeUnit.SECONDS.toNanos(2)) {
        long now = System.nanoTime();
        while (now < end && next <= now) {
          String source = "bench-" + (sent % options.sources());
          double value = 20 + 5 * Math.sin(2 * Math.PI * (sent / options.sources()) / 24.0) + random.nextGaussian() * 0.5;
          // Event time is the wall clock, kept strictly increasing per source.
          int s = sent % options.sources();
          lastEventMillis[s] = Math.max(System.currentTimeMillis(), lastEventMillis[s] + 1);
          TelemetryPoint point = new TelemetryPoint(source, Instant.ofEpochMilli(lastEventMillis[s]), Map.of("value", value), Map.of());
          producer.send(new ProducerRecord<>(input, source.getBytes(java.nio.charset.StandardCharsets.UTF_8), serializer.serialize(input, point)));
          sent++;
          next += periodNanos;
        }
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(5))) {
          Forecast forecast = forecastDeserializer.deserialize(forecasts, record.value());
          latencies.add((double) (System.currentTimeMillis() - forecast.getIssuedAt().toEpochMilli()));
        }
      }
    }
    return latencies.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static double percentile(double[] values, double q) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}

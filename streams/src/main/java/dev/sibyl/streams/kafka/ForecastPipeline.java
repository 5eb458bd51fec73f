package dev.sibyl.streams.kafka;

import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.Prognostic;
import dev.sibyl.streams.PipelineConfig;
import dev.sibyl.workers.MetricsEndpoint;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

/**
 * A running Kafka Streams instance of the forecasting topology, exactly-once by default.
 *
 * <p>Owns its {@link KafkaStreams}; {@link #close} stops the stream threads and waits for them.
 */
public final class ForecastPipeline implements AutoCloseable {

  /** Default application id (consumer group and prefix of internal topics). */
  public static final String DEFAULT_APPLICATION_ID = "sibyl-pipeline";

  private final KafkaStreams streams;
  private final InferencePool pool; // null on the direct path
  private final PrometheusMeterRegistry registry;
  private final MetricsEndpoint endpoint; // null without metrics.port
  private final KafkaStreamsMetrics streamsMetrics; // null without metrics.port

  private ForecastPipeline(
      KafkaStreams streams,
      InferencePool pool,
      PrometheusMeterRegistry registry,
      MetricsEndpoint endpoint,
      KafkaStreamsMetrics streamsMetrics) {
    this.streams = streams;
    this.pool = pool;
    this.registry = registry;
    this.endpoint = endpoint;
    this.streamsMetrics = streamsMetrics;
  }

  /**
   * Settings the pipeline needs unless the user set them: exactly-once v2, one replica (the
   * embedded broker has one node; real clusters override it), a short commit interval so that
   * results appear within a fraction of a second, and one stream thread per core (Streams' default
   * is one thread, which leaves the other cores idle when the input has several partitions).
   *
   * @param kafkaProperties client and Streams properties given by the user; they win
   * @return the merged properties
   */
  public static Properties streamsProperties(Map<String, ?> kafkaProperties) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, DEFAULT_APPLICATION_ID);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Runtime.getRuntime().availableProcessors());
    props.putAll(kafkaProperties);
    return props;
  }

  /**
   * Creates the pipeline's input and output topics when they do not exist.
   *
   * @param admin a connected admin client
   * @param config the topic names
   * @param partitions partitions of new topics
   * @param replicationFactor replicas of new topics
   */
  public static void ensureTopics(Admin admin, PipelineConfig config, int partitions, short replicationFactor)
      throws InterruptedException, TimeoutException {
    Set<String> existing;
    try {
      existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot list topics: " + e.getCause().getMessage(), e.getCause());
    }
    List<NewTopic> missing = new ArrayList<>();
    for (String key :
        List.of(
            PipelineConfig.TELEMETRY_TOPIC_CONFIG,
            PipelineConfig.FORECASTS_TOPIC_CONFIG,
            PipelineConfig.ANOMALIES_TOPIC_CONFIG,
            PipelineConfig.HEALTH_TOPIC_CONFIG,
            PipelineConfig.DEAD_LETTER_TOPIC_CONFIG)) {
      String topic = config.getString(key);
      if (!existing.contains(topic)) {
        missing.add(new NewTopic(topic, partitions, replicationFactor));
      }
    }
    if (missing.isEmpty()) {
      return;
    }
    try {
      admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new IllegalStateException("cannot create topics " + missing + ": " + e.getCause().getMessage(), e.getCause());
      }
    }
  }

  /**
   * Builds and starts the pipeline without prognostics.
   *
   * @param config pipeline settings
   * @param forecaster the model
   * @param streamsProperties Kafka Streams properties (see {@link #streamsProperties})
   * @param serdeConfigs Avro serde settings
   */
  public static ForecastPipeline start(
      PipelineConfig config, Forecaster forecaster, Properties streamsProperties, Map<String, ?> serdeConfigs) {
    return start(config, forecaster, null, streamsProperties, serdeConfigs);
  }

  /**
   * Builds and starts the pipeline, with an inference pool when {@code inference.mode=pool} ({@link
   * InferencePool#open}) and a Prometheus endpoint when {@code metrics.port} is set.
   *
   * @param config pipeline settings
   * @param forecaster the model of every series
   * @param prognostic the model of every unit, or null for no health estimates
   * @param streamsProperties Kafka Streams properties (see {@link #streamsProperties})
   * @param serdeConfigs Avro serde settings
   * @throws org.apache.kafka.common.config.ConfigException naming an {@code inference.*} or {@code
   *     metrics.*} setting that does not work
   */
  public static ForecastPipeline start(
      PipelineConfig config,
      Forecaster forecaster,
      Prognostic prognostic,
      Properties streamsProperties,
      Map<String, ?> serdeConfigs) {
    boolean pooled = PipelineConfig.INFERENCE_MODE_POOL.equals(config.getString(PipelineConfig.INFERENCE_MODE_CONFIG));
    return start(
        config,
        forecaster,
        prognostic,
        streamsProperties,
        serdeConfigs,
        registry -> pooled ? InferencePool.open(config, forecaster, registry) : null);
  }

  /**
   * Builds and starts the pipeline, the series' forecasts going to the inference pool that {@code
   * pool} opens, if any.
   *
   * @param config pipeline settings
   * @param forecaster the model of every series (with a pool, its in-process twin: see {@link
   *     ForecastTopology#build(PipelineConfig, Forecaster, Prognostic, Map, InferencePool)})
   * @param prognostic the model of every unit, or null for no health estimates
   * @param streamsProperties Kafka Streams properties (see {@link #streamsProperties})
   * @param serdeConfigs Avro serde settings
   * @param pool opens the pool with the pipeline's meter registry, or answers null for none; the
   *     pool is owned by the pipeline (closed after the stream threads)
   * @throws org.apache.kafka.common.config.ConfigException when the metrics port cannot be bound
   */
  public static ForecastPipeline start(
      PipelineConfig config,
      Forecaster forecaster,
      Prognostic prognostic,
      Properties streamsProperties,
      Map<String, ?> serdeConfigs,
      Function<MeterRegistry, InferencePool> pool) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    InferencePool opened = pool.apply(registry);
    KafkaStreams streams;
    try {
      streams =
          new KafkaStreams(ForecastTopology.build(config, forecaster, prognostic, serdeConfigs, opened), streamsProperties);
    } catch (RuntimeException e) {
      if (opened != null) {
        opened.close();
      }
      throw e;
    }
    MetricsEndpoint endpoint = null;
    KafkaStreamsMetrics streamsMetrics = null;
    int port = config.getInt(PipelineConfig.METRICS_PORT_CONFIG);
    if (port > 0) {
      streamsMetrics = new KafkaStreamsMetrics(streams);
      streamsMetrics.bindTo(registry);
      try {
        endpoint = MetricsEndpoint.start(new InetSocketAddress(port), registry);
      } catch (IOException e) {
        streamsMetrics.close();
        if (opened != null) {
          opened.close();
        }
        throw new ConfigException(PipelineConfig.METRICS_PORT_CONFIG, port, "cannot listen: " + e.getMessage());
      }
    }
    streams.start();
    return new ForecastPipeline(streams, opened, registry, endpoint, streamsMetrics);
  }

  /**
   * The port of the Prometheus endpoint ({@code GET /metrics}), or -1 when {@code metrics.port} is
   * 0.
   */
  public int metricsPort() {
    return endpoint == null ? -1 : endpoint.port();
  }

  /** The pipeline's meters: the inference pool's, and Kafka Streams' own with a metrics endpoint. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /**
   * Waits until the stream threads are running (assignment done, state restored).
   *
   * @throws TimeoutException when that takes longer than {@code timeout}
   * @throws IllegalStateException when the application failed
   */
  public void awaitRunning(Duration timeout) throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (streams.state() != KafkaStreams.State.RUNNING) {
      if (streams.state() == KafkaStreams.State.ERROR || streams.state() == KafkaStreams.State.NOT_RUNNING) {
        throw new IllegalStateException("the stream pipeline stopped: state " + streams.state());
      }
      if (System.nanoTime() > deadline) {
        throw new TimeoutException("the stream pipeline was not running after " + timeout + " (state " + streams.state() + ")");
      }
      Thread.sleep(20);
    }
  }

  /** The Kafka Streams state (for progress displays and health checks). */
  public KafkaStreams.State state() {
    return streams.state();
  }

  /**
   * Stops the stream threads, waiting up to 30 s, and leaves the consumer group. Streams stays in
   * the group on close by default (to avoid a rebalance on a rolling bounce), which makes the next
   * start of a single instance wait out the session timeout (45 s) before it gets its partitions.
   */
  @Override
  public void close() {
    streams.close(
        CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
            .withTimeout(Duration.ofSeconds(30)));
    if (pool != null) {
      pool.close();
    }
    if (endpoint != null) {
      endpoint.close();
    }
    if (streamsMetrics != null) {
      streamsMetrics.close();
    }
    registry.close();
  }
}

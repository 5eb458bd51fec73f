package dev.sibyl.streams.kafka;

import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.ForecasterRegistry;
import dev.sibyl.models.api.TrainedForecasters;
import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.artifact.Artifacts;
import dev.sibyl.streams.PipelineConfig;
import dev.sibyl.streams.core.PooledForecaster;
import dev.sibyl.workers.BatchingConfig;
import dev.sibyl.workers.ClientTls;
import dev.sibyl.workers.InProcessClient;
import dev.sibyl.workers.InferenceClient;
import dev.sibyl.workers.ModelHost;
import dev.sibyl.workers.RemotePool;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.config.ConfigException;

/**
 * The inference pool the pipeline sends its trained model's forecasts to ({@code
 * inference.mode=pool}), with the settings of {@link PooledSeriesProcessor}: the client (remote
 * workers from {@code inference.endpoints}, or an in-process pool serving {@code
 * model.option.artifact}), the model's name on it, the stream-side half of the forecaster ({@link
 * PooledForecaster}), the fallback forecaster, the batch and in-flight bounds, the timeout and the
 * flush interval, and the meters ({@link PoolMetrics}).
 *
 * <p>Shared by every stream task of a pipeline; owns the client (and the in-process host) and
 * closes them on {@link #close()}, after the pipeline has stopped.
 */
public final class InferencePool implements AutoCloseable {

  /** Attempts per request on remote workers (the first and two retries). */
  private static final int ATTEMPTS = 3;

  private final InferenceClient client;
  private final ModelHost host; // the in-process pool's models, or null
  private final String model;
  private final PooledForecaster forecaster;
  private final Forecaster fallback;
  private final int maxBatch;
  private final int maxInFlight;
  private final Duration timeout;
  private final Duration flush;
  private final PoolMetrics metrics;

  private InferencePool(
      InferenceClient client, ModelHost host, String model, PooledForecaster forecaster, PipelineConfig config, MeterRegistry registry) {
    this.client = Objects.requireNonNull(client, "client");
    this.host = host;
    this.model = Objects.requireNonNull(model, "model");
    this.forecaster = Objects.requireNonNull(forecaster, "forecaster");
    this.fallback = fallback(config);
    this.maxBatch = config.getInt(PipelineConfig.INFERENCE_MAX_BATCH_CONFIG);
    this.maxInFlight = config.getInt(PipelineConfig.INFERENCE_MAX_IN_FLIGHT_CONFIG);
    this.timeout = Duration.ofMillis(config.getLong(PipelineConfig.INFERENCE_TIMEOUT_CONFIG));
    this.flush = Duration.ofMillis(config.getLong(PipelineConfig.INFERENCE_FLUSH_CONFIG));
    this.metrics = new PoolMetrics(Objects.requireNonNull(registry, "registry"));
  }

  /**
   * A pool over a given client, with the other settings from the configuration.
   *
   * @param client the pool's client; closed with this object; not null
   * @param model the model's name on the pool; not null
   * @param forecaster the stream-side half of the model's forecaster; not null
   * @param config {@code inference.*} settings
   * @param registry where the meters go; not null
   * @throws ConfigException when {@code inference.fallback} names no usable family
   */
  public static InferencePool of(
      InferenceClient client, String model, PooledForecaster forecaster, PipelineConfig config, MeterRegistry registry) {
    return new InferencePool(client, null, model, forecaster, config, registry);
  }

  /**
   * The pool the configuration names: remote workers from {@code inference.endpoints} (with TLS
   * from {@code inference.tls.*}), or, when there are none, an in-process pool serving the artifact
   * of {@code model.option.artifact}.
   *
   * @param config the pipeline settings; {@code model.option.artifact} must name a trained,
   *     channel-independent window model
   * @param inProcess the forecaster the configuration builds for the direct path, whose interval
   *     settings the pooled forecasts keep; not null
   * @param registry where the pool's and the client's meters go; not null
   * @return the pool
   * @throws ConfigException naming the setting that does not work
   */
  public static InferencePool open(PipelineConfig config, Forecaster inProcess, MeterRegistry registry) {
    Path dir = artifact(config);
    List<Map.Entry<String, Integer>> endpoints = endpoints(config);
    WindowModel model;
    try {
      model = Artifacts.load(dir).model();
    } catch (IOException e) {
      throw new ConfigException(PipelineConfig.MODEL_OPTIONS_PREFIX + TrainedForecasters.ARTIFACT_CONFIG + ": " + e.getMessage());
    }
    PooledForecaster forecaster;
    try {
      forecaster = PooledForecaster.twinOf(model, inProcess);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(PipelineConfig.INFERENCE_MODE_CONFIG + "=" + PipelineConfig.INFERENCE_MODE_POOL + ": " + e.getMessage());
    }
    String name = config.getString(PipelineConfig.INFERENCE_MODEL_CONFIG).trim();
    if (name.isEmpty()) {
      name = dir.toAbsolutePath().normalize().getFileName().toString();
    }
    if (endpoints.isEmpty()) {
      ModelHost host = ModelHost.of(Map.of(name, model), BatchingConfig.DEFAULTS, registry);
      return new InferencePool(new InProcessClient(host), host, name, forecaster, config, registry);
    }
    // A third of the pipeline's timeout per attempt, so that the pool's retries on another worker
    // (3 attempts) fit in it: a hung worker costs a retry, not a fallback.
    long attemptMillis = Math.max(1, config.getLong(PipelineConfig.INFERENCE_TIMEOUT_CONFIG) / ATTEMPTS);
    RemotePool.Builder builder =
        RemotePool.builder()
            .optMeterRegistry(registry)
            .optMaxAttempts(ATTEMPTS)
            .optDeadline(Duration.ofMillis(attemptMillis));
    endpoints.forEach(e -> builder.addEndpoint(e.getKey(), e.getValue()));
    String ca = config.getString(PipelineConfig.INFERENCE_TLS_CA_CONFIG).trim();
    String cert = config.getString(PipelineConfig.INFERENCE_TLS_CERT_CONFIG).trim();
    String key = config.getString(PipelineConfig.INFERENCE_TLS_KEY_CONFIG).trim();
    if (!ca.isEmpty() || !cert.isEmpty()) {
      builder.optTls(new ClientTls(ca.isEmpty() ? null : Path.of(ca), cert.isEmpty() ? null : Path.of(cert), key.isEmpty() ? null : Path.of(key)));
    }
    try {
      return new InferencePool(builder.build(), null, name, forecaster, config, registry);
    } catch (IOException | IllegalArgumentException e) {
      throw new ConfigException(PipelineConfig.INFERENCE_ENDPOINTS_CONFIG + ": " + e.getMessage());
    }
  }

  /**
   * Checks the settings a pool needs without opening one (no model loaded, nothing connected), so
   * that a command can fail before it starts a broker.
   *
   * @param config the pipeline settings
   * @throws ConfigException naming the setting that does not work
   */
  public static void check(PipelineConfig config) {
    artifact(config);
    endpoints(config);
    fallback(config);
  }

  /** The directory of {@code model.option.artifact}, which the pool mode needs. */
  private static Path artifact(PipelineConfig config) {
    Object artifact = config.modelOptions().get(TrainedForecasters.ARTIFACT_CONFIG);
    if (artifact == null || String.valueOf(artifact).isBlank()) {
      throw new ConfigException(
          PipelineConfig.INFERENCE_MODE_CONFIG + "=" + PipelineConfig.INFERENCE_MODE_POOL
              + " needs a trained model: set " + PipelineConfig.MODEL_OPTIONS_PREFIX + TrainedForecasters.ARTIFACT_CONFIG);
    }
    return Path.of(String.valueOf(artifact).trim());
  }

  /** {@code inference.endpoints} as (host, port), in order. */
  private static List<Map.Entry<String, Integer>> endpoints(PipelineConfig config) {
    List<Map.Entry<String, Integer>> out = new ArrayList<>();
    for (String endpoint : config.getList(PipelineConfig.INFERENCE_ENDPOINTS_CONFIG)) {
      int colon = endpoint.lastIndexOf(':');
      int port;
      try {
        port = colon < 1 ? -1 : Integer.parseInt(endpoint.substring(colon + 1).trim());
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (port < 1 || port > 65_535) {
        throw new ConfigException(PipelineConfig.INFERENCE_ENDPOINTS_CONFIG, endpoint, "expected host:port with a port in [1, 65535]");
      }
      out.add(Map.entry(endpoint.substring(0, colon).trim(), port));
    }
    return out;
  }

  private static Forecaster fallback(PipelineConfig config) {
    String family = config.getString(PipelineConfig.INFERENCE_FALLBACK_CONFIG).trim();
    if (family.isEmpty()) {
      return null;
    }
    try {
      return ForecasterRegistry.create(family, Map.of());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(PipelineConfig.INFERENCE_FALLBACK_CONFIG + ": " + e.getMessage());
    }
  }

  InferenceClient client() {
    return client;
  }

  String model() {
    return model;
  }

  PooledForecaster forecaster() {
    return forecaster;
  }

  /** The fallback forecaster, or null for none. */
  Forecaster fallback() {
    return fallback;
  }

  int maxBatch() {
    return maxBatch;
  }

  int maxInFlight() {
    return maxInFlight;
  }

  Duration timeout() {
    return timeout;
  }

  Duration flush() {
    return flush;
  }

  PoolMetrics metrics() {
    return metrics;
  }

  /** Closes the client and the in-process host; call after the pipeline has stopped. */
  @Override
  public void close() {
    client.close();
    if (host != null) {
      host.close();
    }
  }
}

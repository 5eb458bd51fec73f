/**
 * Inference worker pools: the heavy models run on workers, one per device, that batch requests
 * from many series; stream operators reach them through one client.
 *
 * <h2>Worker</h2>
 *
 * <p>{@link dev.sibyl.workers.WorkerServer} speaks the Open Inference Protocol (KServe / Triton
 * "v2", {@code grpc_predict_v2.proto}, package {@code inference}) over gRPC: ServerLive/Ready,
 * ServerMetadata, ModelReady, ModelMetadata, ModelInfer. A model is an artifact directory under
 * the worker's artifacts directory, named by the directory; its input tensor is {@code windows}
 * [batch, channels, lookback] FP32 or FP64, its output {@code forecast} [batch, channels, horizon]
 * in the input's datatype, the horizon the request parameter {@code horizon} ({@link
 * dev.sibyl.workers.V2Codec}). {@link dev.sibyl.workers.ModelHost} owns one {@link
 * dev.sibyl.workers.DynamicBatcher} per model (bounded queue, RESOURCE_EXHAUSTED when full; batch
 * up to 64 windows or 5 ms by default, {@link dev.sibyl.workers.BatchingConfig}) and hot-reloads
 * artifacts that appear, change or disappear. Metrics go to Micrometer; {@link
 * dev.sibyl.workers.MetricsEndpoint} serves them to Prometheus.
 *
 * <p>Keyed requests ({@link dev.sibyl.workers.KeyedRequest}; v2 parameters {@code series_key},
 * {@code series_end}, {@code series_step}) name a series: for AutoTimes and SMETimes the batcher
 * keeps a KV-cache session per series (AutoTimes: one cache row per channel) and answers the keyed
 * requests of a batch with one {@link dev.sibyl.models.api.KeyedForecaster#forecastChannels}
 * call, which decodes the new segments of
 * all their series in shared decoder calls; a request without a key is stateless.
 *
 * <h2>Client</h2>
 *
 * <p>{@link dev.sibyl.workers.InferenceClient} is the one interface: {@link
 * dev.sibyl.workers.InProcessClient} calls the batchers in the same JVM; {@link
 * dev.sibyl.workers.RemotePool} calls several workers (or Triton / KServe) with round robin
 * (keyed calls: consistent hashing of the series key, so a series stays on one worker),
 * deadlines, retries on another worker, backoff, a {@link dev.sibyl.workers.CircuitBreaker} per
 * endpoint and optional TLS / mutual TLS. A failure whose {@link
 * dev.sibyl.workers.InferenceException#fallBack()} is true means the pool, not the request, failed:
 * the caller answers with a cheap local model and marks the forecast degraded.
 *
 * <h2>Threads</h2>
 *
 * <p>Every thread is named and owned: {@code sibyl-batcher-<model>} (one per model, stopped by
 * {@link dev.sibyl.workers.DynamicBatcher#close()}), {@code sibyl-artifact-watch} (the host's),
 * {@code sibyl-pool-retry} (the pool's backoff timer), {@code sibyl-metrics} (the endpoint's);
 * gRPC's own executors are closed with their server or channels.
 */
package dev.sibyl.workers;

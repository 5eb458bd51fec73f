package dev.sibyl.workers;

import java.util.concurrent.CompletableFuture;

/**
 * How stream operators reach the models: one interface over an in-process pool ({@link
 * InProcessClient}, a single machine) and remote workers ({@link RemotePool}, a cluster). Calls
 * never block: the answer comes as a future, completed on a client or worker thread, so a caller
 * that must not block (a stream thread) chains on it.
 */
public interface InferenceClient extends AutoCloseable {

  /**
   * Forecasts a batch of windows with a named model.
   *
   * @param model the model name (the artifact directory's name on the workers); not null
   * @param windows shape (batch, channels, lookback), the same channel count in every window; not
   *     changed by the call; not null
   * @param horizon steps to forecast
   * @return shape (batch, channels, horizon); completes exceptionally with {@link
   *     InferenceException} (see {@link InferenceException#fallBack()})
   */
  CompletableFuture<double[][][]> predict(String model, double[][][] windows, int horizon);

  /**
   * Forecasts one series by key, so that a worker with per-series state (AutoTimes' KV cache)
   * decodes only what is new since the series' previous request; see {@link KeyedRequest}. This
   * default sends the window as a stateless request (it must then be the model's lookback long).
   *
   * @param model the model name; not null
   * @param request the series and its window; not changed by the call; not null
   * @param horizon steps to forecast
   * @return shape (channels, horizon); completes exceptionally with {@link InferenceException}
   */
  default CompletableFuture<double[][]> predictKeyed(String model, KeyedRequest request, int horizon) {
    return predict(model, new double[][][] {request.channels()}, horizon).thenApply(f -> f[0]);
  }

  /** Releases the client's channels and threads; calls in flight may fail. Idempotent. */
  @Override
  void close();
}

package dev.sibyl.workers;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * An {@link InferenceClient} over a {@link ModelHost} in the same JVM: requests go straight to the
 * model's {@link DynamicBatcher}, no gRPC, no copies, with the same batching and queue bounds as a
 * worker. Does not own the host: closing the client leaves it running.
 */
public final class InProcessClient implements InferenceClient {

  private final ModelHost host;

  /**
   * Creates the client.
   *
   * @param host the models; closed by its owner, not by this client; not null
   */
  public InProcessClient(ModelHost host) {
    this.host = Objects.requireNonNull(host, "host");
  }

  @Override
  public CompletableFuture<double[][][]> predict(String model, double[][][] windows, int horizon) {
    DynamicBatcher b = host.batcher(model);
    if (b == null) {
      return CompletableFuture.failedFuture(
          new InferenceException(
              InferenceException.Reason.UNKNOWN_MODEL,
              "unknown model '" + model + "'; in-process pool serves " + host.names(),
              null));
    }
    CompletableFuture<double[][][]> result = new CompletableFuture<>();
    b.submit(windows, horizon)
        .whenComplete(
            (forecast, error) -> {
              if (error == null) {
                result.complete(forecast);
              } else {
                result.completeExceptionally(translate(model, error));
              }
            });
    return result;
  }

  @Override
  public CompletableFuture<double[][]> predictKeyed(String model, KeyedRequest request, int horizon) {
    DynamicBatcher b = host.batcher(model);
    if (b == null) {
      return CompletableFuture.failedFuture(
          new InferenceException(
              InferenceException.Reason.UNKNOWN_MODEL,
              "unknown model '" + model + "'; in-process pool serves " + host.names(),
              null));
    }
    CompletableFuture<double[][]> result = new CompletableFuture<>();
    b.submitKeyed(request, horizon)
        .whenComplete(
            (forecast, error) -> {
              if (error == null) {
                result.complete(forecast[0]);
              } else {
                result.completeExceptionally(translate(model, error));
              }
            });
    return result;
  }

  private static InferenceException translate(String model, Throwable error) {
    Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    InferenceException.Reason reason;
    if (e instanceof QueueFullException) {
      reason = InferenceException.Reason.OVERLOADED;
    } else if (e instanceof WorkerClosedException) {
      reason = InferenceException.Reason.UNAVAILABLE;
    } else if (e instanceof IllegalArgumentException) {
      reason = InferenceException.Reason.BAD_REQUEST;
    } else {
      reason = InferenceException.Reason.FAILED;
    }
    return new InferenceException(reason, "model '" + model + "': " + e.getMessage(), e);
  }

  @Override
  public void close() {
    // Nothing of its own: the host belongs to its owner.
  }
}

package dev.sibyl.workers;

import dev.sibyl.models.api.WindowModel;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Asks a pool first and, when the pool itself failed ({@link InferenceException#fallBack()}: down,
 * unreachable, circuits open, overloaded), answers with a cheap local model instead, marking the
 * answer degraded so that the operator can flag the forecast. A bad request or unknown model is not
 * hidden: it fails as the pool said.
 */
public final class FallbackClient implements AutoCloseable {

  private final InferenceClient pool;
  private final WindowModel local;

  /**
   * An answer and where it came from.
   *
   * @param forecast shape (batch, channels, horizon)
   * @param degraded true when the local fallback model produced it
   */
  public record Answer(double[][][] forecast, boolean degraded) {}

  /**
   * Creates the client; owns {@code pool} (closed with it).
   *
   * @param pool the workers; not null
   * @param local the fallback model, cheap enough to run on a stream thread; its lookback must be
   *     the pool model's; not null
   */
  public FallbackClient(InferenceClient pool, WindowModel local) {
    this.pool = Objects.requireNonNull(pool, "pool");
    this.local = Objects.requireNonNull(local, "local");
  }

  /**
   * Forecasts with the pool, or with the local model when the pool is unavailable.
   *
   * @param model the pool's model name; not null
   * @param windows shape (batch, channels, lookback); not null
   * @param horizon steps to forecast
   * @return the answer; completes exceptionally with the pool's {@link InferenceException} when it
   *     is not a pool failure, or with the local model's exception when the fallback fails too
   */
  public CompletableFuture<Answer> predict(String model, double[][][] windows, int horizon) {
    return pool.predict(model, windows, horizon)
        .handle(
            (forecast, error) -> {
              if (error == null) {
                return new Answer(forecast, false);
              }
              Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
              if (e instanceof InferenceException ie && ie.fallBack()) {
                return new Answer(local.predict(windows, horizon), true);
              }
              throw e instanceof RuntimeException re ? re : new CompletionException(e);
            });
  }

  @Override
  public void close() {
    pool.close();
  }
}

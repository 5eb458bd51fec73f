package dev.sibyl.streams.flink;

import dev.sibyl.models.api.WindowModel;
import dev.sibyl.workers.InferenceClient;
import dev.sibyl.workers.InferenceException;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A trained model served by a worker pool, seen as a {@link WindowModel}: the shape and metadata
 * of the local copy of the artifact, the numbers from the pool. Wrapped by the same per-window
 * scaling and conformal intervals as the local model, so that a forecast from the pool and one from
 * the fallback differ only in where the network ran.
 *
 * <p>Blocks the calling thread for each batch (an inference thread of {@link InferenceFunction},
 * never the task thread). A call that takes longer than its deadline fails as UNAVAILABLE, so that
 * the caller falls back.
 */
final class PoolWindowModel implements WindowModel {

  private final InferenceClient client;
  private final String name;
  private final WindowModel local;
  private final long deadlineMillis;

  /**
   * @param client the pool
   * @param name the model's name on the pool
   * @param local the local copy of the artifact (shape and metadata)
   * @param deadlineMillis how long one call may take
   */
  PoolWindowModel(InferenceClient client, String name, WindowModel local, long deadlineMillis) {
    this.client = client;
    this.name = name;
    this.local = local;
    this.deadlineMillis = deadlineMillis;
  }

  @Override
  public double[][][] predict(double[][][] windows, int horizon) {
    WindowModel.checkRequest(this, windows, horizon);
    try {
      return client.predict(name, windows, horizon).get(deadlineMillis, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof InferenceException ie) {
        throw ie;
      }
      throw new InferenceException(InferenceException.Reason.FAILED, "model '" + name + "': " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new InferenceException(InferenceException.Reason.UNAVAILABLE, "model '" + name + "': no answer within " + deadlineMillis + " ms", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InferenceException(InferenceException.Reason.UNAVAILABLE, "model '" + name + "': interrupted", e);
    }
  }

  @Override
  public String family() {
    return local.family();
  }

  @Override
  public String version() {
    return local.version();
  }

  @Override
  public int lookback() {
    return local.lookback();
  }

  @Override
  public int horizon() {
    return local.horizon();
  }

  @Override
  public int channels() {
    return local.channels();
  }

  @Override
  public boolean autoregressive() {
    return local.autoregressive();
  }

  @Override
  public Map<String, String> hyperparameters() {
    return local.hyperparameters();
  }

  @Override
  public long parametersTrainable() {
    return local.parametersTrainable();
  }

  @Override
  public long parametersTotal() {
    return local.parametersTotal();
  }
}

package dev.sibyl.streams.flink;

import dev.sibyl.models.api.ForecastResult;
import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.artifact.Artifacts;
import dev.sibyl.streams.core.ForecastRequest;
import dev.sibyl.streams.core.PointDecoder;
import dev.sibyl.streams.core.PooledForecaster;
import dev.sibyl.workers.BatchingConfig;
import dev.sibyl.workers.InProcessClient;
import dev.sibyl.workers.InferenceClient;
import dev.sibyl.workers.InferenceException;
import dev.sibyl.workers.ModelHost;
import dev.sibyl.workers.RemotePool;
import java.io.Serializable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the forecast requests of {@link SeriesFunction}, asynchronously: the job runs it with
 * {@code AsyncDataStream.orderedWait} (bounded capacity, a timeout), so the task thread never waits
 * for a model and the events leave in the order they came, answered or not (see {@link
 * SeriesEvent} for why the order matters).
 *
 * <p>Where the model runs ({@link InferenceMode}): the forecaster itself on this function's
 * inference threads, or a worker pool through {@link InferenceClient} (in this JVM, or remote
 * workers). When the pool is down or overloaded ({@link InferenceException#fallBack()}) or the
 * operator's timeout passes, the local forecaster answers and the forecast is marked degraded.
 * When no model can answer, the event carries the reason and {@link ScoringFunction} dead-letters
 * the point, stage {@code forecast}.
 *
 * <p>On a pool, one forecast is one pool request, as in the Streams pipeline's pool path: the
 * in-process forecaster's split-conformal intervals come from a backtest inside the window (one
 * model call per calibration origin), and {@link PooledForecaster} lists all those model windows
 * so that they go out together, shape (calls, 1, lookback), and computes the intervals here from
 * the pool's answers. A call per origin would cost a network round trip and a queue slot on the
 * workers for each of them, and a forecast would wait on the slowest. No inference thread waits on
 * the pool: the threads plan and finish, the request itself is a future of the client.
 */
public final class InferenceFunction extends RichAsyncFunction<SeriesEvent, SeriesEvent> {

  private static final long serialVersionUID = 1L;

  private static final Logger LOG = LoggerFactory.getLogger(InferenceFunction.class);

  /** Numbers the inference threads of every instance in this JVM, for thread dumps. */
  private static final AtomicInteger THREADS = new AtomicInteger();

  /**
   * Opens the client of the pool that serves the artifact, in a task manager. Serializable, since
   * it travels with the function.
   */
  @FunctionalInterface
  interface PoolConnector extends Serializable {
    /**
     * @param settings the inference settings (mode, endpoints, call timeout)
     * @param name the model's name on the pool
     * @param model the artifact's model, loaded in this task manager
     * @return the client, closed with the function
     * @throws Exception when the pool cannot be reached or set up
     */
    InferenceClient connect(InferenceSettings settings, String name, WindowModel model) throws Exception;
  }

  private final ModelSpec model;
  private final InferenceSettings settings;
  private final PoolConnector connector;
  private transient Forecaster local;
  private transient PooledForecaster pooled;
  private transient String poolModel;
  private transient InferenceClient client;
  private transient ExecutorService executor;

  /**
   * @param model the forecaster (and artifact) of the pipeline
   * @param settings where the model runs
   */
  InferenceFunction(ModelSpec model, InferenceSettings settings) {
    this(model, settings, InferenceFunction::connect);
  }

  /**
   * @param model the forecaster (and artifact) of the pipeline
   * @param settings where the model runs
   * @param connector opens the pool's client (not used in direct mode)
   */
  InferenceFunction(ModelSpec model, InferenceSettings settings, PoolConnector connector) {
    this.model = model;
    this.settings = settings;
    this.connector = connector;
  }

  @Override
  public void open(OpenContext context) throws Exception {
    local = model.create();
    if (settings.mode() != InferenceMode.DIRECT) {
      openPool();
    }
    executor =
        Executors.newFixedThreadPool(
            settings.threads(),
            r -> {
              Thread t = new Thread(r, "sibyl-flink-inference-" + THREADS.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  /** The artifact's model on the pool, with the stream-side half of the local forecaster. */
  private void openPool() throws Exception {
    String artifact = model.artifact();
    if (artifact == null) {
      throw new IllegalArgumentException(
          "inference mode " + settings.mode().configName() + " needs a trained artifact (model.option.artifact)");
    }
    WindowModel artifactModel = Artifacts.load(Path.of(artifact)).model();
    try {
      // the same coverage and calibration as the local forecaster, split-conformal or LLM-backed
      pooled = PooledForecaster.twinOf(artifactModel, local);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("inference mode " + settings.mode().configName() + ": " + e.getMessage(), e);
    }
    poolModel = settings.modelName().isBlank() ? Path.of(artifact).getFileName().toString() : settings.modelName();
    client = connector.connect(settings, poolModel, artifactModel);
  }

  /** The production connector: a pool in this JVM, or the remote workers of the settings. */
  private static InferenceClient connect(InferenceSettings settings, String name, WindowModel model) throws Exception {
    if (settings.mode() == InferenceMode.IN_PROCESS) {
      return new HostedClient(ModelHost.of(Map.of(name, model), BatchingConfig.DEFAULTS));
    }
    RemotePool.Builder pool = RemotePool.builder().optDeadline(Duration.ofMillis(settings.callTimeoutMillis()));
    for (String endpoint : settings.endpoints()) {
      int colon = endpoint.lastIndexOf(':');
      pool.addEndpoint(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1)));
    }
    return pool.build();
  }

  @Override
  public void asyncInvoke(SeriesEvent event, ResultFuture<SeriesEvent> result) {
    if (!event.hasRequest()) {
      result.complete(List.of(event));
      return;
    }
    CompletableFuture<SeriesEvent> answered =
        pooled == null ? CompletableFuture.supplyAsync(() -> direct(event), executor) : fromPool(event);
    answered.whenComplete(
        (done, error) ->
            result.complete(List.of(error == null ? done : event.failed("inference failed: " + PointDecoder.describe(unwrap(error))))));
  }

  /** The local forecaster's answer. */
  private SeriesEvent direct(SeriesEvent event) {
    ForecastRequest request = event.request();
    try {
      return event.answered(local.forecast(request.window(), request.horizon()), false);
    } catch (RuntimeException e) {
      LOG.warn("forecaster failed on series {}/{}", event.source(), event.channel(), e);
      return event.failed("forecaster " + model.family() + ":" + model.version() + " failed: " + PointDecoder.describe(e));
    }
  }

  /**
   * The pool's answer, from one request of every model window the forecast needs; the fallback's
   * when the pool is at fault.
   */
  private CompletableFuture<SeriesEvent> fromPool(SeriesEvent event) {
    ForecastRequest request = event.request();
    int horizon = request.horizon();
    return CompletableFuture.supplyAsync(() -> pooled.plan(request.window(), horizon), executor) // (calls, lookback)
        .thenCompose(
            plan -> {
              double[][][] windows = new double[plan.length][1][]; // (calls, channels = 1, lookback)
              for (int i = 0; i < plan.length; i++) {
                windows[i][0] = plan[i];
              }
              CompletableFuture<double[][][]> answer;
              try {
                answer = client.predict(poolModel, windows, horizon);
              } catch (RuntimeException e) {
                answer = CompletableFuture.failedFuture(e);
              }
              // a bound of its own, so that a hung pool falls back before the operator's timeout
              return answer.orTimeout(settings.callTimeoutMillis(), TimeUnit.MILLISECONDS);
            })
        .handleAsync(
            (answer, error) -> {
              if (error != null) {
                return poolFailed(event, unwrap(error));
              }
              double[][] rows = new double[answer.length][]; // (calls, horizon)
              for (int i = 0; i < answer.length; i++) {
                rows[i] = answer[i][0];
              }
              try {
                return event.answered(pooled.finish(request.window(), horizon, rows), false);
              } catch (RuntimeException e) {
                return event.failed("the pool's answer is unusable: " + PointDecoder.describe(e));
              }
            },
            executor);
  }

  /** A pool request failed: the local model answers when the pool is at fault, otherwise the point is dead-lettered. */
  private SeriesEvent poolFailed(SeriesEvent event, Throwable error) {
    boolean poolAtFault = error instanceof TimeoutException || (error instanceof InferenceException ie && ie.fallBack());
    if (poolAtFault) {
      LOG.debug("pool failed for {}/{}; the local model answers", event.source(), event.channel(), error);
      return fallback(event);
    }
    LOG.warn("pool failed on series {}/{}", event.source(), event.channel(), error);
    String why =
        error instanceof InferenceException
            ? "inference pool: " + PointDecoder.describe(error)
            : "forecaster " + model.family() + ":" + model.version() + " failed: " + PointDecoder.describe(error);
    return event.failed(why);
  }

  private static Throwable unwrap(Throwable error) {
    Throwable t = error;
    while ((t instanceof CompletionException || t instanceof CancellationException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private SeriesEvent fallback(SeriesEvent event) {
    ForecastRequest request = event.request();
    try {
      ForecastResult result = local.forecast(request.window(), request.horizon());
      return event.answered(result, true);
    } catch (RuntimeException e) {
      return event.failed("fallback forecaster " + model.family() + " failed: " + PointDecoder.describe(e));
    }
  }

  /** The operator's timeout passed: the local model answers on the task thread, marked degraded. */
  @Override
  public void timeout(SeriesEvent event, ResultFuture<SeriesEvent> result) {
    result.complete(List.of(event.hasRequest() ? fallback(event) : event));
  }

  @Override
  public void close() {
    if (executor != null) {
      executor.shutdownNow();
    }
    if (client != null) {
      client.close();
    }
  }

  /** An in-process pool's client that owns its host, so that closing the client frees the models. */
  private static final class HostedClient implements InferenceClient {
    private final ModelHost host;
    private final InProcessClient client;

    HostedClient(ModelHost host) {
      this.host = host;
      this.client = new InProcessClient(host);
    }

    @Override
    public CompletableFuture<double[][][]> predict(String model, double[][][] windows, int horizon) {
      return client.predict(model, windows, horizon);
    }

    @Override
    public void close() {
      client.close();
      host.close();
    }
  }
}

package dev.sibyl.streams.flink;

import dev.sibyl.models.api.ForecastResult;
import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.TrainedForecasters;
import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.artifact.Artifacts;
import dev.sibyl.models.interval.SplitConformal;
import dev.sibyl.streams.core.ForecastRequest;
import dev.sibyl.streams.core.PointDecoder;
import dev.sibyl.workers.BatchingConfig;
import dev.sibyl.workers.InProcessClient;
import dev.sibyl.workers.InferenceClient;
import dev.sibyl.workers.InferenceException;
import dev.sibyl.workers.ModelHost;
import dev.sibyl.workers.RemotePool;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
 */
public final class InferenceFunction extends RichAsyncFunction<SeriesEvent, SeriesEvent> {

  private static final long serialVersionUID = 1L;

  private static final Logger LOG = LoggerFactory.getLogger(InferenceFunction.class);

  /** Numbers the inference threads of every instance in this JVM, for thread dumps. */
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final ModelSpec model;
  private final InferenceSettings settings;
  private transient Forecaster local;
  private transient Forecaster primary;
  private transient ExecutorService executor;
  private transient InferenceClient client;
  private transient ModelHost host;

  /**
   * @param model the forecaster (and artifact) of the pipeline
   * @param settings where the model runs
   */
  InferenceFunction(ModelSpec model, InferenceSettings settings) {
    this.model = model;
    this.settings = settings;
  }

  @Override
  public void open(OpenContext context) throws Exception {
    local = model.create();
    primary = local;
    if (settings.mode() != InferenceMode.DIRECT) {
      primary = poolForecaster();
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

  /** The artifact's model through the pool, with the local forecaster's intervals. */
  private Forecaster poolForecaster() throws Exception {
    String artifact = model.artifact();
    if (artifact == null || !(local instanceof SplitConformal conformal)) {
      throw new IllegalArgumentException(
          "inference mode " + settings.mode().configName() + " needs a trained artifact (model.option.artifact)");
    }
    WindowModel artifactModel = Artifacts.load(Path.of(artifact)).model();
    String name = settings.modelName().isBlank() ? Path.of(artifact).getFileName().toString() : settings.modelName();
    if (settings.mode() == InferenceMode.IN_PROCESS) {
      host = ModelHost.of(Map.of(name, artifactModel), BatchingConfig.DEFAULTS);
      client = new InProcessClient(host);
    } else {
      RemotePool.Builder pool = RemotePool.builder().optDeadline(Duration.ofMillis(settings.callTimeoutMillis()));
      for (String endpoint : settings.endpoints()) {
        int colon = endpoint.lastIndexOf(':');
        pool.addEndpoint(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1)));
      }
      client = pool.build();
    }
    PoolWindowModel pooled = new PoolWindowModel(client, name, artifactModel, settings.callTimeoutMillis());
    return new SplitConformal(TrainedForecasters.pointModel(pooled), conformal.coverage(), conformal.calibrationSize());
  }

  @Override
  public void asyncInvoke(SeriesEvent event, ResultFuture<SeriesEvent> result) {
    if (!event.hasRequest()) {
      result.complete(List.of(event));
      return;
    }
    CompletableFuture.supplyAsync(() -> answer(event), executor)
        .whenComplete(
            (answered, error) ->
                result.complete(List.of(error == null ? answered : event.failed("inference failed: " + PointDecoder.describe(error)))));
  }

  /** The primary model's answer, or the fallback's when the pool failed. */
  private SeriesEvent answer(SeriesEvent event) {
    ForecastRequest request = event.request();
    try {
      return event.answered(primary.forecast(request.window(), request.horizon()), false);
    } catch (RuntimeException e) {
      if (primary != local && poolFailure(e)) {
        LOG.debug("pool failed for {}/{}; the local model answers", event.source(), event.channel(), e);
        return fallback(event);
      }
      LOG.warn("forecaster failed on series {}/{}", event.source(), event.channel(), e);
      return event.failed("forecaster " + model.family() + ":" + model.version() + " failed: " + PointDecoder.describe(e));
    }
  }

  private static boolean poolFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof InferenceException ie) {
        return ie.fallBack();
      }
    }
    return false;
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
    if (host != null) {
      host.close();
    }
  }
}

package dev.sibyl.streams.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.sibyl.models.api.SeriesWindow;
import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.artifact.Artifacts;
import dev.sibyl.models.artifact.Manifest;
import dev.sibyl.models.controls.Dlinear;
import dev.sibyl.models.controls.DlinearFamily;
import dev.sibyl.streams.PipelineConfig;
import dev.sibyl.streams.core.ForecastRequest;
import dev.sibyl.streams.core.PooledForecaster;
import dev.sibyl.workers.BatchingConfig;
import dev.sibyl.workers.InProcessClient;
import dev.sibyl.workers.InferenceClient;
import dev.sibyl.workers.ModelHost;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.functions.DefaultOpenContext;
import org.apache.flink.streaming.api.functions.async.CollectionSupplier;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The inference function with a real DLinear artifact (seeded weights, DJL on the CPU): the
 * in-process worker pool gives the local model's numbers, one request of all the windows of a
 * forecast; an unreachable remote pool and the
 * operator's timeout both fall back to the local model, marked degraded; observations pass as they are.
 */
class InferenceFunctionTest {

  private static final int LOOKBACK = 24;
  private static final int HORIZON = 6;

  @TempDir static Path dir;
  private static ModelSpec model;

  @BeforeAll
  static void writeArtifact() throws Exception {
    Path artifact = dir.resolve("test-dlinear");
    Dlinear dlinear = new DlinearFamily().create(Map.of(), LOOKBACK, HORIZON, 7);
    Artifacts.save(
        artifact,
        new Manifest(Artifacts.FORMAT_VERSION, dlinear.family(), dlinear.version(), dlinear.hyperparameters(), LOOKBACK, HORIZON, "00", Map.of(), 0, "synthetic", Artifacts.now()),
        dlinear);
    model =
        ModelSpec.of(
            new PipelineConfig(
                Map.of(
                    PipelineConfig.MODEL_FAMILY_CONFIG, "dlinear",
                    PipelineConfig.MODEL_OPTIONS_PREFIX + "artifact", artifact.toString(),
                    PipelineConfig.MODEL_OPTIONS_PREFIX + "calibration.size", "8")));
  }

  private static SeriesEvent dueEvent() {
    int n = model.minHistory() + 5;
    long[] t = new long[n];
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      t[i] = 60_000L * i;
      v[i] = 20 + 5 * Math.sin(2 * Math.PI * i / 12.0) + 0.1 * (i % 3);
    }
    ForecastRequest request = new ForecastRequest(new SeriesWindow(t, v, 60_000), HORIZON);
    return SeriesEvent.due("u1", "x", t[n - 1], v[n - 1], false, true, new RawRecord("in", 0, 0, 0, null, new byte[0]), request);
  }

  /** Collects what the function completes the future with. */
  private static final class Collected implements ResultFuture<SeriesEvent> {
    final CompletableFuture<List<SeriesEvent>> out = new CompletableFuture<>();

    @Override
    public void complete(Collection<SeriesEvent> result) {
      out.complete(List.copyOf(result));
    }

    @Override
    public void completeExceptionally(Throwable error) {
      out.completeExceptionally(error);
    }

    @Override
    public void complete(CollectionSupplier<SeriesEvent> supplier) {
      try {
        complete(supplier.get());
      } catch (Exception e) {
        completeExceptionally(e);
      }
    }

    SeriesEvent single() throws Exception {
      List<SeriesEvent> events = out.get(60, TimeUnit.SECONDS);
      assertThat(events).hasSize(1);
      return events.get(0);
    }
  }

  private static SeriesEvent invoke(InferenceSettings settings, SeriesEvent event) throws Exception {
    InferenceFunction function = new InferenceFunction(model, settings);
    function.open(DefaultOpenContext.INSTANCE);
    try {
      Collected result = new Collected();
      function.asyncInvoke(event, result);
      return result.single();
    } finally {
      function.close();
    }
  }

  private static SeriesEvent direct(SeriesEvent event) {
    ForecastRequest request = event.request();
    return event.answered(model.create().forecast(request.window(), request.horizon()), false);
  }

  @Test
  void theInProcessPoolGivesTheLocalModelsForecast() throws Exception {
    SeriesEvent event = dueEvent();
    SeriesEvent answered = invoke(new InferenceSettings(InferenceMode.IN_PROCESS, List.of(), "", 1, 10_000), event);
    SeriesEvent expected = direct(event);
    assertThat(answered.degraded()).isFalse();
    assertThat(answered.failure()).isNull();
    assertThat(answered.mean()).hasSize(HORIZON).containsExactly(expected.mean());
    assertThat(answered.lower()).containsExactly(expected.lower());
    assertThat(answered.upper()).containsExactly(expected.upper());
  }

  /** Counts the requests and windows an in-process pool is sent. */
  private static final List<Integer> REQUESTS = new CopyOnWriteArrayList<>();

  private static InferenceClient countingPool(InferenceSettings settings, String name, WindowModel served) {
    ModelHost host = ModelHost.of(Map.of(name, served), BatchingConfig.DEFAULTS);
    InProcessClient client = new InProcessClient(host);
    return new InferenceClient() {
      @Override
      public CompletableFuture<double[][][]> predict(String model, double[][][] windows, int horizon) {
        REQUESTS.add(windows.length);
        return client.predict(model, windows, horizon);
      }

      @Override
      public void close() {
        client.close();
        host.close();
      }
    };
  }

  @Test
  void eachForecastIsOnePoolRequestOfAllItsWindowsAndEqualsTheLocalModel() throws Exception {
    REQUESTS.clear();
    SeriesEvent event = dueEvent();
    InferenceFunction function =
        new InferenceFunction(model, new InferenceSettings(InferenceMode.IN_PROCESS, List.of(), "", 2, 10_000), InferenceFunctionTest::countingPool);
    function.open(DefaultOpenContext.INSTANCE);
    SeriesEvent first;
    SeriesEvent second;
    try {
      Collected a = new Collected();
      Collected b = new Collected();
      function.asyncInvoke(event, a);
      function.asyncInvoke(event, b);
      first = a.single();
      second = b.single();
    } finally {
      function.close();
    }
    // The point forecast past the end plus one call per calibration origin, all in one request.
    Dlinear served = (Dlinear) Artifacts.load(Path.of(model.artifact())).model();
    int windows = PooledForecaster.twinOf(served, model.create()).plan(event.request().window(), HORIZON).length;
    assertThat(windows).isGreaterThan(1);
    assertThat(REQUESTS).containsExactly(windows, windows);
    SeriesEvent expected = direct(event);
    for (SeriesEvent answered : List.of(first, second)) {
      assertThat(answered.degraded()).isFalse();
      assertThat(answered.failure()).isNull();
      assertThat(answered.mean()).hasSize(HORIZON).containsExactly(expected.mean(), within(1e-9));
      assertThat(answered.lower()).containsExactly(expected.lower(), within(1e-9));
      assertThat(answered.upper()).containsExactly(expected.upper(), within(1e-9));
    }
  }

  @Test
  void anUnreachablePoolFallsBackToTheLocalModelMarkedDegraded() throws Exception {
    SeriesEvent event = dueEvent();
    // Port 1 on the loopback: refused at once, so the pool's breakers open and the call fails UNAVAILABLE.
    SeriesEvent answered = invoke(new InferenceSettings(InferenceMode.REMOTE, List.of("127.0.0.1:1"), "", 1, 2_000), event);
    assertThat(answered.degraded()).isTrue();
    assertThat(answered.mean()).containsExactly(direct(event).mean());
  }

  @Test
  void theOperatorTimeoutAnswersWithTheLocalModelAndObservationsPassUnchanged() throws Exception {
    InferenceFunction function = new InferenceFunction(model, new InferenceSettings(InferenceMode.DIRECT, List.of(), "", 1, 1_000));
    function.open(DefaultOpenContext.INSTANCE);
    try {
      SeriesEvent event = dueEvent();
      Collected timedOut = new Collected();
      function.timeout(event, timedOut);
      SeriesEvent answered = timedOut.single();
      assertThat(answered.degraded()).isTrue();
      assertThat(answered.mean()).containsExactly(direct(event).mean());

      SeriesEvent observation = SeriesEvent.observation("u1", "x", 5, 1.0, false, true);
      Collected passed = new Collected();
      function.asyncInvoke(observation, passed);
      assertThat(passed.single()).isSameAs(observation);
    }
    finally {
      function.close();
    }
  }
}

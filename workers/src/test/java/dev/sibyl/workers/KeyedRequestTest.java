package dev.sibyl.workers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.sibyl.models.api.KeyedForecaster;
import dev.sibyl.models.autotimes.AutoTimes;
import dev.sibyl.models.autotimes.AutoTimesConfig;
import dev.sibyl.models.autotimes.AutoTimesFamily;
import dev.sibyl.models.autotimes.AutoTimesStreaming;
import dev.sibyl.models.controls.Dlinear;
import dev.sibyl.models.controls.DlinearFamily;
import dev.sibyl.models.runtime.DeviceConfig;
import dev.sibyl.models.runtime.ModelRuntime;
import dev.sibyl.workers.v2.GRPCInferenceServiceGrpc;
import dev.sibyl.workers.v2.InferParameter;
import dev.sibyl.workers.v2.InferTensorContents;
import dev.sibyl.workers.v2.ModelInferRequest;
import dev.sibyl.workers.v2.ModelInferResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Keyed requests: the worker's per-series AutoTimes sessions, their cross-series batching in the
 * batcher, the v2 parameters over loopback, and routing by key in the pool. A small AutoTimes on
 * the real stories260K backbone (segments of 8, context 32) over ETTh1's columns.
 */
@Timeout(120)
class KeyedRequestTest {

  private static final int S = 8;
  private static final int L = 32;
  private static final double TOLERANCE = 1e-4;

  /** ETTh1's seven columns, 200 rows; shape (7, 200). */
  private static final double[][] COLUMNS = Ett.windows(1, 200, 0)[0];

  @BeforeAll
  static void oneThread() {
    ModelRuntime.start(new DeviceConfig(DeviceConfig.DEVICE_DEFAULT, 1, 1));
  }

  private static AutoTimes model() {
    Map<String, String> hp = new HashMap<>();
    hp.put(AutoTimesConfig.BACKBONE, Path.of(System.getProperty("sibyl.datasets", "../shared/datasets"), "tinylm", "stories260K.bin").toString());
    hp.put(AutoTimesConfig.SEGMENT_LENGTH, "" + S);
    hp.put(AutoTimesConfig.MLP_HIDDEN, "16");
    hp.put(AutoTimesConfig.STREAM_MAX_SEGMENTS, "7");
    return new AutoTimesFamily().create(hp, L, S, 3);
  }

  /** Channels [first, first + channels) of ETTh1 over points [end - n + 1, end], step 1. */
  private static KeyedRequest request(String key, int first, int channels, int end, int n) {
    double[][] w = new double[channels][];
    for (int c = 0; c < channels; c++) {
      w[c] = Arrays.copyOfRange(COLUMNS[first + c], end - n + 1, end + 1);
    }
    return new KeyedRequest(key, w, end, 1);
  }

  /** What a one-series-at-a-time forecaster answers, channel by channel, keyed as the batcher keys. */
  private static double[][] expected(KeyedForecaster reference, KeyedRequest r, int horizon) {
    double[][] out = new double[r.channels().length][];
    for (int c = 0; c < out.length; c++) {
      out[c] = reference.forecast(c + ":" + r.seriesKey(), r.window(c), horizon);
    }
    return out;
  }

  private static void assertClose(double[][] expected, double[][] actual) {
    assertThat(actual.length).isEqualTo(expected.length);
    for (int c = 0; c < expected.length; c++) {
      assertArrayEquals(expected[c], actual[c], TOLERANCE, "channel " + c);
    }
  }

  @Test
  void batchedKeyedAnswersEqualOneSeriesAtATime() throws Exception {
    AutoTimes model = model();
    // a long delay so that the requests of a round share one batch
    BatchingConfig batching = new BatchingConfig(64, Duration.ofMillis(200), 64);
    try (ModelHost host = ModelHost.of(Map.of("at", model), batching);
        InProcessClient client = new InProcessClient(host);
        AutoTimesStreaming reference = new AutoTimesStreaming(model, 64)) {
      // series i: channels i..i+2; they open at different points and advance by different amounts,
      // so a batch mixes new series, caches of different lengths, a rebuild at the bound and a
      // request between segment boundaries
      int[] ends = {L + S - 1, L + S + 3, L + S + 10, L + S + 20};
      int[][] advances = {{S, S, 2 * S}, {S, 3, 5 * S}, {2 * S, S, S}, {0, S, 4 * S + 2}};
      for (int round = 0; round <= advances[0].length; round++) {
        List<KeyedRequest> requests = new ArrayList<>();
        List<CompletableFuture<double[][]>> answers = new ArrayList<>();
        for (int i = 0; i < ends.length; i++) {
          if (round > 0) {
            ends[i] += advances[i][round - 1];
          }
          KeyedRequest r = request("s" + i, i, 3, ends[i], L + S);
          requests.add(r);
          answers.add(client.predictKeyed("at", r, S));
        }
        for (int i = 0; i < requests.size(); i++) {
          assertClose(expected(reference, requests.get(i), S), answers.get(i).get(30, TimeUnit.SECONDS));
        }
      }
      DynamicBatcher.Stats stats = host.batcher("at").stats();
      assertThat(stats.requests()).isEqualTo(16);
      assertThat(stats.meanBatchSize()).isGreaterThan(1.0);
      // a fresh series is the stateless forecast of its newest L points
      KeyedRequest fresh = request("new", 0, 2, 150, L);
      double[][] stateless = model.predict(new double[][][] {fresh.channels()}, S)[0];
      assertClose(stateless, client.predictKeyed("at", fresh, S).get(30, TimeUnit.SECONDS));
      // a window shorter than the lookback fails alone
      assertThatThrownBy(() -> client.predictKeyed("at", request("short", 0, 1, 100, L - 1), S).get(30, TimeUnit.SECONDS))
          .hasCauseInstanceOf(InferenceException.class)
          .hasMessageContaining("lookback 32");
    }
  }

  @Test
  void theKeyedBenchRunsBothConfigurationsWithoutFailures() throws Exception {
    AutoTimes model = model();
    WorkerBench.Result one = WorkerBench.runKeyed(model, new BatchingConfig(1, Duration.ZERO, 256), COLUMNS, S, S, 4, Duration.ofMillis(100), Duration.ofMillis(300));
    WorkerBench.Result dyn = WorkerBench.runKeyed(model, new BatchingConfig(64, Duration.ofMillis(5), 256), COLUMNS, S, S, 4, Duration.ofMillis(100), Duration.ofMillis(300));
    assertThat(one.failed() + dyn.failed()).isZero();
    assertThat(one.requests()).isPositive();
    assertThat(one.meanBatch()).isEqualTo(1.0);
    assertThat(dyn.meanBatch()).isGreaterThan(1.0);
  }

  @Test
  void aKeyedRequestToAModelWithoutSessionsIsAnsweredStatelessly() throws Exception {
    Dlinear dlinear = new DlinearFamily().create(Map.of(), L, S, 5);
    try (ModelHost host = ModelHost.of(Map.of("d", dlinear), BatchingConfig.DEFAULTS);
        InProcessClient client = new InProcessClient(host)) {
      KeyedRequest r = request("a", 0, 7, 80, L);
      assertClose(dlinear.predict(new double[][][] {r.channels()}, S)[0], client.predictKeyed("d", r, S).get(30, TimeUnit.SECONDS));
    }
  }

  @Test
  void aKeyedV2RequestBuiltByHandIsAnsweredOverLoopback() throws Exception {
    AutoTimes model = model();
    try (WorkerServer worker =
            WorkerServer.start(new InetSocketAddress("127.0.0.1", 0), ModelHost.of(Map.of("at", model), BatchingConfig.DEFAULTS), null, "test");
        AutoTimesStreaming reference = new AutoTimesStreaming(model, 8)) {
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", worker.port()).usePlaintext().build();
      try {
        GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub =
            GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
        // two requests of one series, the second a segment later; typed FP64 contents, times in ms
        for (int end : new int[] {L + 5, L + 5 + S}) {
          KeyedRequest r = new KeyedRequest("plant-7", new double[][] {Arrays.copyOfRange(COLUMNS[6], end - L + 1, end + 1)}, 3_600_000L * end, 3_600_000L);
          InferTensorContents.Builder contents = InferTensorContents.newBuilder();
          for (double v : r.channels()[0]) {
            contents.addFp64Contents(v);
          }
          ModelInferRequest request =
              ModelInferRequest.newBuilder()
                  .setModelName("at")
                  .setId("req-" + end)
                  .putParameters("horizon", InferParameter.newBuilder().setInt64Param(S).build())
                  .putParameters("series_key", InferParameter.newBuilder().setStringParam("plant-7").build())
                  .putParameters("series_end", InferParameter.newBuilder().setInt64Param(3_600_000L * end).build())
                  .putParameters("series_step", InferParameter.newBuilder().setInt64Param(3_600_000L).build())
                  .addInputs(
                      ModelInferRequest.InferInputTensor.newBuilder()
                          .setName("windows")
                          .setDatatype("FP64")
                          .addShape(1)
                          .addShape(1)
                          .addShape(L)
                          .setContents(contents))
                  .build();
          ModelInferResponse response = stub.modelInfer(request);
          assertThat(response.getId()).isEqualTo("req-" + end);
          assertThat(response.getOutputs(0).getShapeList()).containsExactly(1L, 1L, (long) S);
          assertClose(expected(reference, r, S), V2Codec.forecast(response)[0]);
        }
        // a keyed request is one window; the newest point's time is required
        ModelInferRequest two = V2Codec.request("at", new double[][][] {{COLUMNS[0]}, {COLUMNS[1]}}, S).toBuilder()
            .putParameters("series_key", InferParameter.newBuilder().setStringParam("x").build())
            .putParameters("series_end", InferParameter.newBuilder().setInt64Param(1).build())
            .build();
        assertThatThrownBy(() -> stub.modelInfer(two))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT))
            .hasMessageContaining("batch 2");
        ModelInferRequest noEnd = V2Codec.request("at", new double[][][] {{Arrays.copyOf(COLUMNS[0], L)}}, S).toBuilder()
            .putParameters("series_key", InferParameter.newBuilder().setStringParam("x").build())
            .build();
        assertThatThrownBy(() -> stub.modelInfer(noEnd)).hasMessageContaining("series_end");
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void thePoolSendsAKeyToOneWorkerAndFailsOverToAnotherThatRebuilds() throws Exception {
    AutoTimes model = model();
    WorkerServer a = WorkerServer.start(new InetSocketAddress("127.0.0.1", 0), ModelHost.of(Map.of("at", model), BatchingConfig.DEFAULTS), null, "a");
    try (WorkerServer b = WorkerServer.start(new InetSocketAddress("127.0.0.1", 0), ModelHost.of(Map.of("at", model), BatchingConfig.DEFAULTS), null, "b");
        RemotePool pool = RemotePool.builder()
            .addEndpoint("127.0.0.1", a.port())
            .addEndpoint("127.0.0.1", b.port())
            .optDeadline(Duration.ofSeconds(30))
            .build();
        AutoTimesStreaming reference = new AutoTimesStreaming(model, 64)) {
      // 1. Keys spread over both workers, each key always on its own
      int[] perEndpoint = new int[2];
      for (int k = 0; k < 40; k++) {
        perEndpoint[pool.endpointOf("series-" + k)]++;
      }
      assertThat(perEndpoint[0]).isGreaterThan(5);
      assertThat(perEndpoint[1]).isGreaterThan(5);
      String key = "series-0";
      int home = pool.endpointOf(key);
      for (int k = 0; k < 3; k++) {
        KeyedRequest r = request(key, 2, 2, L + 10 + k * S, L);
        assertClose(expected(reference, r, S), pool.predictKeyed("at", r, S).get(30, TimeUnit.SECONDS));
      }
      assertThat(pool.answered()[home]).isEqualTo(3);
      assertThat(pool.answered()[1 - home]).isZero();
      // 2. Its worker goes away: the other answers, rebuilding the series from the window
      (home == 0 ? a : b).close();
      KeyedRequest r = request(key, 2, 2, L + 10 + 3 * S, L);
      double[][] stateless = model.predict(new double[][][] {r.channels()}, S)[0];
      assertClose(stateless, pool.predictKeyed("at", r, S).get(30, TimeUnit.SECONDS));
      assertThat(pool.answered()[1 - home]).isEqualTo(1);
    } finally {
      a.close();
    }
  }
}

package dev.sibyl.workers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sibyl.models.controls.Dlinear;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(90)
class RemotePoolTest {

  private static final int L = 96;
  private static final int H = 24;
  private static final String MODEL = "etth1-dlinear";

  @TempDir Path artifacts;

  private WorkerServer startWorker() throws Exception {
    return WorkerServer.start(
        new InetSocketAddress("127.0.0.1", 0),
        ModelHost.load(artifacts, BatchingConfig.DEFAULTS),
        null,
        "test");
  }

  /** One worker dies with 300 requests going: every one is answered, by the other worker. */
  @Test
  void aWorkerKilledUnderLoadLosesNoForecast() throws Exception {
    Dlinear model = Ett.dlinearArtifact(artifacts.resolve(MODEL), L, H, 5);
    double[][][] windows = Ett.windows(300, L, 0);
    WorkerServer a = startWorker();
    WorkerServer b = startWorker();
    try (RemotePool pool =
        RemotePool.builder()
            .addEndpoint("127.0.0.1", a.port())
            .addEndpoint("127.0.0.1", b.port())
            .optDeadline(Duration.ofSeconds(10))
            .build()) {
      Semaphore inFlight = new Semaphore(32);
      AtomicInteger done = new AtomicInteger();
      List<CompletableFuture<double[][][]>> futures = new ArrayList<>();
      long answeredByBAtKill = -1;
      for (int i = 0; i < windows.length; i++) {
        if (i == 100) {
          // Kill A while up to 32 calls are in flight.
          a.kill();
          answeredByBAtKill = pool.answered()[1];
        }
        assertThat(inFlight.tryAcquire(20, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<double[][][]> f = pool.predict(MODEL, new double[][][] {windows[i]}, H);
        f.whenComplete((r, e) -> {
          done.incrementAndGet();
          inFlight.release();
        });
        futures.add(f);
      }
      for (int i = 0; i < windows.length; i++) {
        assertThat(futures.get(i).get(20, TimeUnit.SECONDS))
            .isDeepEqualTo(model.predict(new double[][][] {windows[i]}, H));
      }
      long[] answered = pool.answered();
      assertThat(answered[0] + answered[1]).isEqualTo(300);
      assertThat(answered[0]).isGreaterThan(0).isLessThanOrEqualTo(100);
      assertThat(answered[1] - answeredByBAtKill).isGreaterThanOrEqualTo(200);
    } finally {
      a.close();
      b.close();
    }
  }

  /** Nobody listens: the call fails fast with a fall-back reason, then the breakers stay open. */
  @Test
  void whenNoWorkerAnswersTheCallFailsForFallback() throws Exception {
    int deadPort1 = freePort();
    int deadPort2 = freePort();
    try (RemotePool pool =
        RemotePool.builder()
            .addEndpoint("127.0.0.1", deadPort1)
            .addEndpoint("127.0.0.1", deadPort2)
            .optCircuitBreaker(2, Duration.ofSeconds(30))
            .build()) {
      for (int call = 0; call < 2; call++) {
        CompletableFuture<double[][][]> f = pool.predict(MODEL, Ett.windows(1, L, 0), H);
        assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS))
            .isInstanceOf(ExecutionException.class)
            .cause()
            .isInstanceOfSatisfying(
                InferenceException.class,
                e -> {
                  assertThat(e.reason()).isEqualTo(InferenceException.Reason.UNAVAILABLE);
                  assertThat(e.fallBack()).isTrue();
                });
      }
      assertThat(pool.breakerStates())
          .containsExactly(CircuitBreaker.State.OPEN, CircuitBreaker.State.OPEN);

      long start = System.nanoTime();
      CompletableFuture<double[][][]> f = pool.predict(MODEL, Ett.windows(1, L, 0), H);
      assertThatThrownBy(() -> f.get(1, TimeUnit.SECONDS))
          .cause()
          .hasMessageContaining("the circuits of all 2 endpoints are open");
      assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(1));
    }
  }

  @Test
  void aBadRequestIsNotRetried() throws Exception {
    Ett.dlinearArtifact(artifacts.resolve(MODEL), L, H, 5);
    WorkerServer a = startWorker();
    // A long deadline: a cold first call on a busy machine must not turn into a retry.
    try (RemotePool pool =
        RemotePool.builder()
            .addEndpoint("127.0.0.1", a.port())
            .optDeadline(Duration.ofSeconds(20))
            .build()) {
      CompletableFuture<double[][][]> unknown = pool.predict("nope", Ett.windows(1, L, 0), H);
      assertThatThrownBy(() -> unknown.get(10, TimeUnit.SECONDS))
          .cause()
          .isInstanceOfSatisfying(
              InferenceException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(InferenceException.Reason.UNKNOWN_MODEL);
                assertThat(e.fallBack()).isFalse();
                assertThat(e).hasMessageContaining("unknown model 'nope'");
              });
      CompletableFuture<double[][][]> tooLong = pool.predict(MODEL, Ett.windows(1, L, 0), H + 1);
      assertThatThrownBy(() -> tooLong.get(10, TimeUnit.SECONDS))
          .cause()
          .isInstanceOfSatisfying(
              InferenceException.class,
              e -> assertThat(e.reason()).isEqualTo(InferenceException.Reason.BAD_REQUEST));
      assertThat(pool.retries()).isZero();
      assertThat(pool.breakerStates()).containsExactly(CircuitBreaker.State.CLOSED);
    } finally {
      a.close();
    }
  }

  @Test
  void inProcessClientAnswersLikeTheModel() throws Exception {
    Dlinear model = Ett.dlinearArtifact(artifacts.resolve(MODEL), L, H, 5);
    try (ModelHost host = ModelHost.load(artifacts, BatchingConfig.DEFAULTS);
        InferenceClient client = new InProcessClient(host)) {
      double[][][] w = Ett.windows(4, L, 10);
      assertThat(client.predict(MODEL, w, 6).get(10, TimeUnit.SECONDS))
          .isDeepEqualTo(model.predict(w, 6));
      assertThatThrownBy(() -> client.predict("nope", w, 6).get())
          .cause()
          .isInstanceOfSatisfying(
              InferenceException.class,
              e -> assertThat(e.reason()).isEqualTo(InferenceException.Reason.UNKNOWN_MODEL));
    }
  }

  @Test
  void builderChecksItsSettings() {
    assertThatThrownBy(() -> RemotePool.builder().build())
        .hasMessage("a pool needs at least one endpoint (addEndpoint)");
    assertThatThrownBy(() -> RemotePool.builder().addEndpoint("h", 0).build())
        .hasMessage("endpoint port must be in [1, 65535], got 0");
    assertThatThrownBy(() -> RemotePool.builder().addEndpoint("h", 1).optMaxAttempts(0).build())
        .hasMessage("maxAttempts must be >= 1, got 0");
    assertThatThrownBy(
            () -> RemotePool.builder().addEndpoint("h", 1).optDeadline(Duration.ZERO).build())
        .hasMessage("deadline must be positive, got PT0S");
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}

package dev.sibyl.workers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sibyl.models.api.ForwardingWindowModel;
import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.controls.Dlinear;
import dev.sibyl.models.controls.DlinearFamily;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class DynamicBatcherTest {

  private static final int L = 96;
  private static final int H = 24;

  private final Dlinear dlinear = new DlinearFamily().create(Map.of(), L, H, 3);

  /** 64 series at once: batched answers are bit-identical to one predict per series. */
  @Test
  void batchedResultsEqualUnbatchedOnes() throws Exception {
    double[][][] all = Ett.windows(64, L, 0);
    BatchingConfig config = new BatchingConfig(64, Duration.ofMillis(50), 1024);
    List<CompletableFuture<double[][][]>> futures = new ArrayList<>();
    DynamicBatcher.Stats stats;
    try (DynamicBatcher batcher = new DynamicBatcher("etth1", dlinear, config)) {
      CountDownLatch go = new CountDownLatch(1);
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        CompletableFuture<double[][][]> f = new CompletableFuture<>();
        futures.add(f);
        double[][][] one = {all[i]};
        // Horizons 24 and 12 in one batch: each group is its own model call.
        int horizon = i % 4 == 0 ? 12 : H;
        Thread t =
            new Thread(
                () -> {
                  try {
                    go.await();
                    batcher.submit(one, horizon).whenComplete((r, e) -> {
                      if (e != null) {
                        f.completeExceptionally(e);
                      } else {
                        f.complete(r);
                      }
                    });
                  } catch (InterruptedException e) {
                    f.completeExceptionally(e);
                  }
                },
                "series-" + i);
        t.start();
        threads.add(t);
      }
      go.countDown();
      for (Thread t : threads) {
        t.join(10_000);
      }
      for (int i = 0; i < 64; i++) {
        int horizon = i % 4 == 0 ? 12 : H;
        double[][][] expected = dlinear.predict(new double[][][] {all[i]}, horizon);
        assertThat(futures.get(i).get(10, TimeUnit.SECONDS)).isDeepEqualTo(expected);
      }
      stats = batcher.stats();
    }
    assertThat(stats.requests()).isEqualTo(64);
    assertThat(stats.windows()).isEqualTo(64);
    assertThat(stats.largestBatch()).isGreaterThan(1);
    assertThat(stats.batches()).isLessThan(64);
    assertThat(stats.meanBatchSize()).isGreaterThan(1.0);
  }

  @Test
  void aBatchNeverExceedsTheMaximumUnlessOneRequestDoes() throws Exception {
    BatchingConfig config = new BatchingConfig(8, Duration.ofMillis(20), 1024);
    try (DynamicBatcher batcher = new DynamicBatcher("etth1", dlinear, config)) {
      List<CompletableFuture<double[][][]>> futures = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        futures.add(batcher.submit(Ett.windows(3, L, i), H));
      }
      CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
      assertThat(batcher.stats().largestBatch()).isLessThanOrEqualTo(8);
      assertThat(batcher.submit(Ett.windows(11, L, 0), H).get(10, TimeUnit.SECONDS).length).isEqualTo(11);
      assertThat(batcher.stats().largestBatch()).isEqualTo(11);
    }
  }

  @Test
  void aFullQueueRefusesAtOnce() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    WindowModel gated = new Gated(dlinear, entered, release);
    BatchingConfig config = new BatchingConfig(1, Duration.ZERO, 2);
    try (DynamicBatcher batcher = new DynamicBatcher("gated", gated, config)) {
      // The first request occupies the batcher thread; two more fill the queue.
      CompletableFuture<double[][][]> running = batcher.submit(Ett.windows(1, L, 0), H);
      assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<double[][][]> q1 = batcher.submit(Ett.windows(1, L, 1), H);
      CompletableFuture<double[][][]> q2 = batcher.submit(Ett.windows(1, L, 2), H);

      CompletableFuture<double[][][]> refused = batcher.submit(Ett.windows(1, L, 3), H);

      assertThat(refused).isCompletedExceptionally();
      assertThatThrownBy(refused::get)
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(QueueFullException.class)
          .hasMessageContaining("queue of model 'gated' is full (2 requests waiting)");
      assertThat(batcher.stats().rejected()).isEqualTo(1);
      release.countDown();
      assertThat(running.get(10, TimeUnit.SECONDS).length).isEqualTo(1);
      assertThat(q1.get(10, TimeUnit.SECONDS).length).isEqualTo(1);
      assertThat(q2.get(10, TimeUnit.SECONDS).length).isEqualTo(1);
    }
  }

  /**
   * The queue delay counts from a request's arrival: requests that waited behind a long model call
   * run as soon as it ends, in one batch, instead of waiting the whole delay again (which left the
   * model idle while the queue held work).
   */
  @Test
  void theQueueDelayCountsFromTheFirstRequestsArrival() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Duration delay = Duration.ofMillis(1000);
    try (DynamicBatcher batcher =
        new DynamicBatcher("gated", new Gated(dlinear, entered, release), new BatchingConfig(8, delay, 16))) {
      CompletableFuture<double[][][]> running = batcher.submit(Ett.windows(1, L, 0), H);
      assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue(); // alone, after its delay
      CompletableFuture<double[][][]> q1 = batcher.submit(Ett.windows(1, L, 1), H);
      CompletableFuture<double[][][]> q2 = batcher.submit(Ett.windows(1, L, 2), H);
      Thread.sleep(delay.toMillis() + 100); // both have waited their whole delay behind the call

      long opened = System.nanoTime();
      release.countDown();
      q1.get(10, TimeUnit.SECONDS);
      q2.get(10, TimeUnit.SECONDS);
      long waitedMillis = (System.nanoTime() - opened) / 1_000_000;

      assertThat(running).isCompleted();
      assertThat(waitedMillis).isLessThan(delay.toMillis() / 2);
      assertThat(batcher.stats().batches()).isEqualTo(2); // q1 and q2 together
    }
  }

  @Test
  void closeFailsQueuedRequestsAndRefusesNewOnes() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    DynamicBatcher batcher =
        new DynamicBatcher(
            "gated", new Gated(dlinear, entered, release), new BatchingConfig(1, Duration.ZERO, 8));
    CompletableFuture<double[][][]> running = batcher.submit(Ett.windows(1, L, 0), H);
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<double[][][]> queued = batcher.submit(Ett.windows(1, L, 1), H);
    // close() interrupts the batcher thread, which opens the gate: the running batch completes.
    batcher.close();

    assertThat(running.get(10, TimeUnit.SECONDS).length).isEqualTo(1);
    assertThatThrownBy(() -> queued.get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(WorkerClosedException.class);
    assertThatThrownBy(() -> batcher.submit(Ett.windows(1, L, 1), H).get())
        .hasCauseInstanceOf(WorkerClosedException.class);
  }

  @Test
  void aBadRequestFailsAloneWithTheModelsMessage() {
    try (DynamicBatcher batcher = new DynamicBatcher("etth1", dlinear, BatchingConfig.DEFAULTS)) {
      assertThatThrownBy(() -> batcher.submit(Ett.windows(1, 48, 0), H).get())
          .hasCauseInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("dlinear needs windows of lookback 96, got 48");
    }
  }

  @Test
  void configChecksItsValues() {
    assertThatThrownBy(() -> new BatchingConfig(0, Duration.ZERO, 1))
        .hasMessage("maxBatchSize must be >= 1, got 0");
    assertThatThrownBy(() -> new BatchingConfig(1, Duration.ofMillis(-1), 1))
        .hasMessage("maxQueueDelay must be >= 0, got PT-0.001S");
    assertThatThrownBy(() -> new BatchingConfig(1, Duration.ZERO, 0))
        .hasMessage("queueCapacity must be >= 1, got 0");
    assertThat(BatchingConfig.DEFAULTS.maxBatchSize()).isEqualTo(64);
    assertThat(BatchingConfig.DEFAULTS.maxQueueDelay()).isEqualTo(Duration.ofMillis(5));
  }

  /** The real model behind a gate, so that a test can hold the batcher thread inside predict. */
  private static final class Gated extends ForwardingWindowModel {
    private final CountDownLatch entered;
    private final CountDownLatch release;

    Gated(WindowModel inner, CountDownLatch entered, CountDownLatch release) {
      super(inner);
      this.entered = entered;
      this.release = release;
    }

    @Override
    public double[][][] predict(double[][][] windows, int horizon) {
      entered.countDown();
      try {
        if (!release.await(20, TimeUnit.SECONDS)) {
          throw new IllegalStateException("gate never opened");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return delegate().predict(windows, horizon);
    }
  }
}

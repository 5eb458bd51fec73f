package dev.sibyl.workers;

import dev.sibyl.models.api.WindowModel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Measures a worker under closed-loop load: {@code series} concurrent series, each sending its
 * next one-window request as soon as the previous one is answered, through a {@link RemotePool}
 * to a real worker on the loopback interface. Run once with batching off (max batch 1) and once
 * with dynamic batching to see what batching buys for a model whose cost per call is high.
 */
public final class WorkerBench {

  /** Bound on waiting for the series to finish after the measured time. */
  private static final long DRAIN_SECONDS = 60;

  private WorkerBench() {}

  /**
   * One measured configuration.
   *
   * @param maxBatch the worker's max batch size
   * @param requests requests answered in the measured time
   * @param seconds the measured time
   * @param p50Millis median request latency, client side
   * @param p99Millis 99th percentile request latency, client side
   * @param meanBatch mean windows per model call on the worker
   * @param failed requests that failed (should be 0)
   */
  public record Result(
      int maxBatch,
      long requests,
      double seconds,
      double p50Millis,
      double p99Millis,
      double meanBatch,
      long failed) {

    /** Answered requests per second. */
    public double throughput() {
      return requests / seconds;
    }
  }

  /**
   * Runs one configuration: a warm-up, then the measured period.
   *
   * @param model the model; not null
   * @param config the worker's batching; not null
   * @param windows request windows, shape (n, channels, lookback); series i sends window {@code
   *     (i + k * series) mod n} as its k-th request; not null, not empty
   * @param horizon the horizon asked for
   * @param series concurrent series, at least 1
   * @param warmup time before measuring; not null
   * @param measure measured time; not null
   * @return the figures
   * @throws IOException when the worker cannot start
   * @throws InterruptedException when interrupted while waiting
   */
  public static Result run(
      WindowModel model,
      BatchingConfig config,
      double[][][] windows,
      int horizon,
      int series,
      Duration warmup,
      Duration measure)
      throws IOException, InterruptedException {
    Objects.requireNonNull(model, "model");
    if (series < 1 || windows.length == 0) {
      throw new IllegalArgumentException("need at least one series and one window");
    }
    ModelHost host = ModelHost.of(Map.of("bench", model), config);
    try (WorkerServer worker =
            WorkerServer.start(new InetSocketAddress("127.0.0.1", 0), host, null, "bench");
        RemotePool pool =
            RemotePool.builder()
                .addEndpoint("127.0.0.1", worker.port())
                .optDeadline(Duration.ofSeconds(60))
                .optMaxAttempts(1)
                .build()) {
      Load warm = new Load(pool, windows, horizon, series, warmup.toNanos());
      warm.await();
      DynamicBatcher.Stats before = host.batcher("bench").stats();
      Load load = new Load(pool, windows, horizon, series, measure.toNanos());
      load.await();
      DynamicBatcher.Stats after = host.batcher("bench").stats();
      long calls = after.batches() - before.batches();
      long windowsRun = after.windows() - before.windows();
      long[] lat = load.latencies();
      return new Result(
          config.maxBatchSize(),
          lat.length,
          load.seconds(),
          percentile(lat, 0.50) / 1e6,
          percentile(lat, 0.99) / 1e6,
          calls == 0 ? 0 : (double) windowsRun / calls,
          load.failed.get());
    }
  }

  private static double percentile(long[] sorted, double q) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  /** Closed-loop series; latencies of requests started before the end are kept. */
  private static final class Load {
    private final RemotePool pool;
    private final double[][][] windows;
    private final int horizon;
    private final int series;
    private final long start = System.nanoTime();
    private final long end;
    private final long[][] latencies;
    private final int[] counts;
    private final AtomicInteger finished = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong failed =
        new java.util.concurrent.atomic.AtomicLong();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private volatile long stopped;

    Load(RemotePool pool, double[][][] windows, int horizon, int series, long nanos) {
      this.pool = pool;
      this.windows = windows;
      this.horizon = horizon;
      this.series = series;
      this.end = start + nanos;
      this.latencies = new long[series][1024];
      this.counts = new int[series];
      for (int s = 0; s < series; s++) {
        next(s, 0);
      }
    }

    private void next(int s, int k) {
      long now = System.nanoTime();
      if (now >= end) {
        if (finished.incrementAndGet() == series) {
          stopped = System.nanoTime();
          done.complete(null);
        }
        return;
      }
      double[][][] one = {windows[(s + k * series) % windows.length]};
      pool.predict("bench", one, horizon)
          .whenComplete(
              (r, e) -> {
                if (e != null) {
                  failed.incrementAndGet();
                } else {
                  record(s, System.nanoTime() - now);
                }
                next(s, k + 1);
              });
    }

    // Each series records only from its own callbacks, one at a time: no lock needed.
    private void record(int s, long nanos) {
      if (counts[s] == latencies[s].length) {
        latencies[s] = Arrays.copyOf(latencies[s], counts[s] * 2);
      }
      latencies[s][counts[s]++] = nanos;
    }

    void await() throws InterruptedException {
      try {
        done.get(DRAIN_SECONDS + (end - start) / 1_000_000_000L, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        throw new IllegalStateException("bench series did not finish: " + e, e);
      }
    }

    double seconds() {
      return (stopped - start) / 1e9;
    }

    long[] latencies() {
      int n = 0;
      for (int c : counts) {
        n += c;
      }
      long[] all = new long[n];
      int at = 0;
      for (int s = 0; s < series; s++) {
        System.arraycopy(latencies[s], 0, all, at, counts[s]);
        at += counts[s];
      }
      Arrays.sort(all);
      return all;
    }
  }
}

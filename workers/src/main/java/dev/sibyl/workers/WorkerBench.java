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
import java.util.function.BiFunction;

/**
 * Measures a worker under closed-loop load: {@code series} concurrent series, each sending its
 * next one-window request as soon as the previous one is answered, through a {@link RemotePool}
 * to a real worker on the loopback interface. Run once with batching off (max batch 1) and once
 * with dynamic batching to see what batching buys for a model whose cost per call is high.
 *
 * <p>Two kinds of load: stateless ({@link #run}: each request a window of its own, the worker
 * runs a full pass per window) and keyed ({@link #runKeyed}: each series sends its own key and a
 * window that has advanced by a fixed number of points since its previous request, so a model with
 * a per-series cache decodes only the new segment, and the batcher decodes the new segments of
 * many series in one call).
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
   * @param modelCpuMillis CPU time of the worker's model thread (its batcher) in the measured time,
   *     or a negative value where the JVM does not measure it
   */
  public record Result(
      int maxBatch,
      long requests,
      double seconds,
      double p50Millis,
      double p99Millis,
      double meanBatch,
      long failed,
      double modelCpuMillis) {

    /** Answered requests per second. */
    public double throughput() {
      return requests / seconds;
    }

    /**
     * Model-thread CPU per answered request: the worker's own cost of a request, without the time
     * its model thread waited for requests, and far less sensitive than throughput to other
     * processes on the machine; NaN when not measured.
     */
    public double modelCpuMillisPerRequest() {
      return modelCpuMillis < 0 || requests == 0 ? Double.NaN : modelCpuMillis / requests;
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
    return measure(
        model,
        config,
        series,
        warmup,
        measure,
        (pool, series0) ->
            (s, k) -> pool.predict("bench", new double[][][] {windows[(s + k * series0) % windows.length]}, horizon));
  }

  /**
   * Runs one configuration of keyed load: series {@code s} has key {@code "series-<s>"} and its
   * own timeline over {@code columns}, starting at a point spread over the data; its k-th request
   * is the window of {@code model.lookback()} points ending {@code k * advance} points after its
   * first window's end (the data wrap around, with timestamps that keep increasing).
   *
   * @param model the model; not null
   * @param config the worker's batching; not null
   * @param columns the data, one row per channel; shape (channels, n), n &gt; lookback; not null
   * @param advance points each request adds, at least 1 (a segment, for AutoTimes)
   * @param horizon the horizon asked for
   * @param series concurrent series, at least 1
   * @param warmup time before measuring; not null
   * @param measure measured time; not null
   * @return the figures
   * @throws IOException when the worker cannot start
   * @throws InterruptedException when interrupted while waiting
   */
  public static Result runKeyed(
      WindowModel model,
      BatchingConfig config,
      double[][] columns,
      int advance,
      int horizon,
      int series,
      Duration warmup,
      Duration measure)
      throws IOException, InterruptedException {
    Objects.requireNonNull(model, "model");
    int n = columns[0].length;
    int l = model.lookback();
    if (series < 1 || advance < 1 || n <= l) {
      throw new IllegalArgumentException(
          "need at least one series, an advance >= 1 and more than " + l + " points, got " + series
              + ", " + advance + ", " + n);
    }
    return measure(
        model,
        config,
        series,
        warmup,
        measure,
        (pool, series0) ->
            (s, k) -> {
              long start = (long) s * n / series0;
              long end = start + l - 1 + (long) k * advance; // the newest point's time
              double[][] w = new double[columns.length][l];
              for (int c = 0; c < columns.length; c++) {
                for (int i = 0; i < l; i++) {
                  w[c][i] = columns[c][(int) ((end - (l - 1) + i) % n)];
                }
              }
              return pool.predictKeyed("bench", new KeyedRequest("series-" + s, w, end, 1), horizon);
            });
  }

  /** The requests of a load: for a pool and the series count, request k of series s. */
  private interface Requests {
    BiFunction<Integer, Integer, CompletableFuture<?>> on(RemotePool pool, int series);
  }

  private static Result measure(
      WindowModel model, BatchingConfig config, int series, Duration warmup, Duration measure, Requests requests)
      throws IOException, InterruptedException {
    ModelHost host = ModelHost.of(Map.of("bench", model), config);
    try (WorkerServer worker =
            WorkerServer.start(new InetSocketAddress("127.0.0.1", 0), host, null, "bench");
        RemotePool pool =
            RemotePool.builder()
                .addEndpoint("127.0.0.1", worker.port())
                .optDeadline(Duration.ofSeconds(60))
                .optMaxAttempts(1)
                .build()) {
      BiFunction<Integer, Integer, CompletableFuture<?>> call = requests.on(pool, series);
      Load warm = new Load(call, series, new int[series], warmup.toNanos());
      warm.await();
      DynamicBatcher.Stats before = host.batcher("bench").stats();
      // each series goes on from where its warm-up stopped (keyed: its cache is warm)
      Load load = new Load(call, series, warm.nextRequests(), measure.toNanos());
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
          load.failed.get(),
          before.cpuNanos() < 0 ? -1 : (after.cpuNanos() - before.cpuNanos()) / 1e6);
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
    private final BiFunction<Integer, Integer, CompletableFuture<?>> call;
    private final int series;
    private final int[] firstRequest; // per series
    private final int[] issued; // per series, requests started
    private final long start = System.nanoTime();
    private final long end;
    private final long[][] latencies;
    private final int[] counts;
    private final AtomicInteger finished = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong failed =
        new java.util.concurrent.atomic.AtomicLong();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private volatile long stopped;

    Load(BiFunction<Integer, Integer, CompletableFuture<?>> call, int series, int[] firstRequest, long nanos) {
      this.call = call;
      this.series = series;
      this.firstRequest = firstRequest;
      this.issued = new int[series];
      this.end = start + nanos;
      this.latencies = new long[series][1024];
      this.counts = new int[series];
      for (int s = 0; s < series; s++) {
        next(s, firstRequest[s]);
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
      issued[s] = k + 1 - firstRequest[s];
      call.apply(s, k)
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

    /** Per series, the index of its next request after this load. */
    int[] nextRequests() {
      int[] next = new int[series];
      for (int s = 0; s < series; s++) {
        next[s] = firstRequest[s] + issued[s];
      }
      return next;
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

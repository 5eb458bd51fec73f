package dev.sibyl.workers;

import dev.sibyl.models.api.KeyedForecaster;
import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.autotimes.AutoTimes;
import dev.sibyl.models.autotimes.AutoTimesStreaming;
import dev.sibyl.models.smetimes.SmeTimes;
import dev.sibyl.models.smetimes.SmeTimesStreaming;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gathers prediction requests for one model from many series and runs them as one {@link
 * WindowModel#predict} call (dynamic batching, as Triton does per model).
 *
 * <p>Requests wait in a bounded queue; one named thread, owned by this batcher and stopped by
 * {@link #close()}, takes the first request, then keeps taking requests until the batch holds
 * {@link BatchingConfig#maxBatchSize()} windows or {@link BatchingConfig#maxQueueDelay()} has
 * passed. Within a batch, requests with the same horizon and channel count are stacked along the
 * batch axis and predicted together; the result rows are split back to their requests. Because the
 * models are functions of each window alone (no cross-window state), a batched answer is the same
 * as the unbatched one; {@code DynamicBatcherTest} checks it bit for bit.
 *
 * <p>Keyed requests ({@link #submitKeyed}): for a model with a per-series cache (AutoTimes and
 * SMETimes: their KV caches), the batcher thread owns one {@link KeyedForecaster} holding the
 * series' sessions (at most {@value #KEYED_SESSIONS}, least recently used evicted), and answers
 * the keyed requests of a batch with one {@link KeyedForecaster#forecastChannels} call, which
 * decodes the new segments of all their series together. AutoTimes keeps one session per series
 * key with a cache row per channel, so that stacking the caches of a batch moves one array per
 * series and layer rather than one per channel (with per-channel sessions that stacking took a
 * third of a batched call); SMETimes keeps one session per channel. For any other model a keyed request is
 * answered as a stateless one over its window (which must then be the lookback long). The
 * sessions are an optimisation only: a keyed answer equals the unbatched keyed answer, and a
 * series whose session is missing is rebuilt from its window.
 *
 * <p>Metrics, tagged {@code model=<name>}: {@value #QUEUE_DEPTH} (gauge), {@value #BATCH_SIZE}
 * (windows per model call, with histogram buckets), {@value #LATENCY} (queue plus model time per
 * request, with percentile histogram) and {@value #REQUESTS} (tagged {@code outcome} = ok,
 * rejected, invalid or error).
 *
 * <p>Thread-safe: {@link #submit} may be called from any thread.
 */
public final class DynamicBatcher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(DynamicBatcher.class);

  /** Gauge: requests waiting. */
  public static final String QUEUE_DEPTH = "sibyl.worker.queue.depth";

  /** Distribution: windows per model call. */
  public static final String BATCH_SIZE = "sibyl.worker.batch.size";

  /** Timer: from submit to answer, per request. */
  public static final String LATENCY = "sibyl.worker.latency";

  /** Counter: requests by outcome. */
  public static final String REQUESTS = "sibyl.worker.requests";

  /** How often an idle batcher thread looks at its closed flag. */
  private static final long IDLE_POLL_MILLIS = 100;

  /** Sessions a batcher keeps for keyed requests (series keys; for SMETimes series channels). */
  public static final int KEYED_SESSIONS = 4096;

  /** Bound on waiting for the batcher thread at close: it finishes the batch it is running. */
  private static final long CLOSE_WAIT_MILLIS = 10_000;

  private final String name;
  // Volatile: hot reload swaps it while the batcher runs (see #replaceModel).
  private volatile WindowModel model;
  private final BatchingConfig config;
  private final BlockingQueue<Pending> queue;
  private final Thread thread;
  private volatile boolean closed;

  // Keyed sessions: used, replaced and closed (when it stops) only by the batcher thread.
  private KeyedForecaster keyed;
  private WindowModel keyedModel;

  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong windows = new AtomicLong();
  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong largestBatch = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();

  private final MeterRegistry registry;
  private final List<Meter> meters = new ArrayList<>();
  private final DistributionSummary batchSize;
  private final Timer latency;
  private final Counter ok;
  private final Counter rejectedCount;
  private final Counter invalid;
  private final Counter errors;

  /**
   * A request waiting in the queue. windows: (batch, channels, lookback); keyed: null for a
   * stateless request, else the request whose channels are {@code windows[0]}.
   */
  private record Pending(
      double[][][] windows,
      int horizon,
      long submittedNanos,
      CompletableFuture<double[][][]> result,
      KeyedRequest keyed) {
    int channels() {
      return windows.length == 0 ? 0 : windows[0].length;
    }
  }

  /** Requests of one batch that can share a model call. */
  private record Key(int horizon, int channels, boolean keyed) {}

  /**
   * A snapshot of the batcher's counters.
   *
   * @param requests requests accepted
   * @param windows windows accepted
   * @param batches model calls made (one per horizon and channel count in a gathered batch)
   * @param largestBatch most windows in one model call so far
   * @param rejected requests refused because the queue was full
   * @param failed requests whose model call threw
   * @param queueDepth requests waiting now
   * @param cpuNanos CPU time the batcher thread has used so far (the model's work, on one intra-op
   *     thread all of it), or -1 where the JVM does not measure thread CPU time
   */
  public record Stats(
      long requests,
      long windows,
      long batches,
      long largestBatch,
      long rejected,
      long failed,
      int queueDepth,
      long cpuNanos) {

    /** Mean windows per model call, 0 before the first. */
    public double meanBatchSize() {
      return batches == 0 ? 0 : (double) windows / batches;
    }
  }

  /**
   * Creates a batcher and starts its thread, named {@code sibyl-batcher-<name>}.
   *
   * @param name the model's name, for the thread and messages; not null
   * @param model the model; thread-safe, as every {@link WindowModel} is; not null
   * @param config batching settings; not null
   */
  public DynamicBatcher(String name, WindowModel model, BatchingConfig config) {
    this(name, model, config, new SimpleMeterRegistry());
  }

  /**
   * Creates a batcher that records its metrics in {@code registry} (removed again at {@link
   * #close()}) and starts its thread, named {@code sibyl-batcher-<name>}.
   *
   * @param name the model's name, for the thread, the metrics' tag and messages; not null
   * @param model the model; thread-safe, as every {@link WindowModel} is; not null
   * @param config batching settings; not null
   * @param registry where the metrics go; not null
   */
  public DynamicBatcher(
      String name, WindowModel model, BatchingConfig config, MeterRegistry registry) {
    this.name = Objects.requireNonNull(name, "name");
    this.registry = Objects.requireNonNull(registry, "registry");
    this.model = Objects.requireNonNull(model, "model");
    this.config = Objects.requireNonNull(config, "config");
    this.queue = new ArrayBlockingQueue<>(config.queueCapacity());
    meters.add(
        Gauge.builder(QUEUE_DEPTH, queue, BlockingQueue::size)
            .tag("model", name)
            .description("requests waiting for a batch")
            .register(registry));
    batchSize =
        DistributionSummary.builder(BATCH_SIZE)
            .tag("model", name)
            .description("windows per model call")
            .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256)
            .register(registry);
    meters.add(batchSize);
    latency =
        Timer.builder(LATENCY)
            .tag("model", name)
            .description("time from submit to answer")
            .publishPercentileHistogram()
            .register(registry);
    meters.add(latency);
    ok = outcome("ok");
    rejectedCount = outcome("rejected");
    invalid = outcome("invalid");
    errors = outcome("error");
    this.thread = new Thread(this::run, "sibyl-batcher-" + name);
    this.thread.setDaemon(true);
    this.thread.start();
  }

  private Counter outcome(String outcome) {
    Counter c =
        Counter.builder(REQUESTS)
            .tag("model", name)
            .tag("outcome", outcome)
            .description("requests by outcome")
            .register(registry);
    meters.add(c);
    return c;
  }

  /** The model this batcher serves now. */
  public WindowModel model() {
    return model;
  }

  /**
   * Serves a new version of the model from the next batch on (hot reload), keeping the queue:
   * no request is dropped. A queued request that the new model does not accept (another lookback
   * or a shorter horizon) fails with its {@link IllegalArgumentException}.
   *
   * @param next the new model; not null
   */
  public void replaceModel(WindowModel next) {
    this.model = Objects.requireNonNull(next, "next");
  }

  /**
   * Queues a request.
   *
   * @param windows shape (batch, channels, lookback), as {@link WindowModel#predict} takes; the
   *     caller must not change it afterwards; not null
   * @param horizon steps to forecast
   * @return the forecasts, shape (batch, channels, horizon); completes exceptionally with {@link
   *     IllegalArgumentException} for a shape or horizon the model does not serve, {@link
   *     QueueFullException} when the queue is full, {@link WorkerClosedException} once closed, or
   *     the model's own exception
   */
  public CompletableFuture<double[][][]> submit(double[][][] windows, int horizon) {
    Objects.requireNonNull(windows, "windows");
    // Checked here, not in the batch, so that one bad request fails alone.
    try {
      WindowModel.checkRequest(model, windows, horizon);
      checkRectangular(windows);
    } catch (IllegalArgumentException e) {
      return invalid(e);
    }
    if (windows.length == 0 && !closed) {
      return CompletableFuture.completedFuture(new double[0][][]);
    }
    return enqueue(new Pending(windows, horizon, System.nanoTime(), new CompletableFuture<>(), null));
  }

  /**
   * Queues a keyed request (see the class documentation).
   *
   * @param request the series and its window; for a model without per-series state the window
   *     must be the lookback long; the caller must not change it afterwards; not null
   * @param horizon steps to forecast
   * @return the forecasts, shape (1, channels, horizon); completes exceptionally as {@link #submit}
   */
  public CompletableFuture<double[][][]> submitKeyed(KeyedRequest request, int horizon) {
    Objects.requireNonNull(request, "request");
    double[][][] windows = {request.channels()};
    try {
      WindowModel m = model;
      if (keyedFamily(m)) {
        if (request.length() < m.lookback()) {
          throw new IllegalArgumentException(
              "model '" + name + "' needs a keyed window of at least its lookback " + m.lookback()
                  + " points, got " + request.length());
        }
        if (horizon < 1) {
          throw new IllegalArgumentException("horizon must be >= 1, got " + horizon);
        }
      } else {
        WindowModel.checkRequest(m, windows, horizon);
      }
    } catch (IllegalArgumentException e) {
      return invalid(e);
    }
    return enqueue(new Pending(windows, horizon, System.nanoTime(), new CompletableFuture<>(), request));
  }

  /** Whether keyed requests to {@code m} use per-series sessions. */
  private static boolean keyedFamily(WindowModel m) {
    return m instanceof AutoTimes || m instanceof SmeTimes;
  }

  private static KeyedForecaster keyedFor(WindowModel m) {
    if (m instanceof AutoTimes a) {
      return new AutoTimesStreaming(a, KEYED_SESSIONS);
    }
    if (m instanceof SmeTimes t) {
      return new SmeTimesStreaming(t, KEYED_SESSIONS);
    }
    return null;
  }

  /** A request refused before queueing: counted, and failed with its reason. */
  private CompletableFuture<double[][][]> invalid(IllegalArgumentException e) {
    invalid.increment();
    return CompletableFuture.failedFuture(e);
  }

  private CompletableFuture<double[][][]> enqueue(Pending pending) {
    CompletableFuture<double[][][]> result = pending.result;
    double[][][] windows = pending.windows;
    if (closed) {
      result.completeExceptionally(new WorkerClosedException("model '" + name + "' is closed"));
      return result;
    }
    if (!queue.offer(pending)) {
      rejected.incrementAndGet();
      rejectedCount.increment();
      result.completeExceptionally(new QueueFullException(name, config.queueCapacity()));
      return result;
    }
    requests.incrementAndGet();
    this.windows.addAndGet(windows.length);
    // A request that raced with close() must not wait for a thread that is gone.
    if (closed) {
      failPending();
    }
    return result;
  }

  /** The counters now. */
  public Stats stats() {
    return new Stats(
        requests.get(),
        windows.get(),
        batches.get(),
        largestBatch.get(),
        rejected.get(),
        failed.get(),
        queue.size(),
        threadCpuNanos());
  }

  private long threadCpuNanos() {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    return mx.isThreadCpuTimeSupported() ? mx.getThreadCpuTime(thread.getId()) : -1;
  }

  /**
   * Stops the thread after the batch it is running and fails every queued request with {@link
   * WorkerClosedException}. Idempotent.
   */
  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(CLOSE_WAIT_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    failPending();
    for (Meter m : meters) {
      registry.remove(m);
    }
  }

  private void failPending() {
    Pending p;
    while ((p = queue.poll()) != null) {
      p.result.completeExceptionally(new WorkerClosedException("model '" + name + "' is closed"));
    }
  }

  private static void checkRectangular(double[][][] windows) {
    for (double[][] window : windows) {
      if (window.length != windows[0].length) {
        throw new IllegalArgumentException(
            "every window of a request needs the same channel count: "
                + windows[0].length
                + " and "
                + window.length);
      }
    }
  }

  // ---------------------------------------------------------------- the batcher thread

  private void run() {
    Pending carry = null;
    while (!closed) {
      List<Pending> batch = new ArrayList<>();
      try {
        Pending first = carry != null ? carry : queue.poll(IDLE_POLL_MILLIS, TimeUnit.MILLISECONDS);
        carry = null;
        if (first == null) {
          continue;
        }
        batch.add(first);
        // Gather until full or the delay since the first request arrived has passed. Counted from
        // its arrival, not from now: after a long model call the first request has already
        // waited, and waiting the whole delay again would leave the model idle while the queue
        // holds work (measured: the batcher thread busy 82% of the time under 64 closed-loop
        // series).
        int size = first.windows.length;
        long deadline = first.submittedNanos + config.maxQueueDelay().toNanos();
        while (size < config.maxBatchSize()) {
          long left = deadline - System.nanoTime();
          Pending next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
          if (next == null) {
            break;
          }
          if (size + next.windows.length > config.maxBatchSize()) {
            carry = next;
            break;
          }
          batch.add(next);
          size += next.windows.length;
        }
      } catch (InterruptedException e) {
        // close() interrupts: run what was gathered, then leave the loop.
        if (carry != null) {
          batch.add(carry);
          carry = null;
        }
      }
      runBatch(batch);
    }
    if (carry != null) {
      carry.result.completeExceptionally(new WorkerClosedException("model '" + name + "' is closed"));
    }
    if (keyed != null) {
      keyed.close();
      keyed = null;
    }
  }

  private void runBatch(List<Pending> batch) {
    // one model for the whole batch: a hot reload may swap it meanwhile
    WindowModel m = model;
    Map<Key, List<Pending>> groups = new LinkedHashMap<>();
    for (Pending p : batch) {
      // a keyed request shares a call with keyed requests of any channel count
      boolean k = p.keyed != null && keyedFamily(m);
      groups.computeIfAbsent(new Key(p.horizon, k ? 0 : p.channels(), k), x -> new ArrayList<>()).add(p);
    }
    for (Map.Entry<Key, List<Pending>> group : groups.entrySet()) {
      if (group.getKey().keyed()) {
        runKeyed(m, group.getKey().horizon(), group.getValue());
      } else {
        runGroup(group.getKey().horizon(), group.getValue());
      }
    }
  }

  /** Keyed requests: every channel of every request in one {@link KeyedForecaster} call. */
  private void runKeyed(WindowModel m, int horizon, List<Pending> group) {
    // 1. The sessions follow the served model: a hot reload starts them afresh
    if (keyedModel != m) {
      if (keyed != null) {
        keyed.close();
      }
      keyed = keyedFor(m);
      keyedModel = m;
    }
    // 2. One series per request, all its channels together
    List<KeyedForecaster.ChannelsRequest> requests = new ArrayList<>(group.size());
    for (Pending p : group) {
      requests.add(p.keyed.toChannels());
    }
    List<double[][]> out;
    try {
      out = keyed.forecastChannels(requests, horizon);
    } catch (RuntimeException e) {
      LOG.warn("model '{}' failed on a keyed batch of {} series: {}", name, group.size(), e.toString());
      failed.addAndGet(group.size());
      errors.increment(group.size());
      for (Pending p : group) {
        p.result.completeExceptionally(e);
      }
      return;
    }
    batches.incrementAndGet();
    largestBatch.accumulateAndGet(group.size(), Math::max);
    batchSize.record(group.size());
    long now = System.nanoTime();
    // 3. Each request's channels back: (1, channels, horizon)
    for (int i = 0; i < group.size(); i++) {
      Pending p = group.get(i);
      latency.record(now - p.submittedNanos, TimeUnit.NANOSECONDS);
      ok.increment();
      p.result.complete(new double[][][] {out.get(i)});
    }
  }

  private void runGroup(int horizon, List<Pending> group) {
    // Stack the requests' windows along the batch axis: (sum of batches, channels, lookback).
    int total = 0;
    for (Pending p : group) {
      total += p.windows.length;
    }
    double[][][] stacked = new double[total][][];
    int at = 0;
    for (Pending p : group) {
      System.arraycopy(p.windows, 0, stacked, at, p.windows.length);
      at += p.windows.length;
    }
    double[][][] out;
    try {
      // predict checks the request again: a hot reload may have changed the model since submit.
      out = model.predict(stacked, horizon);
    } catch (RuntimeException e) {
      LOG.warn("model '{}' failed on a batch of {} windows: {}", name, total, e.toString());
      failed.addAndGet(group.size());
      errors.increment(group.size());
      for (Pending p : group) {
        p.result.completeExceptionally(e);
      }
      return;
    }
    batches.incrementAndGet();
    largestBatch.accumulateAndGet(total, Math::max);
    batchSize.record(total);
    long now = System.nanoTime();
    // Split the rows back: (batch_i, channels, horizon) per request.
    at = 0;
    for (Pending p : group) {
      double[][][] mine = new double[p.windows.length][][];
      System.arraycopy(out, at, mine, 0, mine.length);
      at += mine.length;
      latency.record(now - p.submittedNanos, TimeUnit.NANOSECONDS);
      ok.increment();
      p.result.complete(mine);
    }
  }
}

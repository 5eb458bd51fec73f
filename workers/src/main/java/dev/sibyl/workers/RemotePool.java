package dev.sibyl.workers;

import dev.sibyl.workers.v2.GRPCInferenceServiceGrpc;
import dev.sibyl.workers.v2.InferParameter;
import dev.sibyl.workers.v2.ModelInferRequest;
import dev.sibyl.workers.v2.ModelInferResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An {@link InferenceClient} over several workers (or any Open Inference Protocol v2 server:
 * Triton, KServe) reached by gRPC.
 *
 * <p>Each call goes to the next endpoint in round-robin order whose {@link CircuitBreaker} lets it
 * through, with a per-attempt deadline. A worker that is down or slow (UNAVAILABLE,
 * DEADLINE_EXCEEDED, CANCELLED: this client never cancels its own calls, so a cancel comes from a
 * worker going away) counts against its breaker, and the call is retried on another endpoint; a
 * full queue (RESOURCE_EXHAUSTED) is retried too, after an exponential backoff with jitter. Retries
 * are bounded by {@code maxAttempts}. When every breaker is open the call fails at once with
 * {@link InferenceException.Reason#UNAVAILABLE}, so that the caller can fall back without waiting.
 * A bad request or unknown model fails at once, without retry.
 *
 * <p>Metrics: {@value #REQUESTS} by {@code outcome} (ok or the {@link InferenceException.Reason}
 * in lower case), {@value #FALLBACKS} (calls that failed with a fall-back reason: the caller's
 * local model answers those), {@value #RETRIES}, and {@value #LATENCY} per call, retries included.
 *
 * <p>Keyed calls ({@link #predictKeyed}) go to one worker per series, chosen by consistent
 * hashing of the series key over the endpoints ({@value #RING_POINTS} points per endpoint on a
 * ring, by its {@code host:port}), so that the series' cached state is on that worker and every
 * client with the same endpoints sends the series to the same one; adding or removing a worker
 * moves only the series of its arcs. When that worker's breaker is open or the call fails over,
 * the next worker clockwise answers, rebuilding the series' state from the window: correct, only
 * slower.
 *
 * <p>Requests carry FP64 raw contents: the workers see the caller's doubles exactly. Owns its
 * channels and one named scheduler thread ({@code sibyl-pool-retry}); {@link #close()} releases
 * them.
 */
public final class RemotePool implements InferenceClient {

  /** Counter: calls by outcome. */
  public static final String REQUESTS = "sibyl.client.requests";

  /** Counter: calls that failed so that the caller falls back to a local model. */
  public static final String FALLBACKS = "sibyl.client.fallbacks";

  /** Counter: attempts beyond each call's first. */
  public static final String RETRIES = "sibyl.client.retries";

  /** Timer: call latency, retries included. */
  public static final String LATENCY = "sibyl.client.latency";

  /** Points per endpoint on the consistent-hashing ring of keyed calls. */
  public static final int RING_POINTS = 64;

  /** Bound on waiting for the channels to close. */
  private static final long CLOSE_WAIT_MILLIS = 5_000;

  private final List<Endpoint> endpoints;
  private final long[] ringHashes; // sorted
  private final int[] ringEndpoints; // endpoint index of each ring point
  private final Duration deadline;
  private final int maxAttempts;
  private final Duration backoffInitial;
  private final Duration backoffMax;
  private final ScheduledThreadPoolExecutor scheduler;
  private final AtomicInteger next = new AtomicInteger();
  private final AtomicLong retries = new AtomicLong();
  private final MeterRegistry registry;
  private final Counter retryCount;
  private final Counter fallbacks;
  private final Timer latency;

  /** One worker: its channel, stub and breaker, and how many calls it answered. */
  private static final class Endpoint {
    final String target;
    final ManagedChannel channel;
    final GRPCInferenceServiceGrpc.GRPCInferenceServiceStub stub;
    final CircuitBreaker breaker;
    final AtomicLong answered = new AtomicLong();

    Endpoint(String target, ManagedChannel channel, CircuitBreaker breaker) {
      this.target = target;
      this.channel = channel;
      this.stub = GRPCInferenceServiceGrpc.newStub(channel);
      this.breaker = breaker;
    }
  }

  private RemotePool(Builder b, List<Endpoint> endpoints) {
    this.endpoints = endpoints;
    // the ring: RING_POINTS hashes per endpoint, sorted
    long[][] points = new long[endpoints.size() * RING_POINTS][];
    for (int i = 0; i < endpoints.size(); i++) {
      for (int v = 0; v < RING_POINTS; v++) {
        points[i * RING_POINTS + v] = new long[] {hash(endpoints.get(i).target + "#" + v), i};
      }
    }
    Arrays.sort(points, (x, y) -> Long.compare(x[0], y[0]));
    this.ringHashes = new long[points.length];
    this.ringEndpoints = new int[points.length];
    for (int k = 0; k < points.length; k++) {
      ringHashes[k] = points[k][0];
      ringEndpoints[k] = (int) points[k][1];
    }
    this.deadline = b.deadline;
    this.maxAttempts = b.maxAttempts;
    this.backoffInitial = b.backoffInitial;
    this.backoffMax = b.backoffMax;
    this.registry = b.registry;
    this.retryCount = Counter.builder(RETRIES).register(registry);
    this.fallbacks = Counter.builder(FALLBACKS).register(registry);
    this.latency = Timer.builder(LATENCY).publishPercentileHistogram().register(registry);
    this.scheduler =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "sibyl-pool-retry");
              t.setDaemon(true);
              return t;
            });
    this.scheduler.setRemoveOnCancelPolicy(true);
  }

  /** A builder with the defaults: deadline 2 s, 3 attempts, backoff 10-200 ms, breaker 3 / 2 s. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public CompletableFuture<double[][][]> predict(String model, double[][][] windows, int horizon) {
    Objects.requireNonNull(model, "model");
    CompletableFuture<double[][][]> result = new CompletableFuture<>();
    long start = System.nanoTime();
    // The caller sees the answer only after it is counted.
    CompletableFuture<double[][][]> counted = result.whenComplete((r, e) -> record(start, e));
    ModelInferRequest request;
    try {
      request = V2Codec.request(model, windows, horizon);
    } catch (RuntimeException e) {
      result.completeExceptionally(
          new InferenceException(InferenceException.Reason.BAD_REQUEST, e.getMessage(), e));
      return counted;
    }
    attempt(request, 1, null, null, result);
    return counted;
  }

  /**
   * Forecasts one series on the worker its key hashes to (see the class documentation).
   *
   * @param model the model name; not null
   * @param request the series and its window; not null
   * @param horizon steps to forecast
   * @return shape (channels, horizon); completes exceptionally with {@link InferenceException}
   */
  @Override
  public CompletableFuture<double[][]> predictKeyed(String model, KeyedRequest request, int horizon) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(request, "request");
    CompletableFuture<double[][][]> result = new CompletableFuture<>();
    long start = System.nanoTime();
    CompletableFuture<double[][][]> counted = result.whenComplete((r, e) -> record(start, e));
    ModelInferRequest call;
    try {
      call = V2Codec.request(model, request, horizon);
    } catch (RuntimeException e) {
      result.completeExceptionally(
          new InferenceException(InferenceException.Reason.BAD_REQUEST, e.getMessage(), e));
      return counted.thenApply(f -> f[0]);
    }
    attempt(call, 1, null, null, result);
    return counted.thenApply(f -> f[0]);
  }

  /**
   * The endpoint a series key goes to while every breaker is closed (for tests and operators).
   *
   * @param seriesKey the key; not null
   * @return the endpoint's index, in the order they were added
   */
  public int endpointOf(String seriesKey) {
    return ringEndpoints[ringStart(seriesKey)];
  }

  /** The first ring point at or after the key's hash, wrapping. */
  private int ringStart(String seriesKey) {
    int i = Arrays.binarySearch(ringHashes, hash(seriesKey));
    if (i < 0) {
      i = -i - 1;
    }
    return i == ringHashes.length ? 0 : i;
  }

  /** 64-bit FNV-1a of the UTF-8 bytes, finished by SplitMix64's mixer to spread short keys. */
  private static long hash(String s) {
    long h = 0xcbf29ce484222325L;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    h ^= h >>> 30;
    h *= 0xbf58476d1ce4e5b9L;
    h ^= h >>> 27;
    h *= 0x94d049bb133111ebL;
    return h ^ (h >>> 31);
  }

  private void record(long startNanos, Throwable error) {
    latency.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    String outcome = "ok";
    if (error instanceof InferenceException ie) {
      outcome = ie.reason().name().toLowerCase(java.util.Locale.ROOT);
      if (ie.fallBack()) {
        fallbacks.increment();
      }
    } else if (error != null) {
      outcome = "failed";
    }
    registry.counter(REQUESTS, "outcome", outcome).increment();
  }

  private void attempt(
      ModelInferRequest request,
      int attempt,
      InferenceException last,
      Endpoint failed,
      CompletableFuture<double[][][]> result) {
    InferParameter key = request.getParametersMap().get(V2Codec.SERIES_KEY);
    Endpoint e = key == null ? pick(failed) : pickOnRing(key.getStringParam(), failed);
    if (e == null) {
      result.completeExceptionally(
          new InferenceException(
              InferenceException.Reason.UNAVAILABLE,
              "no worker available for model '"
                  + request.getModelName()
                  + "': the circuits of all "
                  + endpoints.size()
                  + " endpoints are open"
                  + (last == null ? "" : "; last error: " + last.getMessage()),
              last));
      return;
    }
    e.stub
        .withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS)
        .modelInfer(
            request,
            new StreamObserver<>() {
              private ModelInferResponse response;

              @Override
              public void onNext(ModelInferResponse value) {
                response = value;
              }

              @Override
              public void onError(Throwable t) {
                failed(request, attempt, e, Status.fromThrowable(t), result);
              }

              @Override
              public void onCompleted() {
                e.breaker.onSuccess();
                e.answered.incrementAndGet();
                try {
                  result.complete(V2Codec.forecast(response));
                } catch (RuntimeException ex) {
                  result.completeExceptionally(
                      new InferenceException(
                          InferenceException.Reason.FAILED,
                          e.target + " answered an unreadable forecast: " + ex.getMessage(),
                          ex));
                }
              }
            });
  }

  private void failed(
      ModelInferRequest request,
      int attempt,
      Endpoint e,
      Status status,
      CompletableFuture<double[][][]> result) {
    InferenceException.Reason reason;
    switch (status.getCode()) {
      case UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED -> {
        e.breaker.onFailure();
        reason = InferenceException.Reason.UNAVAILABLE;
      }
      case RESOURCE_EXHAUSTED -> {
        // Overloaded but alive: not a breaker failure.
        e.breaker.onSuccess();
        reason = InferenceException.Reason.OVERLOADED;
      }
      case NOT_FOUND -> {
        e.breaker.onSuccess();
        reason = InferenceException.Reason.UNKNOWN_MODEL;
      }
      case INVALID_ARGUMENT, OUT_OF_RANGE -> {
        e.breaker.onSuccess();
        reason = InferenceException.Reason.BAD_REQUEST;
      }
      default -> {
        e.breaker.onSuccess();
        reason = InferenceException.Reason.FAILED;
      }
    }
    InferenceException error =
        new InferenceException(
            reason,
            e.target
                + " "
                + status.getCode()
                + " for model '"
                + request.getModelName()
                + "'"
                + (status.getDescription() == null ? "" : ": " + status.getDescription()),
            status.asRuntimeException());
    if (!error.fallBack() || attempt >= maxAttempts) {
      result.completeExceptionally(error);
      return;
    }
    retries.incrementAndGet();
    retryCount.increment();
    if (reason == InferenceException.Reason.UNAVAILABLE) {
      // Another worker is likely up: go there at once.
      attempt(request, attempt + 1, error, e, result);
      return;
    }
    scheduler.schedule(
        () -> attempt(request, attempt + 1, error, e, result),
        backoffNanos(attempt),
        TimeUnit.NANOSECONDS);
  }

  /** Exponential backoff, capped, with full jitter in its upper half. */
  private long backoffNanos(int attempt) {
    long base = backoffInitial.toNanos() << Math.min(attempt - 1, 20);
    long capped = Math.min(base, backoffMax.toNanos());
    return capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1);
  }

  /**
   * The next endpoint in round-robin order whose breaker lets a call through, other than {@code
   * avoid} (the one that just failed this call) unless it is the only one left; null when none.
   */
  private Endpoint pick(Endpoint avoid) {
    int start = Math.floorMod(next.getAndIncrement(), endpoints.size());
    for (int i = 0; i < endpoints.size(); i++) {
      Endpoint e = endpoints.get((start + i) % endpoints.size());
      if (e != avoid && e.breaker.tryAcquire()) {
        return e;
      }
    }
    return avoid != null && avoid.breaker.tryAcquire() ? avoid : null;
  }

  /**
   * The endpoint of a key: the first clockwise on the ring from the key's hash whose breaker lets
   * a call through, other than {@code avoid} unless it is the only one left; null when none.
   */
  private Endpoint pickOnRing(String seriesKey, Endpoint avoid) {
    boolean[] tried = new boolean[endpoints.size()];
    int start = ringStart(seriesKey);
    for (int k = 0; k < ringHashes.length; k++) {
      int i = ringEndpoints[(start + k) % ringHashes.length];
      Endpoint e = endpoints.get(i);
      if (tried[i] || e == avoid) {
        continue;
      }
      tried[i] = true;
      // one breaker question per endpoint: a half-open breaker lets one probe through
      if (e.breaker.tryAcquire()) {
        return e;
      }
    }
    return avoid != null && avoid.breaker.tryAcquire() ? avoid : null;
  }

  /**
   * Calls answered per endpoint, in the order they were added (for tests and metrics).
   *
   * @return one count per endpoint
   */
  public long[] answered() {
    long[] a = new long[endpoints.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = endpoints.get(i).answered.get();
    }
    return a;
  }

  /** Attempts made beyond each call's first. */
  public long retries() {
    return retries.get();
  }

  /**
   * The breaker state per endpoint, in the order they were added.
   *
   * @return one state per endpoint
   */
  public List<CircuitBreaker.State> breakerStates() {
    List<CircuitBreaker.State> s = new ArrayList<>();
    for (Endpoint e : endpoints) {
      s.add(e.breaker.state());
    }
    return s;
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    for (Endpoint e : endpoints) {
      e.channel.shutdownNow();
    }
    try {
      for (Endpoint e : endpoints) {
        e.channel.awaitTermination(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
      }
      scheduler.awaitTermination(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
    }
  }

  /** Builds a {@link RemotePool}; {@link #build()} checks the settings. */
  public static final class Builder {
    private final List<String> hosts = new ArrayList<>();
    private final List<Integer> ports = new ArrayList<>();
    private Duration deadline = Duration.ofSeconds(2);
    private int maxAttempts = 3;
    private Duration backoffInitial = Duration.ofMillis(10);
    private Duration backoffMax = Duration.ofMillis(200);
    private int breakerFailures = 3;
    private Duration breakerOpenFor = Duration.ofSeconds(2);
    private ClientTls tls;
    private MeterRegistry registry = new SimpleMeterRegistry();

    private Builder() {}

    /**
     * Records the pool's metrics in {@code registry} (default: a private one).
     *
     * @param registry not null
     * @return this
     */
    public Builder optMeterRegistry(MeterRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
      return this;
    }

    /**
     * Adds a worker (required: at least one).
     *
     * @param host host name or address; not null
     * @param port its port
     * @return this
     */
    public Builder addEndpoint(String host, int port) {
      hosts.add(Objects.requireNonNull(host, "host"));
      ports.add(port);
      return this;
    }

    /**
     * Sets the deadline of each attempt (default 2 s).
     *
     * @param deadline positive; not null
     * @return this
     */
    public Builder optDeadline(Duration deadline) {
      this.deadline = Objects.requireNonNull(deadline, "deadline");
      return this;
    }

    /**
     * Sets the attempts per call, the first included (default 3).
     *
     * @param maxAttempts at least 1
     * @return this
     */
    public Builder optMaxAttempts(int maxAttempts) {
      this.maxAttempts = maxAttempts;
      return this;
    }

    /**
     * Sets the backoff after an overloaded answer: {@code initial} doubled per attempt, capped at
     * {@code max}, jittered (defaults 10 ms and 200 ms).
     *
     * @param initial positive; not null
     * @param max at least {@code initial}; not null
     * @return this
     */
    public Builder optBackoff(Duration initial, Duration max) {
      this.backoffInitial = Objects.requireNonNull(initial, "initial");
      this.backoffMax = Objects.requireNonNull(max, "max");
      return this;
    }

    /**
     * Sets each endpoint's circuit breaker (defaults 3 failures, open for 2 s).
     *
     * @param failures consecutive failures that open it, at least 1
     * @param openFor how long it stays open, positive; not null
     * @return this
     */
    public Builder optCircuitBreaker(int failures, Duration openFor) {
      this.breakerFailures = failures;
      this.breakerOpenFor = Objects.requireNonNull(openFor, "openFor");
      return this;
    }

    /**
     * Uses TLS (and mutual TLS when {@code tls} has a client certificate); default plaintext.
     *
     * @param tls the files; null for plaintext
     * @return this
     */
    public Builder optTls(ClientTls tls) {
      this.tls = tls;
      return this;
    }

    /**
     * Checks the settings and opens one channel per endpoint (connections are made lazily).
     *
     * @return the pool
     * @throws IllegalArgumentException naming the bad setting
     * @throws IOException when a TLS file cannot be read
     */
    public RemotePool build() throws IOException {
      sanityCheck();
      List<Endpoint> endpoints = new ArrayList<>();
      for (int i = 0; i < hosts.size(); i++) {
        NettyChannelBuilder channel = NettyChannelBuilder.forAddress(hosts.get(i), ports.get(i));
        if (tls == null) {
          channel.usePlaintext();
        } else {
          SslContextBuilder ssl = GrpcSslContexts.forClient();
          if (tls.trustedCa() != null) {
            ssl.trustManager(tls.trustedCa().toFile());
          }
          if (tls.certificateChain() != null) {
            ssl.keyManager(tls.certificateChain().toFile(), tls.privateKey().toFile());
          }
          channel.sslContext(ssl.build());
        }
        endpoints.add(
            new Endpoint(
                hosts.get(i) + ":" + ports.get(i),
                channel.build(),
                new CircuitBreaker(breakerFailures, breakerOpenFor, System::nanoTime)));
      }
      return new RemotePool(this, List.copyOf(endpoints));
    }

    private void sanityCheck() {
      if (hosts.isEmpty()) {
        throw new IllegalArgumentException("a pool needs at least one endpoint (addEndpoint)");
      }
      for (int port : ports) {
        if (port < 1 || port > 65535) {
          throw new IllegalArgumentException("endpoint port must be in [1, 65535], got " + port);
        }
      }
      if (deadline.isNegative() || deadline.isZero()) {
        throw new IllegalArgumentException("deadline must be positive, got " + deadline);
      }
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be >= 1, got " + maxAttempts);
      }
      if (backoffInitial.isNegative() || backoffInitial.isZero() || backoffMax.compareTo(backoffInitial) < 0) {
        throw new IllegalArgumentException(
            "backoff needs 0 < initial <= max, got " + backoffInitial + " and " + backoffMax);
      }
      if (breakerFailures < 1) {
        throw new IllegalArgumentException("breaker failures must be >= 1, got " + breakerFailures);
      }
      if (breakerOpenFor.isNegative() || breakerOpenFor.isZero()) {
        throw new IllegalArgumentException("breaker open time must be positive, got " + breakerOpenFor);
      }
    }
  }
}

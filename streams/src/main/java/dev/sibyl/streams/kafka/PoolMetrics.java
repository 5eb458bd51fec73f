package dev.sibyl.streams.kafka;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The meters of the pipeline's use of an inference pool, shared by the stream tasks of one
 * pipeline. Names (Prometheus turns the dots into underscores):
 *
 * <ul>
 *   <li>{@value #IN_FLIGHT}: gauge, pool requests sent and not yet handled;
 *   <li>{@value #QUEUED}: gauge, due forecasts gathered and not yet sent;
 *   <li>{@value #BATCH_FORECASTS} and {@value #BATCH_WINDOWS}: distributions of the forecasts and
 *       model windows per request;
 *   <li>{@value #LATENCY}: timer, from sending a request to handling its answer on the stream thread;
 *   <li>{@value #ERRORS}: counter of failed requests by {@code reason};
 *   <li>{@value #FALLBACKS}: counter of forecasts answered by the fallback model (degraded);
 *   <li>{@value #FORECASTS}: counter of forecasts emitted from the pool's answers.
 * </ul>
 */
final class PoolMetrics {

  static final String IN_FLIGHT = "sibyl.pipeline.pool.in.flight";
  static final String QUEUED = "sibyl.pipeline.pool.queued";
  static final String BATCH_FORECASTS = "sibyl.pipeline.pool.batch.forecasts";
  static final String BATCH_WINDOWS = "sibyl.pipeline.pool.batch.windows";
  static final String LATENCY = "sibyl.pipeline.pool.latency";
  static final String ERRORS = "sibyl.pipeline.pool.errors";
  static final String FALLBACKS = "sibyl.pipeline.pool.fallbacks";
  static final String FORECASTS = "sibyl.pipeline.pool.forecasts";

  private final MeterRegistry registry;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger queued = new AtomicInteger();
  private final DistributionSummary batchForecasts;
  private final DistributionSummary batchWindows;
  private final Timer latency;
  private final Counter fallbacks;
  private final Counter forecasts;

  PoolMetrics(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder(IN_FLIGHT, inFlight, AtomicInteger::get).description("pool requests unanswered").register(registry);
    Gauge.builder(QUEUED, queued, AtomicInteger::get).description("due forecasts not yet sent").register(registry);
    this.batchForecasts = DistributionSummary.builder(BATCH_FORECASTS).publishPercentileHistogram().register(registry);
    this.batchWindows = DistributionSummary.builder(BATCH_WINDOWS).publishPercentileHistogram().register(registry);
    this.latency = Timer.builder(LATENCY).publishPercentileHistogram().register(registry);
    this.fallbacks = Counter.builder(FALLBACKS).register(registry);
    this.forecasts = Counter.builder(FORECASTS).register(registry);
  }

  void queued(int delta) {
    queued.addAndGet(delta);
  }

  void sent(int forecasts, int windows) {
    inFlight.incrementAndGet();
    batchForecasts.record(forecasts);
    batchWindows.record(windows);
  }

  void handled(long sentNanos) {
    inFlight.decrementAndGet();
    latency.record(System.nanoTime() - sentNanos, TimeUnit.NANOSECONDS);
  }

  /** Requests dropped unhandled (their task closed); their forecasts stay pending in the store. */
  void dropped(int requests) {
    inFlight.addAndGet(-requests);
  }

  void failed(String reason) {
    registry.counter(ERRORS, "reason", reason.toLowerCase(Locale.ROOT)).increment();
  }

  void fellBack(int count) {
    fallbacks.increment(count);
  }

  void emitted(int count) {
    forecasts.increment(count);
  }
}

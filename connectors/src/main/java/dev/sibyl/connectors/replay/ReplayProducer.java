package dev.sibyl.connectors.replay;

import dev.sibyl.schemas.TelemetryPoint;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Sends telemetry points to a topic, keyed by source, paced in one of three ways:
 *
 * <ul>
 *   <li>as fast as possible (the default, or speed 0 / rate 0);
 *   <li>by event time ({@link Builder#optSpeed}): a point whose event time is {@code d} after the
 *       first point's is sent {@code d / speed} of wall time after the start; speed 3600 replays an
 *       hourly file at one row per second;
 *   <li>at a fixed rate ({@link Builder#optRate}): {@code rate} points per second of wall time,
 *       whatever their event times.
 * </ul>
 *
 * <p>Pacing aims at a schedule relative to the start rather than sleeping between records, so
 * small delays do not accumulate; a sender that falls behind catches up without sleeping.
 *
 * <p>Each record's Kafka timestamp is the point's event time, so event-time processing downstream
 * needs no custom timestamp extractor. The replay stops at the first failed send (a broken broker
 * connection would otherwise fail every following record too) and reports it in the {@link
 * ReplayResult}.
 *
 * <p>The producer is owned by the caller, who closes it; {@link #run} flushes it before returning.
 * One instance runs one replay at a time; {@link #stop()} may be called from any thread.
 */
public final class ReplayProducer {

  /** Longest single sleep, so that {@link #stop()} takes effect within this time. */
  private static final long MAX_SLEEP_NANOS = Duration.ofMillis(100).toNanos();

  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  private final Producer<String, TelemetryPoint> producer;
  private final String topic;
  private final double speed;
  private final double rate;
  private final Consumer<ReplayProgress> progressListener;
  private final long progressIntervalNanos;
  private final PacingClock clock;
  private volatile boolean stopRequested;

  private ReplayProducer(Builder builder) {
    this.producer = builder.producer;
    this.topic = builder.topic;
    this.speed = builder.speed;
    this.rate = builder.rate;
    this.progressListener = builder.progressListener;
    this.progressIntervalNanos = builder.progressInterval.toNanos();
    this.clock = builder.clock;
  }

  /** A builder; {@link Builder#setProducer} and {@link Builder#setTopic} are required. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Sends every point of the iterator (or until {@link #stop()}, an interrupt or the first failed
   * send), then flushes the producer.
   *
   * @param points the points in send order; may be infinite (then only a stop ends the replay)
   * @return the counts; {@link ReplayResult#failed()} is 0 when every record was acknowledged
   * @throws org.apache.kafka.common.KafkaException when the producer rejects a record outright
   *     (e.g. metadata for the topic could not be fetched within {@code max.block.ms})
   */
  public ReplayResult run(Iterator<TelemetryPoint> points) {
    AtomicLong acknowledged = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    AtomicReference<Exception> firstError = new AtomicReference<>();
    long start = clock.nanoTime();
    long lastProgress = start;
    long sent = 0;
    long firstEventMillis = Long.MIN_VALUE;
    Instant lastEventTime = null;
    boolean stopped = false;

    while (points.hasNext()) {
      if (stopRequested || Thread.currentThread().isInterrupted() || failed.get() > 0) {
        stopped = failed.get() == 0;
        break;
      }
      TelemetryPoint point = points.next();
      long eventMillis = point.getTimestamp().toEpochMilli();
      if (firstEventMillis == Long.MIN_VALUE) {
        firstEventMillis = eventMillis;
      }

      // Pace: wait until this record's slot on the schedule.
      long dueNanos = start + scheduleOffsetNanos(sent, eventMillis - firstEventMillis);
      if (!sleepUntil(dueNanos)) {
        stopped = true;
        break;
      }

      // Send, keyed by source so that each series stays in one partition, in order.
      ProducerRecord<String, TelemetryPoint> record =
          new ProducerRecord<>(topic, null, eventMillis, point.getSource(), point);
      producer.send(
          record,
          (metadata, error) -> {
            if (error == null) {
              acknowledged.incrementAndGet();
            } else {
              failed.incrementAndGet();
              firstError.compareAndSet(null, error);
            }
          });
      sent++;
      lastEventTime = point.getTimestamp();

      // Report progress at most once per interval.
      long now = clock.nanoTime();
      if (progressListener != null && now - lastProgress >= progressIntervalNanos) {
        lastProgress = now;
        progressListener.accept(
            progress(sent, acknowledged.get(), failed.get(), lastEventTime, now - start, false));
      }
    }

    producer.flush();
    long elapsed = clock.nanoTime() - start;
    if (progressListener != null) {
      progressListener.accept(
          progress(sent, acknowledged.get(), failed.get(), lastEventTime, elapsed, true));
    }
    return new ReplayResult(
        sent,
        acknowledged.get(),
        failed.get(),
        firstError.get(),
        Duration.ofNanos(elapsed),
        stopped && failed.get() == 0);
  }

  /**
   * Asks a running {@link #run} to stop after the record it is sending; it then flushes and
   * returns. Safe to call from any thread, e.g. a shutdown hook.
   */
  public void stop() {
    stopRequested = true;
  }

  /** Wall-time offset from the start at which record number {@code index} is due. */
  private long scheduleOffsetNanos(long index, long eventOffsetMillis) {
    if (speed > 0) {
      // Event time may go backwards in unsorted files; such records are simply due now.
      return (long) (Math.max(0L, eventOffsetMillis) * 1_000_000.0 / speed);
    }
    if (rate > 0) {
      return (long) (index * (NANOS_PER_SECOND / rate));
    }
    return 0L;
  }

  /** Sleeps in short slices until {@code dueNanos}; false when stopped or interrupted meanwhile. */
  private boolean sleepUntil(long dueNanos) {
    long remaining;
    while ((remaining = dueNanos - clock.nanoTime()) > 0) {
      if (stopRequested) {
        return false;
      }
      try {
        clock.sleepNanos(Math.min(remaining, MAX_SLEEP_NANOS));
      } catch (InterruptedException e) {
        // Keep the flag so that the caller's own loop also sees the interrupt.
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return !stopRequested;
  }

  private static ReplayProgress progress(
      long sent,
      long acknowledged,
      long failed,
      Instant lastEventTime,
      long elapsedNanos,
      boolean finished) {
    double seconds = elapsedNanos / 1e9;
    return new ReplayProgress(
        sent,
        acknowledged,
        failed,
        lastEventTime,
        Duration.ofNanos(elapsedNanos),
        seconds > 0 ? sent / seconds : 0.0,
        finished);
  }

  /**
   * Builds a {@link ReplayProducer}. Required: {@link #setProducer}, {@link #setTopic}. Event-time
   * pacing ({@link #optSpeed}) and fixed-rate pacing ({@link #optRate}) exclude each other.
   */
  public static final class Builder {

    private Producer<String, TelemetryPoint> producer;
    private String topic;
    private double speed;
    private double rate;
    private boolean speedSet;
    private boolean rateSet;
    private Consumer<ReplayProgress> progressListener;
    private Duration progressInterval = Duration.ofSeconds(1);
    private PacingClock clock = PacingClock.SYSTEM;

    private Builder() {}

    /**
     * @param producer the producer to send with; the caller keeps ownership and closes it
     * @return this builder
     */
    public Builder setProducer(Producer<String, TelemetryPoint> producer) {
      this.producer = producer;
      return this;
    }

    /**
     * @param topic the destination topic
     * @return this builder
     */
    public Builder setTopic(String topic) {
      this.topic = topic;
      return this;
    }

    /**
     * @param speed event-time speed-up factor, at least 0; 0 sends as fast as possible
     * @return this builder
     * @throws IllegalStateException when a rate was already set
     */
    public Builder optSpeed(double speed) {
      if (rateSet) {
        throw new IllegalStateException("speed and rate exclude each other: rate is already set");
      }
      this.speed = speed;
      this.speedSet = true;
      return this;
    }

    /**
     * @param rate records per second of wall time, at least 0; 0 sends as fast as possible
     * @return this builder
     * @throws IllegalStateException when a speed was already set
     */
    public Builder optRate(double rate) {
      if (speedSet) {
        throw new IllegalStateException("speed and rate exclude each other: speed is already set");
      }
      this.rate = rate;
      this.rateSet = true;
      return this;
    }

    /**
     * @param listener called on the sending thread at most once per interval and once at the end
     * @param interval the minimum wall time between two calls; positive
     * @return this builder
     */
    public Builder optProgressListener(Consumer<ReplayProgress> listener, Duration interval) {
      this.progressListener = listener;
      this.progressInterval = interval;
      return this;
    }

    /**
     * @param clock the time source and sleeper; default {@link PacingClock#SYSTEM}
     * @return this builder
     */
    public Builder optClock(PacingClock clock) {
      this.clock = clock;
      return this;
    }

    /**
     * @return a replay producer
     * @throws IllegalArgumentException naming the property when a value is missing or out of range
     */
    public ReplayProducer build() {
      sanityCheck();
      return new ReplayProducer(this);
    }

    private void sanityCheck() {
      if (producer == null) {
        throw new IllegalArgumentException("producer must be set");
      }
      if (topic == null || topic.isBlank()) {
        throw new IllegalArgumentException("topic must be set and not blank, got '" + topic + "'");
      }
      if (!(speed >= 0) || Double.isInfinite(speed)) {
        throw new IllegalArgumentException("speed must be a finite number >= 0, got " + speed);
      }
      if (!(rate >= 0) || Double.isInfinite(rate)) {
        throw new IllegalArgumentException("rate must be a finite number >= 0, got " + rate);
      }
      if (progressInterval == null || progressInterval.isNegative() || progressInterval.isZero()) {
        throw new IllegalArgumentException(
            "progressInterval must be positive, got " + progressInterval);
      }
      if (clock == null) {
        throw new IllegalArgumentException("clock must not be null");
      }
    }
  }
}

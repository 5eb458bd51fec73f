package dev.sibyl.workers;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link DynamicBatcher} gathers requests into one model call.
 *
 * <p>A batch closes when it holds {@code maxBatchSize} windows or when {@code maxQueueDelay} has
 * passed since its first request arrived, whichever comes first; a single request larger than
 * {@code maxBatchSize} runs alone. The queue holds at most {@code queueCapacity} requests; beyond
 * that a request is refused at once ({@link QueueFullException}, RESOURCE_EXHAUSTED on the wire)
 * rather than waiting, so that the client can back off or try another worker.
 *
 * @param maxBatchSize windows per model call, at least 1 (default 64)
 * @param maxQueueDelay longest wait for more requests after the first, zero or positive (default 5
 *     ms); zero runs whatever is queued at once
 * @param queueCapacity requests waiting per model, at least 1 (default 1024)
 */
public record BatchingConfig(int maxBatchSize, Duration maxQueueDelay, int queueCapacity) {

  /** Default windows per batch. */
  public static final int DEFAULT_MAX_BATCH_SIZE = 64;

  /** Default wait for a batch to fill. */
  public static final Duration DEFAULT_MAX_QUEUE_DELAY = Duration.ofMillis(5);

  /** Default queue bound per model. */
  public static final int DEFAULT_QUEUE_CAPACITY = 1024;

  /** The defaults: 64 windows, 5 ms, 1024 queued requests. */
  public static final BatchingConfig DEFAULTS =
      new BatchingConfig(DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_QUEUE_DELAY, DEFAULT_QUEUE_CAPACITY);

  /**
   * Checks the values.
   *
   * @throws IllegalArgumentException naming the bad value
   */
  public BatchingConfig {
    Objects.requireNonNull(maxQueueDelay, "maxQueueDelay");
    if (maxBatchSize < 1) {
      throw new IllegalArgumentException("maxBatchSize must be >= 1, got " + maxBatchSize);
    }
    if (maxQueueDelay.isNegative()) {
      throw new IllegalArgumentException("maxQueueDelay must be >= 0, got " + maxQueueDelay);
    }
    if (queueCapacity < 1) {
      throw new IllegalArgumentException("queueCapacity must be >= 1, got " + queueCapacity);
    }
  }
}

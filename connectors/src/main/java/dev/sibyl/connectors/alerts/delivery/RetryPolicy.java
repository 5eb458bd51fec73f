package dev.sibyl.connectors.alerts.delivery;

import java.time.Duration;
import java.util.Objects;

/**
 * Bounded retries with exponential backoff: attempt {@code n} (from 1) is followed, when it fails
 * retryably, by a wait of {@code min(maxBackoff, initialBackoff * 2^(n-1))}, or of what the
 * receiver asked for ({@code Retry-After}) when that is longer, still capped at {@code maxBackoff}.
 *
 * @param maxAttempts attempts in all, the first included; at least 1
 * @param initialBackoff wait after the first failure; not negative
 * @param maxBackoff longest single wait; at least {@code initialBackoff}
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {

  /** Checks every bound; messages name the parameter and the bad value. */
  public RetryPolicy {
    Objects.requireNonNull(initialBackoff, "initialBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
    }
    if (initialBackoff.isNegative()) {
      throw new IllegalArgumentException("initialBackoff must not be negative, got " + initialBackoff);
    }
    if (maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException(
          "maxBackoff must be at least initialBackoff (" + initialBackoff + "), got " + maxBackoff);
    }
  }

  /**
   * The wait after a failed attempt.
   *
   * @param attempt the attempt that failed, from 1
   * @param requested the wait the receiver asked for, or null
   * @return the wait before the next attempt
   */
  public Duration backoff(int attempt, Duration requested) {
    // Doubling by shifts stops at 2^30: far beyond any sane maxBackoff already.
    Duration exponential = initialBackoff.multipliedBy(1L << Math.min(attempt - 1, 30));
    Duration wait = requested != null && requested.compareTo(exponential) > 0 ? requested : exponential;
    return wait.compareTo(maxBackoff) > 0 ? maxBackoff : wait;
  }
}

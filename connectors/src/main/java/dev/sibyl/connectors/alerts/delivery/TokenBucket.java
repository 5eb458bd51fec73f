package dev.sibyl.connectors.alerts.delivery;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * A token bucket: at most {@code burst} notifications at once, refilled at {@code ratePerSecond}.
 * A caller that finds it empty is told how long it would have to wait; it waits only when that is
 * within its bound, so that a flood of incidents is dead-lettered with a reason rather than
 * stalling the consumer for longer than it may.
 */
public final class TokenBucket {

  private static final double NANOS_PER_SECOND = 1e9;

  private final double ratePerSecond;
  private final double burst;
  private final LongSupplier nanoClock;
  private double tokens;
  private long lastRefillNanos;

  /**
   * @param ratePerSecond tokens added per second; positive
   * @param burst capacity, and the tokens at start; at least 1
   * @param nanoClock a monotonic clock in nanoseconds ({@code System::nanoTime} outside tests)
   * @throws IllegalArgumentException naming the bad parameter
   */
  public TokenBucket(double ratePerSecond, int burst, LongSupplier nanoClock) {
    if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
      throw new IllegalArgumentException("ratePerSecond must be positive and finite, got " + ratePerSecond);
    }
    if (burst < 1) {
      throw new IllegalArgumentException("burst must be at least 1, got " + burst);
    }
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.nanoClock = nanoClock;
    this.tokens = burst;
    this.lastRefillNanos = nanoClock.getAsLong();
  }

  /**
   * Takes one token when one is available within {@code maxWait}.
   *
   * @param maxWait longest acceptable wait; not negative
   * @return zero when a token was taken at once; the wait the caller must sleep before using the
   *     token it was given, when that is at most {@code maxWait}; or a negative duration (the
   *     wait that would have been needed, negated) when none was taken
   */
  public Duration reserve(Duration maxWait) {
    refill();
    if (tokens >= 1) {
      tokens -= 1;
      return Duration.ZERO;
    }
    long waitNanos = (long) Math.ceil((1 - tokens) / ratePerSecond * NANOS_PER_SECOND);
    if (waitNanos > maxWait.toNanos()) {
      return Duration.ofNanos(-waitNanos);
    }
    tokens -= 1; // borrowed from the refill that happens while the caller sleeps
    return Duration.ofNanos(waitNanos);
  }

  private void refill() {
    long now = nanoClock.getAsLong();
    tokens = Math.min(burst, tokens + (now - lastRefillNanos) / NANOS_PER_SECOND * ratePerSecond);
    lastRefillNanos = now;
  }
}

package dev.sibyl.workers;

import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * A circuit breaker for one endpoint: after {@code failureThreshold} consecutive failures it opens
 * and refuses calls for {@code openFor}; then it lets one probe through (half-open): success closes
 * it, failure opens it again. Keeps a dead worker from costing every request a connect timeout.
 * Thread-safe.
 */
public final class CircuitBreaker {

  /** The breaker's state. */
  public enum State {
    /** Calls pass. */
    CLOSED,
    /** Calls are refused until the open period ends. */
    OPEN,
    /** One probe call is allowed. */
    HALF_OPEN
  }

  private final int failureThreshold;
  private final long openNanos;
  private final LongSupplier clock;

  private State state = State.CLOSED;
  private int failures;
  private long openedAt;
  private boolean probing;

  /**
   * Creates a closed breaker.
   *
   * @param failureThreshold consecutive failures that open it, at least 1
   * @param openFor how long it stays open before a probe, positive; not null
   * @param nanoClock a monotonic clock in nanoseconds ({@code System::nanoTime}); not null
   * @throws IllegalArgumentException naming a bad value
   */
  public CircuitBreaker(int failureThreshold, Duration openFor, LongSupplier nanoClock) {
    if (failureThreshold < 1) {
      throw new IllegalArgumentException("failureThreshold must be >= 1, got " + failureThreshold);
    }
    if (openFor.isNegative() || openFor.isZero()) {
      throw new IllegalArgumentException("openFor must be positive, got " + openFor);
    }
    this.failureThreshold = failureThreshold;
    this.openNanos = openFor.toNanos();
    this.clock = Objects.requireNonNull(nanoClock, "nanoClock");
  }

  /**
   * Asks to make a call; a caller that gets true must report {@link #onSuccess} or {@link
   * #onFailure}.
   *
   * @return whether the call may go ahead
   */
  public synchronized boolean tryAcquire() {
    switch (state) {
      case CLOSED:
        return true;
      case OPEN:
        if (clock.getAsLong() - openedAt < openNanos) {
          return false;
        }
        state = State.HALF_OPEN;
        probing = true;
        return true;
      case HALF_OPEN:
      default:
        if (probing) {
          return false;
        }
        probing = true;
        return true;
    }
  }

  /** Reports a call that reached a live endpoint: closes the breaker. */
  public synchronized void onSuccess() {
    state = State.CLOSED;
    failures = 0;
    probing = false;
  }

  /** Reports a call the endpoint did not answer: counts towards opening, or reopens a probe. */
  public synchronized void onFailure() {
    probing = false;
    if (state == State.HALF_OPEN) {
      open();
      return;
    }
    failures++;
    if (failures >= failureThreshold) {
      open();
    }
  }

  private void open() {
    state = State.OPEN;
    openedAt = clock.getAsLong();
    failures = 0;
  }

  /** The state now (an open breaker whose period has ended still reads OPEN until asked). */
  public synchronized State state() {
    return state;
  }
}

package dev.sibyl.connectors.alerts.notify;

import java.time.Duration;

/**
 * A notification that a receiver did not accept. Says whether trying again may help (a timeout, a
 * 5xx, a 429) or not (a 4xx: the payload or the credentials are wrong), and how long the receiver
 * asked to wait.
 */
public final class DeliveryException extends Exception {

  private static final long serialVersionUID = 1L;

  private final boolean retryable;
  private final transient Duration retryAfter;

  /**
   * @param message what failed, naming the receiver's answer; never null
   * @param retryable whether a later attempt may succeed
   * @param retryAfter the wait the receiver asked for (a {@code Retry-After} header), or null
   * @param cause the underlying failure, or null
   */
  public DeliveryException(String message, boolean retryable, Duration retryAfter, Throwable cause) {
    super(message, cause);
    this.retryable = retryable;
    this.retryAfter = retryAfter;
  }

  /** Whether a later attempt may succeed. */
  public boolean retryable() {
    return retryable;
  }

  /** The wait the receiver asked for, or null when it did not say. */
  public Duration retryAfter() {
    return retryAfter;
  }
}

package dev.sibyl.connectors.alerts.delivery;

import dev.sibyl.connectors.alerts.incident.IncidentEvent;
import dev.sibyl.connectors.alerts.notify.DeliveryException;
import dev.sibyl.connectors.alerts.notify.Notifier;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers notifications to one sink under its rate limit and retry policy, and reports the
 * outcome; it never throws for a receiver's failure, so the caller can dead-letter the
 * notification and go on.
 */
public final class SinkDispatcher {

  private static final Logger LOG = LoggerFactory.getLogger(SinkDispatcher.class);

  private final Notifier notifier;
  private final RetryPolicy retry;
  private final TokenBucket rateLimit;
  private final Duration maxRateWait;

  /**
   * @param notifier the sink
   * @param retry the retry policy
   * @param rateLimit the sink's token bucket
   * @param maxRateWait longest wait for a token; beyond it the notification is not sent
   */
  public SinkDispatcher(Notifier notifier, RetryPolicy retry, TokenBucket rateLimit, Duration maxRateWait) {
    this.notifier = notifier;
    this.retry = retry;
    this.rateLimit = rateLimit;
    this.maxRateWait = maxRateWait;
  }

  /** The sink's name. */
  public String name() {
    return notifier.name();
  }

  /**
   * Renders and delivers one event.
   *
   * @param event a trigger or resolve
   * @return the outcome; {@code delivered} false when the rate limit refused it, a receiver
   *     refused it for good, the attempts ran out, or the thread was interrupted (its flag is
   *     then set again)
   */
  public DeliveryOutcome deliver(IncidentEvent event) {
    byte[] body = notifier.render(event);
    Duration wait = rateLimit.reserve(maxRateWait);
    if (wait.isNegative()) {
      return failed(event, body, 0, "rate limit: would wait " + wait.negated().toMillis()
          + " ms for a token, more than the allowed " + maxRateWait.toMillis() + " ms");
    }
    if (!sleep(wait)) {
      return failed(event, body, 0, "interrupted while waiting for the rate limit");
    }
    for (int attempt = 1; ; attempt++) {
      try {
        notifier.deliver(body);
        return new DeliveryOutcome(name(), event, body, true, attempt, null);
      } catch (DeliveryException e) {
        if (!e.retryable()) {
          return failed(event, body, attempt, "refused: " + e.getMessage());
        }
        if (attempt >= retry.maxAttempts()) {
          return failed(event, body, attempt, "gave up after " + attempt + " attempts: " + e.getMessage());
        }
        Duration backoff = retry.backoff(attempt, e.retryAfter());
        LOG.warn("sink {}: attempt {} of {} failed ({}), retrying in {} ms",
            name(), attempt, retry.maxAttempts(), e.getMessage(), backoff.toMillis());
        if (!sleep(backoff)) {
          return failed(event, body, attempt, "interrupted while retrying: " + e.getMessage());
        }
      }
    }
  }

  private DeliveryOutcome failed(IncidentEvent event, byte[] body, int attempts, String why) {
    String error = "sink " + name() + ": " + why;
    LOG.error("{} ({} of incident {})", error, event.action(), event.incident().id());
    return new DeliveryOutcome(name(), event, body, false, attempts, error);
  }

  /** Sleeps; false when interrupted (the flag is set again). */
  private static boolean sleep(Duration duration) {
    if (duration.isZero()) {
      return true;
    }
    try {
      Thread.sleep(duration.toMillis(), (int) (duration.toNanos() % 1_000_000));
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}

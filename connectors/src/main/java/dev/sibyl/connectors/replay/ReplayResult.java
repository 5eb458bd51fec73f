package dev.sibyl.connectors.replay;

import java.time.Duration;

/**
 * The outcome of {@link ReplayProducer#run}.
 *
 * @param sent records handed to the producer
 * @param acknowledged records the broker acknowledged (after the final flush)
 * @param failed records whose send failed; the replay stops at the first failure
 * @param firstError the first send failure, or null when none failed
 * @param elapsed wall time of the whole replay, final flush included
 * @param stopped whether {@link ReplayProducer#stop()} or an interrupt ended the replay early
 */
public record ReplayResult(
    long sent, long acknowledged, long failed, Exception firstError, Duration elapsed, boolean stopped) {

  /** Records sent per second of wall time; 0 when no time elapsed. */
  public double recordsPerSecond() {
    double seconds = elapsed.toNanos() / 1e9;
    return seconds > 0 ? sent / seconds : 0.0;
  }
}

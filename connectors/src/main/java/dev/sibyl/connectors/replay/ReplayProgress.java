package dev.sibyl.connectors.replay;

import java.time.Duration;
import java.time.Instant;

/**
 * A snapshot of a running replay, passed to the progress listener.
 *
 * @param sent records handed to the producer so far
 * @param acknowledged records the broker has acknowledged so far
 * @param failed records whose send failed so far
 * @param lastEventTime event time of the last record sent; null before the first
 * @param elapsed wall time since the replay started
 * @param recordsPerSecond records sent per second of wall time since the start
 * @param finished true for the last report of a replay, made after the final flush
 */
public record ReplayProgress(
    long sent,
    long acknowledged,
    long failed,
    Instant lastEventTime,
    Duration elapsed,
    double recordsPerSecond,
    boolean finished) {}

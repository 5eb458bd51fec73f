package dev.sibyl.models.api;

import java.util.Arrays;

/**
 * A window of recent observations of one series, oldest first, at (nominally) regular spacing.
 *
 * @param timestamps event times in epoch milliseconds, strictly increasing; shape (n)
 * @param values observed values, finite; shape (n)
 * @param stepMillis the nominal spacing of the series in milliseconds, positive
 */
public record SeriesWindow(long[] timestamps, double[] values, long stepMillis) {

  /** Checks the shapes and the ordering. */
  public SeriesWindow {
    if (timestamps.length != values.length) {
      throw new IllegalArgumentException(
          "timestamps and values must have the same length, got "
              + timestamps.length
              + " and "
              + values.length);
    }
    if (stepMillis <= 0) {
      throw new IllegalArgumentException("stepMillis must be positive, got " + stepMillis);
    }
  }

  /** Number of observations. */
  public int size() {
    return values.length;
  }

  /** Timestamp of the newest observation; the window must not be empty. */
  public long lastTimestamp() {
    return timestamps[timestamps.length - 1];
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SeriesWindow w
        && stepMillis == w.stepMillis
        && Arrays.equals(timestamps, w.timestamps)
        && Arrays.equals(values, w.values);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(values) + Long.hashCode(stepMillis);
  }

  @Override
  public String toString() {
    return "SeriesWindow[n=" + values.length + ", stepMillis=" + stepMillis + "]";
  }
}

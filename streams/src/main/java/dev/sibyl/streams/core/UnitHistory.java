package dev.sibyl.streams.core;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * What the health operator keeps of one unit: its model-input rows, oldest first, bounded to the
 * most recent {@code maxCycles}; the time of its latest cycle; and whether an alert is open (so that
 * a unit raises one flag when it enters the alert stages, not one per cycle).
 *
 * <p>Not thread-safe: one stream task owns a unit.
 */
public final class UnitHistory {

  private final int maxCycles;
  private final Deque<double[]> rows;
  private long lastTimestamp = Long.MIN_VALUE;
  private long cycles; // accepted since the unit's first, dropped ones included
  private boolean alerting;

  /**
   * @param maxCycles the most rows kept, at least 1; older rows are dropped first
   */
  public UnitHistory(int maxCycles) {
    if (maxCycles < 1) {
      throw new IllegalArgumentException("maxCycles must be >= 1, got " + maxCycles);
    }
    this.maxCycles = maxCycles;
    this.rows = new ArrayDeque<>(Math.min(maxCycles, 512));
  }

  /**
   * Appends a cycle.
   *
   * @param timestamp the cycle's event time, after {@link #lastTimestamp()}
   * @param row the model inputs of the cycle (kept, not copied)
   * @return whether the oldest row was dropped to make room
   */
  public boolean append(long timestamp, double[] row) {
    if (!isEmpty() && timestamp <= lastTimestamp) {
      throw new IllegalArgumentException("cycle at " + timestamp + " is not after the last one at " + lastTimestamp);
    }
    boolean dropped = false;
    if (rows.size() == maxCycles) {
      rows.removeFirst();
      dropped = true;
    }
    rows.addLast(row);
    lastTimestamp = timestamp;
    cycles++;
    return dropped;
  }

  /** Whether no cycle has been accepted yet. */
  public boolean isEmpty() {
    return rows.isEmpty();
  }

  /** Time of the latest cycle; {@link Long#MIN_VALUE} when empty. */
  public long lastTimestamp() {
    return lastTimestamp;
  }

  /** Cycles accepted since the first, including rows dropped by the bound. */
  public long cycles() {
    return cycles;
  }

  /** Rows kept, at most {@code maxCycles}. */
  public int size() {
    return rows.size();
  }

  /** The kept rows, oldest first, as a new array of the same row arrays. */
  public double[][] rows() {
    return rows.toArray(new double[0][]);
  }

  /** The latest row; the history must not be empty. */
  public double[] lastRow() {
    return rows.getLast();
  }

  /** Whether the unit's last assessment was in the alert stages. */
  public boolean alerting() {
    return alerting;
  }

  /** Sets {@link #alerting()}. */
  public void setAlerting(boolean alerting) {
    this.alerting = alerting;
  }

  /**
   * Rebuilds a history from stored parts.
   *
   * @param maxCycles the bound
   * @param rows the kept rows, oldest first, at most {@code maxCycles}
   * @param cycles cycles accepted in total, at least {@code rows.size()}
   * @param lastTimestamp the latest cycle's time
   * @param alerting the alert flag
   * @return the history
   */
  public static UnitHistory restored(int maxCycles, List<double[]> rows, long cycles, long lastTimestamp, boolean alerting) {
    if (rows.size() > maxCycles || cycles < rows.size()) {
      throw new IllegalArgumentException(
          "cannot restore " + rows.size() + " rows of " + cycles + " cycles under a bound of " + maxCycles);
    }
    UnitHistory history = new UnitHistory(maxCycles);
    history.rows.addAll(rows);
    history.cycles = cycles;
    history.lastTimestamp = rows.isEmpty() ? Long.MIN_VALUE : lastTimestamp;
    history.alerting = alerting;
    return history;
  }
}

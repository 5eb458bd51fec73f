package dev.sibyl.models.anomaly;

import java.util.Arrays;

/**
 * A bounded ring of the most recent values with their running mean and variance, and an
 * order-statistic query for conformal quantiles. Not thread-safe: one per series.
 */
public final class RollingWindow {

  /** Values in arrival order modulo the capacity; shape (capacity). */
  private final double[] ring;

  private int size;
  private int next;
  private double sum;
  private double sumSq;
  /** Additions since the sums were last recomputed exactly, to stop round-off from drifting. */
  private int sinceExact;

  /**
   * An empty window.
   *
   * @param capacity the most values kept, at least 1
   * @throws IllegalArgumentException when the capacity is below 1
   */
  public RollingWindow(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
    }
    this.ring = new double[capacity];
  }

  /** Adds a value, evicting the oldest when full. */
  public void add(double x) {
    if (size == ring.length) {
      double old = ring[next];
      sum -= old;
      sumSq -= old * old;
    } else {
      size++;
    }
    ring[next] = x;
    next = (next + 1) % ring.length;
    sum += x;
    sumSq += x * x;
    if (++sinceExact >= ring.length) {
      recompute();
    }
  }

  private void recompute() {
    sum = 0;
    sumSq = 0;
    for (int i = 0; i < size; i++) {
      sum += ring[i];
      sumSq += ring[i] * ring[i];
    }
    sinceExact = 0;
  }

  /** Number of values held, at most the capacity. */
  public int size() {
    return size;
  }

  /** The capacity. */
  public int capacity() {
    return ring.length;
  }

  /** Mean of the values held; 0 when empty. */
  public double mean() {
    return size == 0 ? 0 : sum / size;
  }

  /** Population variance of the values held (never negative); 0 when empty. */
  public double variance() {
    if (size == 0) {
      return 0;
    }
    double m = sum / size;
    return Math.max(0, sumSq / size - m * m);
  }

  /** Mean of the squares of the values held; 0 when empty. */
  public double meanSquare() {
    return size == 0 ? 0 : sumSq / size;
  }

  /**
   * The k-th smallest value held (1-based), by copy and sort: O(capacity log capacity).
   *
   * @param k the rank, in [1, size]
   * @throws IllegalArgumentException when k is out of range
   */
  public double kthSmallest(int k) {
    if (k < 1 || k > size) {
      throw new IllegalArgumentException("k must be in [1, " + size + "], got " + k);
    }
    double[] copy = Arrays.copyOf(ring, size);
    Arrays.sort(copy);
    return copy[k - 1];
  }

  /**
   * The split-conformal quantile of the values held as nonconformity scores: the {@code ceil((n +
   * 1) * coverage)}-th smallest, or the largest when that rank exceeds n (the exact quantile is
   * then infinite; the finite choice under-covers, as in {@code SplitConformal}).
   *
   * @param coverage nominal coverage in (0, 1)
   * @throws IllegalStateException when the window is empty
   */
  public double conformalQuantile(double coverage) {
    if (size == 0) {
      throw new IllegalStateException("no calibration values");
    }
    // the epsilon keeps 19.0000000001 from becoming rank 20
    int rank = (int) Math.ceil((size + 1) * coverage - 1e-9);
    return kthSmallest(Math.max(1, Math.min(size, rank)));
  }

  /** Removes every value. */
  public void clear() {
    size = 0;
    next = 0;
    sum = 0;
    sumSq = 0;
    sinceExact = 0;
  }
}

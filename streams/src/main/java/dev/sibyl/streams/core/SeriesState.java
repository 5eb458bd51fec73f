package dev.sibyl.streams.core;

/**
 * Everything the pipeline remembers about one series: a ring buffer of the last {@code capacity}
 * observations, the nominal step, the number of points since the last forecast, the latest
 * forecast, and the anomaly scorer. Mutable; owned by the stream task that owns the series' partition.
 */
public final class SeriesState {

  private final long[] timestamps; // (capacity) ring buffer
  private final double[] values; // (capacity) ring buffer
  private int size;
  private int head; // index of the next write
  private long appended; // points appended since the window (re)started; numbers them for storage
  private long stepMillis; // 0 until two points have been seen
  private int pointsSinceForecast;
  private LatestForecast latestForecast; // null until the first forecast
  private final ExcursionLikelihood scorer = new ExcursionLikelihood();
  private OnlineIntervals onlineIntervals; // null except on the keyed path, once seeded

  /**
   * An empty state.
   *
   * @param capacity the number of observations kept (the lookback), at least 2
   */
  public SeriesState(int capacity) {
    if (capacity < 2) {
      throw new IllegalArgumentException("capacity must be at least 2, got " + capacity);
    }
    this.timestamps = new long[capacity];
    this.values = new double[capacity];
  }

  /** Number of observations the buffer can hold. */
  public int capacity() {
    return values.length;
  }

  /** Number of observations held. */
  public int size() {
    return size;
  }

  /** Timestamp of the newest observation; only valid when {@link #size()} > 0. */
  public long lastTimestamp() {
    return timestamps[(head - 1 + capacity()) % capacity()];
  }

  /** Value of the newest observation; only valid when {@link #size()} > 0. */
  public double lastValue() {
    return values[(head - 1 + capacity()) % capacity()];
  }

  /** The nominal spacing of the series, or 0 when it is not known yet. */
  public long stepMillis() {
    return stepMillis;
  }

  /** Sets the nominal spacing of the series. */
  public void setStepMillis(long stepMillis) {
    this.stepMillis = stepMillis;
  }

  /** Points accepted since the latest forecast (or since the window was started). */
  public int pointsSinceForecast() {
    return pointsSinceForecast;
  }

  /** Sets the count of points since the latest forecast (used by the codec and after a forecast). */
  public void setPointsSinceForecast(int points) {
    this.pointsSinceForecast = points;
  }

  /** The latest forecast, or null when none has been issued since the window started. */
  public LatestForecast latestForecast() {
    return latestForecast;
  }

  /** Replaces the latest forecast; null clears it. */
  public void setLatestForecast(LatestForecast forecast) {
    this.latestForecast = forecast;
  }

  /**
   * The series' online conformal half-widths (the keyed path's intervals), or null when none are
   * kept: on the other paths, before the first keyed forecast, and after a gap reset.
   */
  public OnlineIntervals onlineIntervals() {
    return onlineIntervals;
  }

  /** Replaces the online half-widths; null clears them. */
  public void setOnlineIntervals(OnlineIntervals intervals) {
    this.onlineIntervals = intervals;
  }

  /** The series' anomaly scorer, updated in place. */
  public ExcursionLikelihood scorer() {
    return scorer;
  }

  /** Appends an observation, evicting the oldest when full, and counts it toward the cadence. */
  public void append(long timestamp, double value) {
    timestamps[head] = timestamp;
    values[head] = value;
    head = (head + 1) % capacity();
    size = Math.min(size + 1, capacity());
    appended++;
    pointsSinceForecast++;
  }

  /**
   * Points appended since the window started or was reset. The newest point is number {@code
   * appended() - 1}; stores key points by that number modulo their capacity.
   */
  public long appended() {
    return appended;
  }

  /** Restores the appended count of a state rebuilt from storage. */
  public void setAppended(long appended) {
    this.appended = appended;
  }

  /**
   * Forgets every observation, the latest forecast and the online half-widths (after a long gap;
   * the next forecast seeds them again from the refilled window). The scorer keeps what it learnt
   * of the series' usual scores, which a gap does not change, but its run of excursions ends.
   */
  public void reset() {
    scorer.breakRun();
    size = 0;
    head = 0;
    appended = 0;
    stepMillis = 0;
    pointsSinceForecast = 0;
    latestForecast = null;
    onlineIntervals = null;
  }

  /** The i-th held timestamp, oldest first; i in [0, size). */
  public long timestampAt(int i) {
    return timestamps[(head - size + i + capacity()) % capacity()];
  }

  /** The i-th held value, oldest first; i in [0, size). */
  public double valueAt(int i) {
    return values[(head - size + i + capacity()) % capacity()];
  }

  /**
   * The number of held observations newer than {@code timestamp}: the points that came after a
   * forecast issued at that time. Counts from the newest, since that is where they are.
   */
  public int pointsAfter(long timestamp) {
    int n = 0;
    while (n < size && timestampAt(size - 1 - n) > timestamp) {
      n++;
    }
    return n;
  }

  /** The held timestamps, oldest first; shape (size). */
  public long[] timestampsInOrder() {
    long[] out = new long[size];
    int start = (head - size + capacity()) % capacity();
    for (int i = 0; i < size; i++) {
      out[i] = timestamps[(start + i) % capacity()];
    }
    return out;
  }

  /** The held values, oldest first; shape (size). */
  public double[] valuesInOrder() {
    double[] out = new double[size];
    int start = (head - size + capacity()) % capacity();
    for (int i = 0; i < size; i++) {
      out[i] = values[(start + i) % capacity()];
    }
    return out;
  }
}

package dev.sibyl.models.autotimes;

import dev.sibyl.models.api.SeriesWindow;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The per-series bookkeeping of a segment-token model in streaming (AutoTimes, SMETimes): one
 * session (KV cache) per series key, bounded in series by least-recent use, and the rules that
 * keep a session consistent with the series' window.
 *
 * <p>Segment alignment: a session's segments end at a point of the series (its boundary); every S
 * points that arrive after the boundary complete a segment and are appended (one token each). A
 * forecast asked between boundaries, {@code o} points after the last one, is the session's forecast
 * of {@code o + horizon} steps from the boundary with its first {@code o} steps dropped, so a call
 * costs nothing but the array copy until the next segment completes.
 *
 * <p>Consistency: the session is rebuilt from the window (its newest L points, boundary at the
 * newest point) when the series is new or was evicted, when the window no longer holds the
 * session's boundary point with the same timestamp and value (a restart, a gap that reset the
 * window, a replaced value), when the step changed, or when more new segments arrived than the
 * session's bound holds. Nothing is persisted: after a restart every series is rebuilt from its
 * window on its first call.
 *
 * <p>Not thread-safe: owned by one forecaster, which serialises its calls.
 *
 * @param <S> the family's session
 */
public final class SegmentStreams<S extends SegmentStreams.Session> implements AutoCloseable {

  /** A family's incremental session over one series. */
  public interface Session extends AutoCloseable {

    /**
     * Appends a newly completed segment (one token, or a rebuild at the session's bound).
     *
     * @param segment the segment's observations, oldest first; shape (S)
     * @param times their times, epoch milliseconds; shape (S)
     */
    void append(double[] segment, long[] times);

    /**
     * Forecasts after the newest segment.
     *
     * @param horizon steps, positive
     * @return shape (horizon), on the data's scale
     */
    double[] forecast(int horizon);

    @Override
    void close();
  }

  /**
   * Opens a session from a window.
   *
   * @param <S> the session
   */
  @FunctionalInterface
  public interface Opener<S> {

    /**
     * @param values the series' values, at least L of them; the newest L are used
     * @param times their times, epoch milliseconds
     * @return the session; the caller closes it
     */
    S open(double[] values, long[] times);
  }

  /**
   * A series' session and the point its newest segment ends at: its time and, per row of the
   * session (channels on one clock), its value.
   */
  static final class Entry<S> {
    S session;
    long boundaryTimestamp;
    double[] boundaryValues;
    long stepMillis;
  }

  private final String family;
  private final int lookback;
  private final int segmentLength;
  private final int maxSegments;
  private final int maxSeries;
  private final Opener<S> opener;
  private final Map<String, Entry<S>> sessions;

  /**
   * @param family the family's name, for messages
   * @param lookback L, the fewest values a window needs
   * @param segmentLength S
   * @param maxSegments the most segments a session holds before it rebuilds
   * @param maxSeries the most series cached, at least 1
   * @param opener opens a session from a window
   * @throws IllegalArgumentException when maxSeries is below 1
   */
  public SegmentStreams(
      String family, int lookback, int segmentLength, int maxSegments, int maxSeries, Opener<S> opener) {
    if (maxSeries < 1) {
      throw new IllegalArgumentException("maxSeries must be >= 1, got " + maxSeries);
    }
    this.family = family;
    this.lookback = lookback;
    this.segmentLength = segmentLength;
    this.maxSegments = maxSegments;
    this.maxSeries = maxSeries;
    this.opener = Objects.requireNonNull(opener, "opener");
    this.sessions =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Entry<S>> eldest) {
            if (size() > SegmentStreams.this.maxSeries) {
              eldest.getValue().session.close();
              return true;
            }
            return false;
          }
        };
  }

  /**
   * Point forecasts after the window's newest point, from the series' session (see the class
   * comment for when it is appended to and when rebuilt).
   *
   * @param seriesKey the series; not null
   * @param window recent observations, at least L
   * @param horizon steps, positive
   * @return shape (horizon)
   * @throws IllegalArgumentException when the window is too short or the horizon not positive
   */
  public double[] forecast(String seriesKey, SeriesWindow window, int horizon) {
    Objects.requireNonNull(seriesKey, "seriesKey");
    checkWindow(window);
    if (horizon < 1) {
      throw new IllegalArgumentException("horizon must be >= 1, got " + horizon);
    }
    int n = window.size();
    int s = segmentLength;
    long[] times = window.timestamps();
    double[] values = window.values();
    Entry<S> e = sessions.get(seriesKey);
    // 1. Where the session's boundary is in this window, or -1 when it must be rebuilt
    int at = boundary(e, window);
    if (at < 0) {
      // 2a. (Re)build from the newest L points; the boundary is the newest point
      e = rebuild(seriesKey, opener.open(values, times));
      at = n - 1;
    } else {
      // 2b. Append every segment completed since the boundary, one token each
      while (n - 1 - at >= s) {
        e.session.append(Arrays.copyOfRange(values, at + 1, at + 1 + s), Arrays.copyOfRange(times, at + 1, at + 1 + s));
        at += s;
      }
    }
    mark(e, window, at);
    // 3. The forecast from the boundary, without the steps already observed
    int offset = n - 1 - at;
    double[] f = e.session.forecast(offset + horizon);
    return Arrays.copyOfRange(f, offset, offset + horizon);
  }

  /**
   * @throws IllegalArgumentException when the window holds fewer than L values
   */
  void checkWindow(SeriesWindow window) {
    checkWindow(window.size());
  }

  /**
   * @throws IllegalArgumentException when a window of {@code size} values is shorter than L
   */
  void checkWindow(int size) {
    if (size < lookback) {
      throw new IllegalArgumentException(
          family + " needs at least " + lookback + " values (minHistory), got " + size);
    }
  }

  /** The series' entry, or null when none is cached. */
  Entry<S> entry(String seriesKey) {
    return sessions.get(seriesKey);
  }

  /** The index of the entry's boundary point in the window, or -1 when it must be rebuilt. */
  int boundary(Entry<S> e, SeriesWindow window) {
    return boundary(e, window.timestamps(), new double[][] {window.values()}, window.stepMillis());
  }

  /**
   * The index of the entry's boundary point in a window of several rows on one clock, or -1 when
   * it must be rebuilt (also when the row count differs from the session's).
   */
  int boundary(Entry<S> e, long[] times, double[][] values, long stepMillis) {
    if (e == null || e.stepMillis != stepMillis || e.boundaryValues.length != values.length) {
      return -1;
    }
    int i = Arrays.binarySearch(times, e.boundaryTimestamp);
    if (i < 0 || (times.length - 1 - i) / segmentLength >= maxSegments) {
      return -1;
    }
    for (int r = 0; r < values.length; r++) {
      if (values[r][i] != e.boundaryValues[r]) {
        return -1;
      }
    }
    return i;
  }

  /**
   * Caches a newly opened {@code session} for the series, closing the one it replaces. Callers
   * open first: when opening fails, the old session stays as it was.
   */
  Entry<S> rebuild(String seriesKey, S session) {
    Entry<S> old = sessions.remove(seriesKey);
    if (old != null) {
      old.session.close();
    }
    Entry<S> e = new Entry<>();
    e.session = session;
    sessions.put(seriesKey, e);
    return e;
  }

  /** Records that the entry's newest segment ends at point {@code at} of the window. */
  static void mark(Entry<?> e, SeriesWindow window, int at) {
    mark(e, window.timestamps(), new double[][] {window.values()}, window.stepMillis(), at);
  }

  /** {@link #mark(Entry, SeriesWindow, int)} for a window of several rows on one clock. */
  static void mark(Entry<?> e, long[] times, double[][] values, long stepMillis, int at) {
    e.boundaryTimestamp = times[at];
    e.boundaryValues = new double[values.length];
    for (int r = 0; r < values.length; r++) {
      e.boundaryValues[r] = values[r][at];
    }
    e.stepMillis = stepMillis;
  }

  /**
   * Drops a series' session; unknown keys are ignored.
   *
   * @param seriesKey the series; not null
   */
  public void forget(String seriesKey) {
    Entry<S> e = sessions.remove(Objects.requireNonNull(seriesKey, "seriesKey"));
    if (e != null) {
      e.session.close();
    }
  }

  /** Series cached now. */
  public int size() {
    return sessions.size();
  }

  /** The most series cached. */
  public int maxSeries() {
    return maxSeries;
  }

  /**
   * The session of a series; null when none is cached.
   *
   * @param seriesKey the series; not null
   * @return the session, still owned here
   */
  public S session(String seriesKey) {
    Entry<S> e = sessions.get(seriesKey);
    return e == null ? null : e.session;
  }

  /** Closes every session. */
  @Override
  public void close() {
    for (Entry<S> e : sessions.values()) {
      e.session.close();
    }
    sessions.clear();
  }
}

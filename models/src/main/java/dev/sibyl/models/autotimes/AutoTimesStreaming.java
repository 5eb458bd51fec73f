package dev.sibyl.models.autotimes;

import dev.sibyl.models.api.KeyedForecaster;
import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.artifact.Artifacts;
import java.io.IOException;
import java.nio.file.Path;
import dev.sibyl.models.api.SeriesWindow;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * AutoTimes for the streaming pipeline: one {@link AutoTimesSession} (KV cache) per series, bounded
 * in series by least-recent use.
 *
 * <p>Segment alignment: a session's segments end at a point of the series (its boundary); every
 * 96 points that arrive after the boundary complete a segment and are appended (one token each).
 * A forecast asked between boundaries, {@code o} points after the last one, is the session's
 * forecast of {@code o + horizon} steps from the boundary with its first {@code o} steps dropped,
 * so a call costs nothing but the array copy until the next segment completes.
 *
 * <p>Consistency: the session is rebuilt from the window (its newest L points, boundary at the
 * newest point) when the series is new or was evicted, when the window no longer holds the
 * session's boundary point with the same timestamp and value (a restart, a gap that reset the
 * window, a replaced value), when the step changed, or when more new segments arrived than the
 * session's bound holds. Nothing is persisted: after a restart every series is rebuilt from its
 * window on its first call.
 *
 * <p>Calendar timestamps: with {@code timestamps=calendar} the sessions write each segment's text
 * from the window's own timestamps ({@link SeriesWindow#timestamps()}), and the timestamp cache
 * (bounded, see {@link TimestampEmbeddings}) sees one new text per completed segment per clock.
 *
 * <p>Thread-safe: calls are serialised on this object (a session is small and a call short).
 */
public final class AutoTimesStreaming implements KeyedForecaster {

  /** The default number of series cached. */
  public static final int MAX_SERIES_DEFAULT = 1024;

  private final AutoTimes model;
  private final int maxSeries;
  private final Map<String, Entry> sessions;

  /** A series' session and the point its newest segment ends at. */
  private static final class Entry {
    AutoTimesSession session;
    long boundaryTimestamp;
    double boundaryValue;
    long stepMillis;
  }

  /**
   * Creates the forecaster.
   *
   * @param model the trained model; not null, not closed by {@link #close()}
   * @param maxSeries the most series cached, at least 1
   * @throws IllegalArgumentException when maxSeries is below 1
   */
  public AutoTimesStreaming(AutoTimes model, int maxSeries) {
    this.model = Objects.requireNonNull(model, "model");
    if (maxSeries < 1) {
      throw new IllegalArgumentException("maxSeries must be >= 1, got " + maxSeries);
    }
    this.maxSeries = maxSeries;
    this.sessions =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
            if (size() > AutoTimesStreaming.this.maxSeries) {
              eldest.getValue().session.close();
              return true;
            }
            return false;
          }
        };
  }

  /**
   * Loads an autotimes artifact for streaming.
   *
   * @param artifact the artifact directory; not null
   * @param maxSeries the most series cached, at least 1
   * @return the forecaster; the model lives as long as the process (see {@link AutoTimes})
   * @throws IOException when the artifact cannot be read or its backbone is missing or differs
   * @throws IllegalArgumentException when the artifact is of another family, or maxSeries &lt; 1
   */
  public static AutoTimesStreaming open(Path artifact, int maxSeries) throws IOException {
    WindowModel model = Artifacts.load(artifact).model();
    if (!(model instanceof AutoTimes a)) {
      throw new IllegalArgumentException(
          "artifact " + artifact + " is of family " + model.family() + ", not " + AutoTimes.FAMILY);
    }
    return new AutoTimesStreaming(a, maxSeries);
  }

  @Override
  public String family() {
    return model.family();
  }

  @Override
  public String version() {
    return model.version();
  }

  @Override
  public int minHistory() {
    return model.lookback();
  }

  @Override
  public synchronized double[] forecast(String seriesKey, SeriesWindow window, int horizon) {
    Objects.requireNonNull(seriesKey, "seriesKey");
    int n = window.size();
    if (n < minHistory()) {
      throw new IllegalArgumentException(
          "autotimes needs at least " + minHistory() + " values (minHistory), got " + n);
    }
    if (horizon < 1) {
      throw new IllegalArgumentException("horizon must be >= 1, got " + horizon);
    }
    int s = model.config().segmentLength();
    long[] times = window.timestamps();
    double[] values = window.values();
    Entry e = sessions.get(seriesKey);
    // 1. Where the session's boundary is in this window, or -1 when it must be rebuilt
    int at = -1;
    if (e != null && e.stepMillis == window.stepMillis()) {
      int i = Arrays.binarySearch(times, e.boundaryTimestamp);
      if (i >= 0 && values[i] == e.boundaryValue
          && (n - 1 - i) / s < model.config().streamMaxSegments()) {
        at = i;
      }
    }
    if (at < 0) {
      // 2a. (Re)build from the newest L points; the boundary is the newest point. The entry is
      // out of the map until its new session exists, so a failure leaves no broken entry behind.
      if (e != null) {
        sessions.remove(seriesKey);
        e.session.close();
      }
      e = new Entry();
      e.session = model.openSession(values, times);
      sessions.put(seriesKey, e);
      at = n - 1;
    } else {
      // 2b. Append every segment completed since the boundary, one token each
      while (n - 1 - at >= s) {
        e.session.append(Arrays.copyOfRange(values, at + 1, at + 1 + s), Arrays.copyOfRange(times, at + 1, at + 1 + s));
        at += s;
      }
    }
    e.boundaryTimestamp = times[at];
    e.boundaryValue = values[at];
    e.stepMillis = window.stepMillis();
    // 3. The forecast from the boundary, without the steps already observed
    int offset = n - 1 - at;
    double[] f = e.session.forecast(offset + horizon);
    return Arrays.copyOfRange(f, offset, offset + horizon);
  }

  @Override
  public synchronized void forget(String seriesKey) {
    Entry e = sessions.remove(Objects.requireNonNull(seriesKey, "seriesKey"));
    if (e != null) {
      e.session.close();
    }
  }

  @Override
  public synchronized int cachedSeries() {
    return sessions.size();
  }

  @Override
  public int maxSeries() {
    return maxSeries;
  }

  /**
   * The session of a series, for tests and benchmarks; null when none is cached.
   *
   * @param seriesKey the series; not null
   * @return the session, still owned by this forecaster
   */
  synchronized AutoTimesSession session(String seriesKey) {
    Entry e = sessions.get(seriesKey);
    return e == null ? null : e.session;
  }

  @Override
  public synchronized void close() {
    for (Entry e : sessions.values()) {
      e.session.close();
    }
    sessions.clear();
  }
}

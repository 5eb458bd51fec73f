package dev.sibyl.models.autotimes;

import dev.sibyl.models.api.KeyedForecaster;
import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.artifact.Artifacts;
import java.io.IOException;
import java.nio.file.Path;
import dev.sibyl.models.api.SeriesWindow;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

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
    int at = boundary(e, window);
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

  /** The index of the entry's boundary point in the window, or -1 when it must be rebuilt. */
  private int boundary(Entry e, SeriesWindow window) {
    if (e == null || e.stepMillis != window.stepMillis()) {
      return -1;
    }
    int i = Arrays.binarySearch(window.timestamps(), e.boundaryTimestamp);
    int n = window.size();
    if (i >= 0 && window.values()[i] == e.boundaryValue
        && (n - 1 - i) / model.config().segmentLength() < model.config().streamMaxSegments()) {
      return i;
    }
    return -1;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Cross-series batching: the series new or to be rebuilt open in one pass, then the segments
   * completed since each series' boundary are appended a step at a time, the series whose caches
   * hold the same number of segments decoded in one pass (see {@link AutoTimesSession#appendEach}),
   * and the rollouts beyond one segment run together. Requests repeating a key run in later rounds,
   * and a round holds at most {@link #maxSeries()} series, so that the least-recently-used eviction
   * never closes a session the round still uses. A failing round drops the sessions of its series
   * (they rebuild on their next call) and throws.
   */
  @Override
  public synchronized List<double[]> forecastAll(List<Request> requests, int horizon) {
    if (horizon < 1) {
      throw new IllegalArgumentException("horizon must be >= 1, got " + horizon);
    }
    for (Request r : requests) {
      if (r.window().size() < minHistory()) {
        throw new IllegalArgumentException(
            "autotimes needs at least " + minHistory() + " values (minHistory), got " + r.window().size());
      }
    }
    double[][] out = new double[requests.size()][];
    List<Integer> left = new ArrayList<>();
    for (int i = 0; i < requests.size(); i++) {
      left.add(i);
    }
    while (!left.isEmpty()) {
      List<Integer> round = new ArrayList<>();
      List<Integer> later = new ArrayList<>();
      Set<String> keys = new HashSet<>();
      for (int i : left) {
        if (round.size() < maxSeries && keys.add(requests.get(i).seriesKey())) {
          round.add(i);
        } else {
          later.add(i);
        }
      }
      try {
        forecastRound(requests, round, horizon, out);
      } catch (RuntimeException ex) {
        for (int i : round) {
          forget(requests.get(i).seriesKey());
        }
        throw ex;
      }
      left = later;
    }
    return Arrays.asList(out);
  }

  /** One round of {@link #forecastAll}: distinct keys, at most maxSeries of them. */
  private void forecastRound(List<Request> requests, List<Integer> round, int horizon, double[][] out) {
    int s = model.config().segmentLength();
    // 1. Align every series: its entry and boundary, or a rebuild from the window
    Entry[] entries = new Entry[round.size()];
    int[] at = new int[round.size()];
    List<Integer> rebuild = new ArrayList<>();
    for (int j = 0; j < round.size(); j++) {
      Request r = requests.get(round.get(j));
      entries[j] = sessions.get(r.seriesKey());
      at[j] = boundary(entries[j], r.window());
      if (at[j] < 0) {
        rebuild.add(j);
      }
    }
    // 2. The rebuilt series in one pass; the entries are out of the map until their sessions exist
    if (!rebuild.isEmpty()) {
      List<double[][]> windows = new ArrayList<>(rebuild.size());
      List<long[]> times = new ArrayList<>(rebuild.size());
      for (int j : rebuild) {
        Request r = requests.get(round.get(j));
        Entry old = sessions.remove(r.seriesKey());
        if (old != null) {
          old.session.close();
        }
        windows.add(new double[][] {r.window().values()});
        times.add(r.window().timestamps());
      }
      List<AutoTimesSession> opened = AutoTimesSession.openEach(model, windows, times);
      for (int k = 0; k < rebuild.size(); k++) {
        int j = rebuild.get(k);
        Entry e = new Entry();
        e.session = opened.get(k);
        sessions.put(requests.get(round.get(j)).seriesKey(), e);
        entries[j] = e;
        at[j] = requests.get(round.get(j)).window().size() - 1;
      }
    }
    // 3. Completed segments, one step at a time for all series that have one more
    while (true) {
      List<AutoTimesSession> step = new ArrayList<>();
      List<double[][]> segments = new ArrayList<>();
      List<long[]> times = new ArrayList<>();
      for (int j = 0; j < round.size(); j++) {
        SeriesWindow w = requests.get(round.get(j)).window();
        double[] values = w.values();
        if (values.length - 1 - at[j] >= s) {
          step.add(entries[j].session);
          segments.add(new double[][] {Arrays.copyOfRange(values, at[j] + 1, at[j] + 1 + s)});
          times.add(Arrays.copyOfRange(w.timestamps(), at[j] + 1, at[j] + 1 + s));
          at[j] += s;
        }
      }
      if (step.isEmpty()) {
        break;
      }
      AutoTimesSession.appendEach(step, segments, times);
    }
    // 4. The forecasts from the boundaries, without the steps already observed
    List<AutoTimesSession> all = new ArrayList<>(round.size());
    int[] horizons = new int[round.size()];
    for (int j = 0; j < round.size(); j++) {
      SeriesWindow w = requests.get(round.get(j)).window();
      Entry e = entries[j];
      e.boundaryTimestamp = w.timestamps()[at[j]];
      e.boundaryValue = w.values()[at[j]];
      e.stepMillis = w.stepMillis();
      all.add(e.session);
      horizons[j] = w.size() - 1 - at[j] + horizon;
    }
    List<double[][]> f = AutoTimesSession.forecastEach(all, horizons);
    for (int j = 0; j < round.size(); j++) {
      int offset = horizons[j] - horizon;
      out[round.get(j)] = Arrays.copyOfRange(f.get(j)[0], offset, offset + horizon);
    }
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
  public synchronized AutoTimesSession session(String seriesKey) {
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

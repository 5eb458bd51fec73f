package dev.sibyl.models.autotimes;

import dev.sibyl.models.api.KeyedForecaster;
import dev.sibyl.models.api.SeriesWindow;
import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.artifact.Artifacts;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * AutoTimes for the streaming pipeline: one {@link AutoTimesSession} (KV cache) per series, kept by
 * {@link SegmentStreams} (bounded in series by least-recent use; its class comment gives the
 * segment alignment and when a session is rebuilt).
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
  private final SegmentStreams<AutoTimesSession> streams;

  /**
   * Creates the forecaster.
   *
   * @param model the trained model; not null, not closed by {@link #close()}
   * @param maxSeries the most series cached, at least 1
   * @throws IllegalArgumentException when maxSeries is below 1
   */
  public AutoTimesStreaming(AutoTimes model, int maxSeries) {
    this.model = Objects.requireNonNull(model, "model");
    AutoTimesConfig c = model.config();
    this.streams =
        new SegmentStreams<>(AutoTimes.FAMILY, model.lookback(), c.segmentLength(), c.streamMaxSegments(), maxSeries, model::openSession);
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
    return streams.forecast(seriesKey, window, horizon);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Cross-series batching: see {@link #forecastChannels}; each request here is a one-channel
   * series.
   */
  @Override
  public synchronized List<double[]> forecastAll(List<Request> requests, int horizon) {
    List<ChannelsRequest> one = new ArrayList<>(requests.size());
    for (Request r : requests) {
      SeriesWindow w = r.window();
      one.add(new ChannelsRequest(r.seriesKey(), w.timestamps(), new double[][] {w.values()}, w.stepMillis()));
    }
    List<double[][]> out = forecastChannels(one, horizon);
    List<double[]> flat = new ArrayList<>(out.size());
    for (double[][] f : out) {
      flat.add(f[0]);
    }
    return flat;
  }

  /**
   * {@inheritDoc}
   *
   * <p>One session per request key holds all its channels (one cache row each), so a request
   * stacks one cache into a shared pass however many channels it has. Cross-series batching: the
   * series new or to be rebuilt open in one pass, then the segments completed since each series'
   * boundary are appended a step at a time, the new tokens of all of them decoded in one pass
   * whatever their caches' lengths (see {@link AutoTimesSession#appendEach}), and the rollouts beyond
   * one segment run together. Requests repeating a key run in later rounds, and a round holds at
   * most {@link #maxSeries()} series, so that the least-recently-used eviction never closes a
   * session the round still uses. A failing round drops the sessions of its series (they rebuild
   * on their next call) and throws. The keys share one namespace with {@link #forecast}'s: a key
   * whose channel count changes is rebuilt.
   */
  @Override
  public synchronized List<double[][]> forecastChannels(List<ChannelsRequest> requests, int horizon) {
    if (horizon < 1) {
      throw new IllegalArgumentException("horizon must be >= 1, got " + horizon);
    }
    for (ChannelsRequest r : requests) {
      streams.checkWindow(r.timestamps().length);
    }
    double[][][] out = new double[requests.size()][][];
    List<Integer> left = new ArrayList<>();
    for (int i = 0; i < requests.size(); i++) {
      left.add(i);
    }
    while (!left.isEmpty()) {
      List<Integer> round = new ArrayList<>();
      List<Integer> later = new ArrayList<>();
      Set<String> keys = new HashSet<>();
      for (int i : left) {
        if (round.size() < streams.maxSeries() && keys.add(requests.get(i).seriesKey())) {
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

  /** One round of {@link #forecastChannels}: distinct keys, at most maxSeries of them. */
  private void forecastRound(List<ChannelsRequest> requests, List<Integer> round, int horizon, double[][][] out) {
    int s = model.config().segmentLength();
    // 1. Align every series: its entry and boundary, or a rebuild from the window
    @SuppressWarnings("unchecked")
    SegmentStreams.Entry<AutoTimesSession>[] entries = new SegmentStreams.Entry[round.size()];
    int[] at = new int[round.size()];
    List<Integer> rebuild = new ArrayList<>();
    for (int j = 0; j < round.size(); j++) {
      ChannelsRequest r = requests.get(round.get(j));
      entries[j] = streams.entry(r.seriesKey());
      at[j] = streams.boundary(entries[j], r.timestamps(), r.values(), r.stepMillis());
      if (at[j] < 0) {
        rebuild.add(j);
      }
    }
    // 2. The rebuilt series in one pass; their old sessions are dropped first, so that the eviction
    //    of the least recently used never closes a session this round still uses
    if (!rebuild.isEmpty()) {
      List<double[][]> windows = new ArrayList<>(rebuild.size());
      List<long[]> times = new ArrayList<>(rebuild.size());
      for (int j : rebuild) {
        ChannelsRequest r = requests.get(round.get(j));
        streams.forget(r.seriesKey());
        windows.add(r.values());
        times.add(r.timestamps());
      }
      List<AutoTimesSession> opened = AutoTimesSession.openEach(model, windows, times);
      for (int k = 0; k < rebuild.size(); k++) {
        int j = rebuild.get(k);
        ChannelsRequest r = requests.get(round.get(j));
        entries[j] = streams.rebuild(r.seriesKey(), opened.get(k));
        at[j] = r.timestamps().length - 1;
      }
    }
    // 3. Completed segments, one step at a time for all series that have one more
    while (true) {
      List<AutoTimesSession> step = new ArrayList<>();
      List<double[][]> segments = new ArrayList<>();
      List<long[]> times = new ArrayList<>();
      for (int j = 0; j < round.size(); j++) {
        ChannelsRequest r = requests.get(round.get(j));
        if (r.timestamps().length - 1 - at[j] >= s) {
          double[][] segment = new double[r.values().length][];
          for (int c = 0; c < segment.length; c++) {
            segment[c] = Arrays.copyOfRange(r.values()[c], at[j] + 1, at[j] + 1 + s);
          }
          step.add(entries[j].session);
          segments.add(segment);
          times.add(Arrays.copyOfRange(r.timestamps(), at[j] + 1, at[j] + 1 + s));
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
      ChannelsRequest r = requests.get(round.get(j));
      SegmentStreams.mark(entries[j], r.timestamps(), r.values(), r.stepMillis(), at[j]);
      all.add(entries[j].session);
      horizons[j] = r.timestamps().length - 1 - at[j] + horizon;
    }
    List<double[][]> f = AutoTimesSession.forecastEach(all, horizons);
    for (int j = 0; j < round.size(); j++) {
      int offset = horizons[j] - horizon;
      double[][] mine = new double[f.get(j).length][];
      for (int c = 0; c < mine.length; c++) {
        mine[c] = Arrays.copyOfRange(f.get(j)[c], offset, offset + horizon);
      }
      out[round.get(j)] = mine;
    }
  }

  @Override
  public synchronized void forget(String seriesKey) {
    streams.forget(seriesKey);
  }

  @Override
  public synchronized int cachedSeries() {
    return streams.size();
  }

  @Override
  public int maxSeries() {
    return streams.maxSeries();
  }

  /**
   * The session of a series, for tests and benchmarks; null when none is cached.
   *
   * @param seriesKey the series; not null
   * @return the session, still owned by this forecaster
   */
  public synchronized AutoTimesSession session(String seriesKey) {
    return streams.session(seriesKey);
  }

  @Override
  public synchronized void close() {
    streams.close();
  }
}

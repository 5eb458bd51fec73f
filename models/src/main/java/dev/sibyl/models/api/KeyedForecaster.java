package dev.sibyl.models.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An optional, stateful companion of {@link Forecaster} for models that keep per-series state
 * between calls, such as a decoder's KV cache (AutoTimes): the caller names the series, so that a
 * newly completed part of the series costs an incremental update rather than a full pass over the
 * window. The streaming pipeline may use it where a model offers one; {@link Forecaster} stays the
 * stateless API.
 *
 * <p>The cached state is an optimisation only: a forecast equals (to float rounding) what the same
 * model gives without the cache, and a series whose cache is missing, evicted or inconsistent with
 * the window (a restart, a gap, a replaced value) is rebuilt from the window. The cache is bounded
 * in series ({@link #maxSeries()}, least recently used evicted) and in state per series.
 * Implementations are thread-safe; calls for one series must come from one thread at a time (as a
 * stream task's do).
 */
public interface KeyedForecaster extends AutoCloseable {

  /** The model family, e.g. {@code autotimes}. */
  String family();

  /** The model version (the artifact's). */
  String version();

  /** The fewest observations {@link #forecast} accepts. */
  int minHistory();

  /**
   * Point forecasts of {@code horizon} steps after the last observation of {@code window}.
   *
   * @param seriesKey identifies the series (e.g. source and channel); not null
   * @param window recent observations, at least {@link #minHistory()} of them; not null
   * @param horizon number of steps, positive
   * @return point forecasts; shape (horizon)
   * @throws IllegalArgumentException when the window is too short or the horizon not positive
   */
  double[] forecast(String seriesKey, SeriesWindow window, int horizon);

  /**
   * One series' part of a {@link #forecastAll} call.
   *
   * @param seriesKey identifies the series; not null
   * @param window its recent observations; not null
   */
  record Request(String seriesKey, SeriesWindow window) {

    /** Checks for nulls. */
    public Request {
      Objects.requireNonNull(seriesKey, "seriesKey");
      Objects.requireNonNull(window, "window");
    }
  }

  /**
   * Point forecasts of many series at once, each what {@link #forecast} gives for it, so that an
   * implementation can decode the new parts of many series in shared model calls (cross-series
   * batching in an inference worker). Requests for the same key are answered in list order, as
   * successive {@link #forecast} calls. This default calls {@link #forecast} for each request.
   *
   * @param requests the series and their windows; not null, may be empty
   * @param horizon number of steps, positive
   * @return per request its point forecasts, shape (horizon), in request order
   * @throws IllegalArgumentException when a window is too short or the horizon not positive
   */
  default List<double[]> forecastAll(List<Request> requests, int horizon) {
    List<double[]> out = new ArrayList<>(requests.size());
    for (Request r : requests) {
      out.add(forecast(r.seriesKey(), r.window(), horizon));
    }
    return out;
  }

  /**
   * Several channels of one series sampled on one clock (the sensors of one machine), so that an
   * implementation can keep one state for all of them: its cache advances one position for every
   * channel at once, and stacking series for a shared model call moves one array per series rather
   * than one per channel.
   *
   * @param seriesKey identifies the series; not null
   * @param timestamps the points' times, oldest first; not null
   * @param values per channel its observations at those times; shape (channels, timestamps),
   *     at least one channel; not changed by the call; not null
   * @param stepMillis the nominal spacing of the points
   */
  record ChannelsRequest(String seriesKey, long[] timestamps, double[][] values, long stepMillis) {

    /** Checks for nulls and the shape. */
    public ChannelsRequest {
      Objects.requireNonNull(seriesKey, "seriesKey");
      Objects.requireNonNull(timestamps, "timestamps");
      Objects.requireNonNull(values, "values");
      if (values.length == 0) {
        throw new IllegalArgumentException("a channels request needs at least one channel");
      }
      for (double[] v : values) {
        if (v.length != timestamps.length) {
          throw new IllegalArgumentException(
              "every channel needs one value per timestamp: " + timestamps.length + " timestamps, "
                  + v.length + " values");
        }
      }
    }

    /** Channel {@code c} as a window (sharing this request's arrays). */
    public SeriesWindow window(int c) {
      return new SeriesWindow(timestamps, values[c], stepMillis);
    }
  }

  /**
   * Point forecasts of every channel of many series, each channel what {@link #forecast} gives for
   * it. This default answers channel {@code c} of series {@code k} as the one-channel series
   * {@code "<c>:<k>"} through {@link #forecastAll}; a model whose state can hold several series
   * on one clock (AutoTimes) overrides it to keep one state per request key. A key must keep its
   * channel count; a key whose count changes is rebuilt.
   *
   * @param requests the series and their channels; not null, may be empty
   * @param horizon number of steps, positive
   * @return per request its forecasts, shape (channels, horizon), in request order
   * @throws IllegalArgumentException when a window is too short or the horizon not positive
   */
  default List<double[][]> forecastChannels(List<ChannelsRequest> requests, int horizon) {
    List<Request> flat = new ArrayList<>();
    for (ChannelsRequest r : requests) {
      for (int c = 0; c < r.values().length; c++) {
        flat.add(new Request(c + ":" + r.seriesKey(), r.window(c)));
      }
    }
    List<double[]> out = forecastAll(flat, horizon);
    List<double[][]> grouped = new ArrayList<>(requests.size());
    int at = 0;
    for (ChannelsRequest r : requests) {
      double[][] mine = new double[r.values().length][];
      for (int c = 0; c < mine.length; c++) {
        mine[c] = out.get(at++);
      }
      grouped.add(mine);
    }
    return grouped;
  }

  /**
   * Drops a series' cached state (e.g. when its window restarts after a gap); unknown keys are
   * ignored.
   *
   * @param seriesKey the series; not null
   */
  void forget(String seriesKey);

  /** Series currently cached, at most {@link #maxSeries()}. */
  int cachedSeries();

  /** The most series cached at once. */
  int maxSeries();

  /** Frees every cached state. */
  @Override
  void close();
}

package dev.sibyl.models.api;

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

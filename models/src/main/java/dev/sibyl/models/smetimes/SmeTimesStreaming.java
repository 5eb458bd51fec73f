package dev.sibyl.models.smetimes;

import dev.sibyl.models.api.KeyedForecaster;
import dev.sibyl.models.api.SeriesWindow;
import dev.sibyl.models.autotimes.SegmentStreams;
import java.util.Objects;

/**
 * SMETimes for the streaming pipeline: one {@link SmeTimesSession} (KV cache) per series, kept by
 * AutoTimes' {@link SegmentStreams} (bounded in series by least-recent use; its class comment gives
 * the segment alignment and when a session is rebuilt). A completed segment costs one token of
 * decoding plus, when its prompt text is new, one LLM pass over that text. Keyed requests are
 * answered one series at a time ({@link KeyedForecaster#forecastAll}'s default), not batched
 * across series as AutoTimes' are.
 *
 * <p>Thread-safe: calls are serialised on this object (a session is small and a call short).
 */
public final class SmeTimesStreaming implements KeyedForecaster {

  /** The default number of series cached. */
  public static final int MAX_SERIES_DEFAULT = 1024;

  private final SmeTimes model;
  private final SegmentStreams<SmeTimesSession> streams;

  /**
   * Creates the forecaster.
   *
   * @param model the trained model; not null, not closed by {@link #close()}
   * @param maxSeries the most series cached, at least 1
   * @throws IllegalArgumentException when maxSeries is below 1
   */
  public SmeTimesStreaming(SmeTimes model, int maxSeries) {
    this.model = Objects.requireNonNull(model, "model");
    this.streams =
        new SegmentStreams<>(
            SmeTimes.FAMILY,
            model.lookback(),
            model.config().segmentLength(),
            model.config().base().streamMaxSegments(),
            maxSeries,
            (values, times) -> model.openSession(values));
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
  synchronized SmeTimesSession session(String seriesKey) {
    return streams.session(seriesKey);
  }

  @Override
  public synchronized void close() {
    streams.close();
  }
}

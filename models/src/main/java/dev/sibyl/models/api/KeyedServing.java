package dev.sibyl.models.api;

import dev.sibyl.models.interval.SplitConformal;
import java.util.List;
import java.util.Objects;
import java.util.function.IntFunction;

/**
 * A trained model that the pipeline may serve two ways: as the stateless {@link Forecaster} it
 * wraps (full passes, split-conformal intervals from a backtest per call), and through {@link
 * KeyedForecaster}s that keep per-series state between calls (a decoder's KV cache), which {@link
 * #openKeyed} creates. {@link TrainedForecasters#create} returns one for a family that offers a
 * keyed forecaster (AutoTimes, SMETimes) with {@code streaming=kv-cache}; the streaming pipeline
 * then takes its keyed path, and uses the stateless forecaster to seed each series' online
 * intervals.
 *
 * <p>As a {@link Forecaster} it is the stateless forecaster: every caller that does not know the
 * keyed path (evaluation commands, the inference pool) gets exactly what it got before. Immutable
 * and thread-safe; each keyed forecaster it opens belongs to its caller.
 */
public final class KeyedServing implements Forecaster {

  private final Forecaster stateless;
  private final IntFunction<KeyedForecaster> factory;

  private KeyedServing(Forecaster stateless, IntFunction<KeyedForecaster> factory) {
    this.stateless = stateless;
    this.factory = factory;
  }

  /**
   * Pairs a stateless forecaster with the keyed forecasters of the same model.
   *
   * @param stateless the model's stateless forecaster, whose intervals seed the keyed path; not
   *     null
   * @param factory creates a keyed forecaster caching at most the given number of series; not null
   * @return the pair
   */
  public static KeyedServing of(Forecaster stateless, IntFunction<KeyedForecaster> factory) {
    return new KeyedServing(
        Objects.requireNonNull(stateless, "stateless must not be null"),
        Objects.requireNonNull(factory, "factory must not be null"));
  }

  /** The stateless forecaster. */
  public Forecaster stateless() {
    return stateless;
  }

  /**
   * A new keyed forecaster of the model, e.g. one per stream task.
   *
   * @param maxSeries the most series it caches, at least 1
   * @return the keyed forecaster; the caller closes it
   * @throws IllegalArgumentException when maxSeries is below 1, or when the keyed forecaster needs
   *     more history than the stateless one (the pipeline decides when to forecast from the latter)
   */
  public KeyedForecaster openKeyed(int maxSeries) {
    if (maxSeries < 1) {
      throw new IllegalArgumentException("maxSeries must be >= 1, got " + maxSeries);
    }
    KeyedForecaster keyed = factory.apply(maxSeries);
    if (keyed.minHistory() > stateless.minHistory()) {
      keyed.close();
      throw new IllegalArgumentException(
          "the keyed " + keyed.family() + " needs " + keyed.minHistory() + " values, more than the stateless"
              + " forecaster's " + stateless.minHistory());
    }
    return keyed;
  }

  /**
   * The window length from which the stateless forecaster's intervals rest on every calibration
   * residual they use: the model's minimum plus {@code calibration.size + horizon - 1} for
   * split-conformal intervals ({@link BatchedForecaster}, {@link SplitConformal}); the minimum
   * history for any other forecaster. The keyed path seeds its intervals again until its window is
   * this long.
   *
   * @param horizon the forecast horizon, positive
   * @return the window length, at least {@link #minHistory()}
   */
  public int calibratedHistory(int horizon) {
    if (stateless instanceof BatchedForecaster b) {
      return b.minHistory() + b.calibrationSize() + horizon - 1;
    }
    if (stateless instanceof SplitConformal c) {
      return c.minHistory() + c.calibrationSize() + horizon - 1;
    }
    return stateless.minHistory();
  }

  @Override
  public String family() {
    return stateless.family();
  }

  @Override
  public String version() {
    return stateless.version();
  }

  @Override
  public int minHistory() {
    return stateless.minHistory();
  }

  @Override
  public ForecastResult forecast(SeriesWindow window, int horizon) {
    return stateless.forecast(window, horizon);
  }

  @Override
  public List<ForecastResult> forecastBatch(List<SeriesWindow> windows, int horizon) {
    return stateless.forecastBatch(windows, horizon);
  }

  @Override
  public String toString() {
    return "KeyedServing[" + stateless + "]";
  }
}

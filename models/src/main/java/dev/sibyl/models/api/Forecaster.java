package dev.sibyl.models.api;

import java.util.ArrayList;
import java.util.List;

/**
 * A model that forecasts a series from a window of its recent observations. Implementations are
 * immutable after construction and safe to call from several threads; any per-series state lives
 * in the window the caller passes.
 */
public interface Forecaster {

  /** The model family, e.g. {@code holt-winters}; carried in every forecast. */
  String family();

  /** The model version (artifact version, or the code version for parameter-free models). */
  String version();

  /** The fewest observations {@link #forecast} accepts. */
  int minHistory();

  /**
   * Forecasts {@code horizon} steps after the last observation of {@code window}.
   *
   * @param window recent observations, at least {@link #minHistory()} of them
   * @param horizon number of steps, positive
   * @return the forecast with intervals at the model's configured coverage
   * @throws IllegalArgumentException when the window is too short or the horizon not positive
   */
  ForecastResult forecast(SeriesWindow window, int horizon);

  /**
   * Forecasts several windows at once. The default calls {@link #forecast} in turn; models that
   * batch (the neural families) override it.
   *
   * @param windows the windows, each at least {@link #minHistory()} long
   * @param horizon number of steps, positive
   * @return one result per window, in order
   */
  default List<ForecastResult> forecastBatch(List<SeriesWindow> windows, int horizon) {
    List<ForecastResult> results = new ArrayList<>(windows.size());
    for (SeriesWindow window : windows) {
      results.add(forecast(window, horizon));
    }
    return results;
  }
}

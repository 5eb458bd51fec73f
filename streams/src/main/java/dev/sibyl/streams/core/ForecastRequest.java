package dev.sibyl.streams.core;

import dev.sibyl.models.api.SeriesWindow;

/**
 * A forecast that {@link SeriesOperator#admit} found due: the series' window at the moment it
 * became due and the horizon to forecast. It is a snapshot, so it can be sent to a model on another
 * thread or machine while the series moves on.
 *
 * @param window the window the model sees, oldest first
 * @param horizon steps to forecast, positive
 */
public record ForecastRequest(SeriesWindow window, int horizon) {

  /** The time the forecast is issued at: the newest observation it saw. */
  public long issuedAt() {
    return window.lastTimestamp();
  }
}

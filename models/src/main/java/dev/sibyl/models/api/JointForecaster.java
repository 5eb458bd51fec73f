package dev.sibyl.models.api;

import java.util.List;

/**
 * A forecaster of the channels of one source together: a multivariate model (S-Mamba mixes the
 * variates) needs every channel's window at once and answers for all of them in one call. The
 * streaming pipeline takes its joint path when {@link ForecasterRegistry#create} returns one.
 *
 * <p>It is a {@link Forecaster} so that it travels where the configured model does (its family,
 * version and minimum history are the pipeline's), but one series alone is not enough for it:
 * {@link #forecast} throws. Implementations are immutable and thread-safe.
 */
public interface JointForecaster extends Forecaster {

  /** The channels it forecasts, by name, in the model's input order; unmodifiable, not empty. */
  List<String> channels();

  /**
   * Forecasts every channel from its window.
   *
   * @param windows one per name of {@link #channels()}, in that order, each at least {@link
   *     #minHistory()} long, all with the same timestamps; not null
   * @param horizon steps to forecast, positive (and served by the model)
   * @return one result per channel, in the same order, with intervals at the configured coverage
   * @throws IllegalArgumentException for a wrong number of windows, windows whose lengths or
   *     timestamps differ (naming the channel), a window too short, a non-finite value, or a
   *     horizon the model does not serve
   */
  List<ForecastResult> forecastJoint(List<SeriesWindow> windows, int horizon);

  /**
   * Refuses: the model needs all its channels.
   *
   * @throws UnsupportedOperationException always, naming the channels it needs
   */
  @Override
  default ForecastResult forecast(SeriesWindow window, int horizon) {
    throw new UnsupportedOperationException(
        family()
            + " forecasts the channels "
            + channels()
            + " of a source jointly and cannot forecast one series alone; call forecastJoint");
  }
}

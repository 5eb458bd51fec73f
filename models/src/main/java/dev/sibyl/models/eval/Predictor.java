package dev.sibyl.models.eval;

/** What the harness evaluates: a batch of windows to forecasts (a {@code WindowModel} or a baseline). */
@FunctionalInterface
public interface Predictor {

  /**
   * Forecasts a batch.
   *
   * @param windows shape (batch, channels, lookback)
   * @param horizon steps
   * @return shape (batch, channels, horizon)
   */
  double[][][] predict(double[][][] windows, int horizon);
}

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

  /**
   * Forecasts a batch of consecutive windows, knowing where they lie in the data: a predictor that
   * needs more than the values (the rows' calendar times, a prompt cut from rows before each
   * window) overrides this; the default ignores the place.
   *
   * @param windows shape (batch, channels, lookback); window {@code b} starts at row {@code
   *     firstRow + b} of the prepared data
   * @param firstRow the first window's first row
   * @param horizon steps
   * @return shape (batch, channels, horizon)
   */
  default double[][][] predictAt(double[][][] windows, int firstRow, int horizon) {
    return predict(windows, horizon);
  }
}

package dev.sibyl.models.api;

/**
 * Point forecasts made at consecutive origins of one window, as produced by {@link
 * PointModel#backtest}. The forecast "at origin {@code o}" is made from {@code values[0..o)} only
 * and predicts {@code values[o], values[o + 1], ...}. The last row, at origin {@code n} (the window
 * length), is the forecast past the end of the window.
 *
 * @param firstOrigin the origin of row 0, in {@code [0, n]}
 * @param forecasts point forecasts; shape (origins = n + 1 - firstOrigin, horizon); row {@code i}
 *     is the forecast at origin {@code firstOrigin + i}, column {@code k - 1} is step {@code k}
 */
public record Backtest(int firstOrigin, double[][] forecasts) {

  /**
   * Checks the shape.
   *
   * @throws NullPointerException when {@code forecasts} is null
   * @throws IllegalArgumentException when {@code firstOrigin} is negative or there are no rows
   */
  public Backtest {
    if (firstOrigin < 0) {
      throw new IllegalArgumentException("firstOrigin must be >= 0, got " + firstOrigin);
    }
    if (forecasts.length == 0) {
      throw new IllegalArgumentException("a backtest needs at least the row at origin n, got none");
    }
  }

  /** The origin of the last row, which is the window length n. */
  public int lastOrigin() {
    return firstOrigin + forecasts.length - 1;
  }

  /**
   * The forecast made at one origin.
   *
   * @param origin in {@code [firstOrigin, lastOrigin]}
   * @return the row (not a copy); shape (horizon)
   * @throws IllegalArgumentException when the origin is outside the backtest
   */
  public double[] at(int origin) {
    if (origin < firstOrigin || origin > lastOrigin()) {
      throw new IllegalArgumentException(
          "origin must be in [" + firstOrigin + ", " + lastOrigin() + "], got " + origin);
    }
    return forecasts[origin - firstOrigin];
  }
}

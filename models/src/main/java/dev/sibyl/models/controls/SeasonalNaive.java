package dev.sibyl.models.controls;

import dev.sibyl.models.api.Backtest;
import dev.sibyl.models.api.PointModel;
import java.util.Objects;

/**
 * Seasonal naive forecasts: every step repeats the value one season earlier.
 *
 * <p>Method: Hyndman &amp; Athanasopoulos, Forecasting: Principles and Practice (3rd ed.), section
 * 5.2, "Seasonal naive method": {@code y[T + k | T] = y[T + k - m * (floor((k - 1) / m) + 1)]},
 * written here as {@code y[T + k - m * ceil(k / m)]}. No departure. With {@code m = 1} it is the
 * naive (random walk) forecast.
 *
 * <p>Hyperparameters: the season length {@code m} only; there are no weights and no state, so the
 * class is immutable and thread-safe. Intervals come from {@code SplitConformal}.
 */
public final class SeasonalNaive implements PointModel {

  /** The family name under which the registry creates this model. */
  public static final String FAMILY = "seasonal-naive";

  /** Code version; the model has no learned parameters. */
  public static final String VERSION = "1";

  private final int seasonLength;

  /**
   * Creates the model.
   *
   * @param seasonLength the season length m in steps, at least 1
   * @throws IllegalArgumentException when {@code seasonLength < 1}
   */
  public SeasonalNaive(int seasonLength) {
    if (seasonLength < 1) {
      throw new IllegalArgumentException("seasonLength must be >= 1, got " + seasonLength);
    }
    this.seasonLength = seasonLength;
  }

  /** The season length m in steps. */
  public int seasonLength() {
    return seasonLength;
  }

  @Override
  public String family() {
    return FAMILY;
  }

  @Override
  public String version() {
    return VERSION;
  }

  /** One full season, m values: every step needs a value one season back. */
  @Override
  public int minHistory() {
    return seasonLength;
  }

  /**
   * {@inheritDoc}
   *
   * @throws NullPointerException when {@code values} is null
   * @throws IllegalArgumentException when fewer than m values are given or the horizon is not
   *     positive
   */
  @Override
  public double[] forecast(double[] values, int horizon) {
    Objects.requireNonNull(values, "values must not be null");
    PointModel.checkArguments(this, values, horizon, values.length);
    double[] out = new double[horizon]; // (horizon)
    fill(values, values.length, horizon, out);
    return out;
  }

  /**
   * {@inheritDoc} One pass: O((n - firstOrigin) * horizon). The earliest origin is m.
   *
   * @throws NullPointerException when {@code values} is null
   * @throws IllegalArgumentException when fewer than m values are given, the horizon is not
   *     positive or {@code firstOrigin} is outside {@code [0, n]}
   */
  @Override
  public Backtest backtest(double[] values, int horizon, int firstOrigin) {
    int n = PointModel.checkArguments(this, values, horizon, firstOrigin);
    int first = Math.max(firstOrigin, seasonLength);
    double[][] forecasts = new double[n + 1 - first][horizon]; // (origins, horizon)
    for (int origin = first; origin <= n; origin++) {
      fill(values, origin, horizon, forecasts[origin - first]);
    }
    return new Backtest(first, forecasts);
  }

  /**
   * Forecasts from origin {@code o} (last observed index {@code T = o - 1}) into {@code out}.
   *
   * @param values shape (n), {@code o <= n}
   * @param origin o, at least m
   * @param horizon number of steps
   * @param out shape (horizon)
   */
  private void fill(double[] values, int origin, int horizon, double[] out) {
    int m = seasonLength;
    for (int k = 1; k <= horizon; k++) {
      // y[T + k - m * ceil(k / m)], with T = origin - 1
      int seasonsBack = (k + m - 1) / m;
      out[k - 1] = values[origin - 1 + k - m * seasonsBack];
    }
  }
}

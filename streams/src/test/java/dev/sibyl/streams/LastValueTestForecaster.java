package dev.sibyl.streams;

import dev.sibyl.models.api.ForecastResult;
import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.SeriesWindow;
import java.util.Arrays;

/**
 * A test double of a model, not a real forecaster: it predicts the last value with a fixed
 * interval of +-halfWidth, so that the operator's windowing, cadence and anomaly logic can be
 * asserted exactly. It fails on purpose when the last value is {@link #FAIL_ON}.
 */
public final class LastValueTestForecaster implements Forecaster {

  /** A window ending in this value makes the forecaster throw. */
  public static final double FAIL_ON = -999;

  private final int minHistory;
  private final double halfWidth;

  public LastValueTestForecaster(int minHistory, double halfWidth) {
    this.minHistory = minHistory;
    this.halfWidth = halfWidth;
  }

  @Override
  public String family() {
    return "last-value-test";
  }

  @Override
  public String version() {
    return "1";
  }

  @Override
  public int minHistory() {
    return minHistory;
  }

  @Override
  public ForecastResult forecast(SeriesWindow window, int horizon) {
    double last = window.values()[window.size() - 1];
    if (last == FAIL_ON) {
      throw new IllegalStateException("test forecaster asked to fail");
    }
    double[] mean = new double[horizon];
    Arrays.fill(mean, last);
    double[] lower = Arrays.stream(mean).map(m -> m - halfWidth).toArray();
    double[] upper = Arrays.stream(mean).map(m -> m + halfWidth).toArray();
    return new ForecastResult(mean, lower, upper, 0.9);
  }
}

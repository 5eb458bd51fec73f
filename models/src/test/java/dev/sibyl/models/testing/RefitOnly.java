package dev.sibyl.models.testing;

import dev.sibyl.models.api.PointModel;

/**
 * Hides a model's one-pass {@link PointModel#backtest}, so that the interface default (a full
 * forecast per prefix) runs instead: the naive twin the one-pass implementations are checked
 * against.
 */
public record RefitOnly(PointModel delegate) implements PointModel {

  @Override
  public String family() {
    return delegate.family();
  }

  @Override
  public String version() {
    return delegate.version();
  }

  @Override
  public int minHistory() {
    return delegate.minHistory();
  }

  @Override
  public double[] forecast(double[] values, int horizon) {
    return delegate.forecast(values, horizon);
  }
}

package dev.sibyl.models.api;

import java.util.Map;
import java.util.Objects;

/**
 * A {@link WindowModel} that describes itself as another one does (family, version, shapes,
 * hyperparameters, sizes) and leaves {@link #predict(double[][][], int)} to its subclass: for
 * wrappers that change how forecasts are made (record, replay, gate, count calls) but not what the
 * model is. Guava's {@code Forwarding*} classes, for this one interface.
 */
public abstract class ForwardingWindowModel implements WindowModel {

  private final WindowModel delegate;

  /**
   * @param delegate the model this one describes itself as; not null
   */
  protected ForwardingWindowModel(WindowModel delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /** The wrapped model. */
  protected final WindowModel delegate() {
    return delegate;
  }

  @Override
  public String family() {
    return delegate.family();
  }

  @Override
  public String version() {
    return delegate.version();
  }

  @Override
  public int lookback() {
    return delegate.lookback();
  }

  @Override
  public int horizon() {
    return delegate.horizon();
  }

  @Override
  public int channels() {
    return delegate.channels();
  }

  @Override
  public boolean autoregressive() {
    return delegate.autoregressive();
  }

  @Override
  public Map<String, String> hyperparameters() {
    return delegate.hyperparameters();
  }

  @Override
  public long parametersTrainable() {
    return delegate.parametersTrainable();
  }

  @Override
  public long parametersTotal() {
    return delegate.parametersTotal();
  }
}

package dev.sibyl.connectors.sim;

/**
 * The normal behaviour of one simulated channel: {@code base + amplitude * seasonal(step) +
 * trendPerStep * step + noise}, where {@code seasonal} has the simulator's period and values in
 * about [-1, 1], and noise is Gaussian with standard deviation {@code noiseSd}.
 *
 * @param name channel name, the key in {@code TelemetryPoint.values}; not blank
 * @param base mean level at step 0
 * @param amplitude half the peak-to-peak swing of the seasonal curve, at least 0
 * @param trendPerStep slow drift added per step
 * @param noiseSd standard deviation of the Gaussian noise, positive (anomaly sizes scale with it)
 */
public record ChannelSpec(
    String name, double base, double amplitude, double trendPerStep, double noiseSd) {

  /**
   * @throws IllegalArgumentException naming the field when a value is out of range
   */
  public ChannelSpec {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("channel name must not be blank, got '" + name + "'");
    }
    if (!(amplitude >= 0) || Double.isInfinite(amplitude)) {
      throw new IllegalArgumentException(
          "amplitude of channel " + name + " must be finite and >= 0, got " + amplitude);
    }
    if (!(noiseSd > 0) || Double.isInfinite(noiseSd)) {
      throw new IllegalArgumentException(
          "noiseSd of channel " + name + " must be finite and > 0, got " + noiseSd);
    }
    if (!Double.isFinite(base) || !Double.isFinite(trendPerStep)) {
      throw new IllegalArgumentException(
          "base and trendPerStep of channel " + name + " must be finite");
    }
  }
}

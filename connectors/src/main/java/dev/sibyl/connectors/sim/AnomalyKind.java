package dev.sibyl.connectors.sim;

import java.util.Locale;

/** The kinds of anomaly the {@link TelemetrySimulator} injects. */
public enum AnomalyKind {

  /** One point far off the curve: a few noise standard deviations, either sign. */
  SPIKE,

  /** A permanent step of the channel's level; only the first point after the step is labelled. */
  LEVEL_SHIFT,

  /** Noise several times larger for a window of points; every point of the window is labelled. */
  VARIANCE_BURST;

  /** The label value, e.g. {@code spike}, {@code level_shift}, {@code variance_burst}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The kind with this label.
   *
   * @param label a value of {@link #label()}
   * @return the kind
   * @throws IllegalArgumentException naming the label and the allowed ones when it is unknown
   */
  public static AnomalyKind fromLabel(String label) {
    for (AnomalyKind kind : values()) {
      if (kind.label().equals(label)) {
        return kind;
      }
    }
    throw new IllegalArgumentException(
        "unknown anomaly kind '" + label + "', expected one of spike, level_shift, variance_burst");
  }
}

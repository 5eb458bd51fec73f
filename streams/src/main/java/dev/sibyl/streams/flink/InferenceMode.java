package dev.sibyl.streams.flink;

import java.util.Locale;

/** Where {@link InferenceFunction} runs the model. */
public enum InferenceMode {
  /** The forecaster in the task manager, on the operator's inference threads (statistical models). */
  DIRECT,
  /** A worker pool in the task manager's JVM ({@code InProcessClient}) serving the trained artifact. */
  IN_PROCESS,
  /** Remote inference workers over gRPC ({@code RemotePool}) serving the trained artifact. */
  REMOTE;

  /** The setting's spelling: lower case, hyphens. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /**
   * Parses a setting.
   *
   * @throws IllegalArgumentException naming the allowed values
   */
  public static InferenceMode parse(String value) {
    for (InferenceMode mode : values()) {
      if (mode.configName().equals(value.trim())) {
        return mode;
      }
    }
    throw new IllegalArgumentException("inference mode must be one of direct, in-process, remote; got '" + value + "'");
  }
}

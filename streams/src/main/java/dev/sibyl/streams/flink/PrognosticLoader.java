package dev.sibyl.streams.flink;

import dev.sibyl.models.api.Prognostic;
import dev.sibyl.models.rul.Prognostics;
import java.io.Serializable;
import java.nio.file.Path;

/**
 * Loads the prognostic model in a task manager: the settings travel, the model is built where it
 * runs ({@link HealthFunction#open}).
 */
@FunctionalInterface
interface PrognosticLoader extends Serializable {

  /** Loads the model; throws naming what failed. */
  Prognostic load() throws Exception;

  /** The model saved in an artifact directory ({@code health.artifact}). */
  static PrognosticLoader artifact(String directory) {
    return () -> Prognostics.load(Path.of(directory));
  }
}

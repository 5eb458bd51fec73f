package dev.sibyl.models.artifact;

import java.io.IOException;
import java.nio.file.Path;

/**
 * An artifact that cannot be loaded or written. The message names the path and the problem.
 */
public final class ArtifactException extends IOException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param path the file or directory at fault
   * @param problem what is wrong with it
   * @param cause the underlying failure, or null
   */
  public ArtifactException(Path path, String problem, Throwable cause) {
    super(path + ": " + problem, cause);
  }
}

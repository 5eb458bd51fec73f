package dev.sibyl.models.arphmm;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** The C-MAPSS folder for tests; skips the calling test when it is absent. */
final class Fd001 {

  private Fd001() {}

  /** The cmapss folder holding train/test/RUL_FD001.txt. */
  static Path dir() {
    Path dir = Path.of(System.getProperty("sibyl.datasets", "../shared/datasets"), "cmapss");
    assumeTrue(Files.isRegularFile(dir.resolve("train_FD001.txt"))
            && Files.isRegularFile(dir.resolve("test_FD001.txt"))
            && Files.isRegularFile(dir.resolve("RUL_FD001.txt")),
        "C-MAPSS FD001 absent: " + dir.toAbsolutePath());
    return dir;
  }
}

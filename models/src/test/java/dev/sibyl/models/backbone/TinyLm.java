package dev.sibyl.models.backbone;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the shared tinylm files (llama2.c stories260K); tests skip when they are absent. */
public final class TinyLm {

  /** The checkpoint file name. */
  public static final String CHECKPOINT = "stories260K.bin";

  /** The tokenizer file name. */
  public static final String TOKENIZER = "tok512.bin";

  /** The reference greedy output of llama2.c's run.c ({@code -t 0 -n 200}). */
  public static final String EXPECTED = "expected_t0_n200.txt";

  private TinyLm() {}

  /**
   * A file of the tinylm folder, skipping the calling test when it is absent.
   *
   * @param name the file name
   * @return its path
   */
  public static Path file(String name) {
    Path dir = Path.of(System.getProperty("sibyl.datasets", "../shared/datasets"), "tinylm");
    Path file = dir.resolve(name);
    assumeTrue(Files.isRegularFile(file), "tinylm dataset absent: " + file.toAbsolutePath());
    return file;
  }
}

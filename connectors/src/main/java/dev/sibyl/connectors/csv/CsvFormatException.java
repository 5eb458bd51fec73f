package dev.sibyl.connectors.csv;

import java.nio.file.Path;

/**
 * A CSV file that cannot be turned into telemetry points. The message starts with {@code
 * file:line:} so that a user can jump straight to the offending row.
 */
public final class CsvFormatException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final long line;

  /**
   * @param file the file being read; never null
   * @param line the 1-based line number of the offending row (1 is the header)
   * @param detail what is wrong with the row, naming the column and the bad value
   */
  public CsvFormatException(Path file, long line, String detail) {
    super(file + ":" + line + ": " + detail);
    this.file = file;
    this.line = line;
  }

  /** The file being read; never null. */
  public Path file() {
    return file;
  }

  /** The 1-based line number of the offending row (1 is the header). */
  public long line() {
    return line;
  }
}

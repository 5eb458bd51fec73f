package dev.sibyl.connectors.sim;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes injected anomalies as CSV with the header {@value #HEADER}: one row per labelled point,
 * timestamps in ISO-8601 UTC ({@code 2024-01-01T00:00:00Z}). Rows are flushed on {@link #close()}.
 */
public final class AnomalyLabelsWriter implements Closeable {

  /** The header row of the labels CSV. */
  public static final String HEADER = "source,channel,timestamp,kind";

  private final BufferedWriter out;
  private long rows;

  /**
   * Creates (or truncates) the file and writes the header.
   *
   * @param file the CSV to write; its parent directory must exist
   * @throws IOException when the file cannot be created
   */
  public AnomalyLabelsWriter(Path file) throws IOException {
    try {
      this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      // NIO messages are often just the path; say what was attempted and why it failed.
      throw new IOException(
          "cannot create the labels CSV " + file + " (" + e.getClass().getSimpleName() + ")", e);
    }
    out.write(HEADER);
    out.newLine();
  }

  /**
   * Appends one row.
   *
   * @param anomaly the labelled point; never null
   * @throws IOException when writing fails
   */
  public void write(InjectedAnomaly anomaly) throws IOException {
    out.write(anomaly.source());
    out.write(',');
    out.write(anomaly.channel());
    out.write(',');
    out.write(anomaly.timestamp().toString());
    out.write(',');
    out.write(anomaly.kind().label());
    out.newLine();
    rows++;
  }

  /** Rows written so far, header excluded. */
  public long rows() {
    return rows;
  }

  /** Flushes and closes the file. */
  @Override
  public void close() throws IOException {
    out.close();
  }
}

package dev.sibyl.models.anomaly;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Reads a corpus in NAB's layout: {@code <category>/<file>.csv} files of {@code timestamp,value}
 * rows (LF or CRLF, timestamps {@code yyyy-MM-dd HH:mm:ss}, UTC) and a {@code combined_windows.json}
 * mapping {@code category/file.csv} to {@code [start, end]} timestamp pairs.
 */
public final class NabCorpus {

  /**
   * One NAB file.
   *
   * @param key the windows key, {@code category/file.csv}
   * @param timestamps the timestamp text of each row, as in the file; shape (rows)
   * @param millis the timestamps in epoch milliseconds (read as UTC); shape (rows)
   * @param values the values; shape (rows)
   * @param windows the windows in row indices
   */
  public record Series(
      String key,
      List<String> timestamps,
      long[] millis,
      double[] values,
      List<NabScorer.Window> windows) {

    /** The category, the folder part of the key. */
    public String category() {
      int slash = key.lastIndexOf('/');
      return slash < 0 ? "" : key.substring(0, slash);
    }

    /** The file name without folder. */
    public String fileName() {
      return key.substring(key.lastIndexOf('/') + 1);
    }
  }

  private NabCorpus() {}

  /**
   * Loads every file listed in the windows file, in the file's order.
   *
   * @param dataDir the folder holding {@code <category>/<file>.csv}, or one holding {@code
   *     data/<category>/<file>.csv}
   * @param windowsFile NAB's combined_windows.json
   * @return the series
   * @throws IllegalArgumentException when a listed file is missing, a row or timestamp is malformed,
   *     or a window lies outside its file (each naming the file and line)
   * @throws UncheckedIOException when a file cannot be read
   */
  public static List<Series> load(Path dataDir, Path windowsFile) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(windowsFile.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read windows file " + windowsFile, e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(windowsFile + ": expected a JSON object of file -> windows");
    }
    List<Series> out = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      Path file = dataDir.resolve(e.getKey());
      if (!Files.isRegularFile(file)) {
        file = dataDir.resolve("data").resolve(e.getKey());
      }
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException("no data file for " + e.getKey() + " under " + dataDir);
      }
      out.add(read(e.getKey(), file, e.getValue()));
    }
    return out;
  }

  private static Series read(String key, Path file, JsonNode windowsNode) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    List<String> stamps = new ArrayList<>(lines.size());
    long[] millis = new long[lines.size()];
    double[] values = new double[lines.size()];
    int n = 0;
    for (int i = 1; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty()) {
        continue;
      }
      int comma = line.indexOf(',');
      if (comma < 0) {
        throw new IllegalArgumentException(key + " line " + (i + 1) + ": expected timestamp,value");
      }
      String ts = line.substring(0, comma).strip();
      try {
        millis[n] = parseMillis(ts);
        values[n] = Double.parseDouble(line.substring(comma + 1).strip());
      } catch (DateTimeParseException | NumberFormatException ex) {
        throw new IllegalArgumentException(key + " line " + (i + 1) + ": " + ex.getMessage(), ex);
      }
      stamps.add(ts);
      n++;
    }
    long[] t = Arrays.copyOf(millis, n);
    double[] v = Arrays.copyOf(values, n);
    List<NabScorer.Window> windows = new ArrayList<>();
    for (JsonNode w : windowsNode) {
      long start = parseMillis(w.get(0).asText());
      long end = parseMillis(w.get(1).asText());
      // NAB matches window limits to row timestamps exactly; first row at/after the start and last
      // row at/before the end is the same on NAB's files and tolerant of rounding elsewhere
      int a = 0;
      while (a < n && t[a] < start) {
        a++;
      }
      int b = n - 1;
      while (b >= 0 && t[b] > end) {
        b--;
      }
      if (a >= n || b < a) {
        throw new IllegalArgumentException(key + ": window " + w + " holds no row");
      }
      windows.add(new NabScorer.Window(a, b));
    }
    return new Series(key, List.copyOf(stamps), t, v, List.copyOf(windows));
  }

  /** Parses {@code yyyy-MM-dd HH:mm:ss[.ffffff]} as UTC epoch milliseconds. */
  static long parseMillis(String s) {
    return LocalDateTime.parse(s.strip().replace(' ', 'T')).toInstant(ZoneOffset.UTC).toEpochMilli();
  }
}

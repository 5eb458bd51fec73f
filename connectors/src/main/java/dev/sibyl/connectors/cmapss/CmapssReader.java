package dev.sibyl.connectors.cmapss;

import dev.sibyl.connectors.csv.CsvFormatException;
import dev.sibyl.schemas.TelemetryPoint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Turns a C-MAPSS text file ({@code train_FD001.txt}, {@code test_FD001.txt}: whitespace-separated
 * {@code unit cycle setting1 setting2 setting3 s1 ... s21}, no header) into telemetry: the unit is
 * the source ({@code <prefix>-<unit>}), the cycle is the time ({@code start + (cycle - 1) *
 * cycleMillis}), and each point carries the 24 operating settings and sensors as channels, named
 * as {@link #CHANNELS} lists them, with the cycle number as the label {@value #CYCLE_LABEL}.
 *
 * <p>Points come interleaved by cycle (every unit's cycle 1, then every unit's cycle 2, ...), as a
 * fleet would report them, not unit after unit as the file lists them; within a unit they stay in
 * cycle order. The file is small (tens of thousands of rows) and is read whole.
 */
public final class CmapssReader {

  /** The channel names, in file column order after unit and cycle. */
  public static final List<String> CHANNELS = channels();

  /** The label carrying the cycle number. */
  public static final String CYCLE_LABEL = "cycle";

  private static final int COLUMNS = 2 + 24;

  private CmapssReader() {}

  private static List<String> channels() {
    List<String> names = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      names.add("setting" + i);
    }
    for (int i = 1; i <= 21; i++) {
      names.add("s" + i);
    }
    return List.copyOf(names);
  }

  /**
   * Whether a file looks like C-MAPSS: its first non-empty line has 26 numeric columns.
   *
   * @param file the file; not null
   * @return true for a C-MAPSS file
   * @throws IOException when the file cannot be read
   */
  public static boolean looksLikeCmapss(Path file) throws IOException {
    try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
      return lines.map(String::trim).filter(l -> !l.isEmpty()).findFirst()
          .map(l -> l.split("\\s+"))
          .filter(cols -> cols.length == COLUMNS && isNumeric(cols))
          .isPresent();
    }
  }

  private static boolean isNumeric(String[] cols) {
    for (String c : cols) {
      try {
        Double.parseDouble(c);
      } catch (NumberFormatException e) {
        return false;
      }
    }
    return true;
  }

  /**
   * Reads the file.
   *
   * @param file the C-MAPSS text file; not null
   * @param sourcePrefix sources are {@code sourcePrefix + "-" + unit}; not null
   * @param start the time of cycle 1; not null
   * @param cycleMillis the time between cycles, positive
   * @return the points, interleaved by cycle
   * @throws IOException when the file cannot be read
   * @throws CsvFormatException naming the line when a row has the wrong width, a non-number, or a
   *     cycle out of order within its unit
   */
  public static List<TelemetryPoint> read(Path file, String sourcePrefix, Instant start, long cycleMillis) throws IOException {
    Objects.requireNonNull(sourcePrefix, "sourcePrefix");
    Objects.requireNonNull(start, "start");
    if (cycleMillis <= 0) {
      throw new IllegalArgumentException("cycleMillis must be positive, got " + cycleMillis);
    }
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    record Row(int unit, int cycle, long order, TelemetryPoint point) {}
    List<Row> rows = new ArrayList<>(lines.size());
    Map<Integer, Integer> lastCycle = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).trim();
      if (line.isEmpty()) {
        continue;
      }
      long lineNumber = i + 1L;
      String[] cols = line.split("\\s+");
      if (cols.length != COLUMNS) {
        throw new CsvFormatException(file, lineNumber, "expected " + COLUMNS + " columns (unit, cycle, 3 settings, 21 sensors), got " + cols.length);
      }
      int unit = integer(file, lineNumber, "unit", cols[0]);
      int cycle = integer(file, lineNumber, "cycle", cols[1]);
      Integer previous = lastCycle.put(unit, cycle);
      if (cycle < 1 || (previous != null && cycle <= previous)) {
        throw new CsvFormatException(file, lineNumber, "unit " + unit + ": cycle " + cycle + " is not after cycle " + (previous == null ? 0 : previous));
      }
      Map<String, Double> values = new HashMap<>(2 * CHANNELS.size());
      for (int c = 0; c < CHANNELS.size(); c++) {
        try {
          values.put(CHANNELS.get(c), Double.parseDouble(cols[2 + c]));
        } catch (NumberFormatException e) {
          throw new CsvFormatException(file, lineNumber, "column " + CHANNELS.get(c) + ": not a number: '" + cols[2 + c] + "'");
        }
      }
      Instant time = start.plusMillis((cycle - 1) * cycleMillis);
      TelemetryPoint point =
          new TelemetryPoint(sourcePrefix + "-" + unit, time, values, Map.of(CYCLE_LABEL, Integer.toString(cycle)));
      rows.add(new Row(unit, cycle, rows.size(), point));
    }
    rows.sort(Comparator.comparingInt(Row::cycle).thenComparingLong(Row::order));
    List<TelemetryPoint> points = new ArrayList<>(rows.size());
    for (Row row : rows) {
      points.add(row.point());
    }
    return points;
  }

  private static int integer(Path file, long line, String column, String text) {
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      // some copies of the files write the unit and cycle as 1.0
      try {
        double d = Double.parseDouble(text);
        if (d == Math.rint(d) && Math.abs(d) < Integer.MAX_VALUE) {
          return (int) d;
        }
      } catch (NumberFormatException ignored) {
        // fall through to the error below
      }
      throw new CsvFormatException(file, line, "column " + column + ": not an integer: '" + text + "'");
    }
  }
}

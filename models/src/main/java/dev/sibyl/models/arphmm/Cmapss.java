package dev.sibyl.models.arphmm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reader for the NASA C-MAPSS turbofan files ({@code train_FD00x.txt}, {@code test_FD00x.txt},
 * {@code RUL_FD00x.txt}).
 *
 * <p>Format: 26 space-separated columns per line (unit, cycle, 3 operating settings, 21 sensors),
 * lines ending with trailing spaces; rows of one unit are contiguous and ordered by cycle.
 */
public final class Cmapss {

  /** Number of sensor columns. */
  public static final int SENSORS = 21;

  /**
   * The column names of a train or test file, in file order: {@code unit}, {@code cycle}, {@code
   * setting1..3}, {@code s1..s21}.
   */
  public static final List<String> COLUMNS = columnNames();

  private static final int WIDTH = 26;
  private static final int FIRST_SENSOR = 5;

  private Cmapss() {}

  private static List<String> columnNames() {
    List<String> names = new ArrayList<>(List.of("unit", "cycle", "setting1", "setting2", "setting3"));
    for (int j = 0; j < SENSORS; j++) {
      names.add(sensorName(j));
    }
    return List.copyOf(names);
  }

  /**
   * The column name of a sensor.
   *
   * @param sensor 0-based sensor index, in [0, 21)
   * @return {@code s1} .. {@code s21}
   * @throws IllegalArgumentException when the index is out of range
   */
  public static String sensorName(int sensor) {
    if (sensor < 0 || sensor >= SENSORS) {
      throw new IllegalArgumentException("sensor must be in [0, " + SENSORS + "), got " + sensor);
    }
    return "s" + (sensor + 1);
  }

  /**
   * The sensor index of a column name.
   *
   * @param column {@code s1} .. {@code s21}
   * @return the 0-based sensor index
   * @throws IllegalArgumentException when the name is not a sensor column
   */
  public static int sensorIndex(String column) {
    for (int j = 0; j < SENSORS; j++) {
      if (sensorName(j).equals(column)) {
        return j;
      }
    }
    throw new IllegalArgumentException("not a C-MAPSS sensor column: '" + column + "' (s1..s21)");
  }

  /**
   * The given sensor columns of a unit's history.
   *
   * @param unit the unit; not null
   * @param columns sensor column names ({@code s1} .. {@code s21}); not null
   * @return shape (cycles, columns)
   * @throws IllegalArgumentException when a name is not a sensor column
   */
  public static double[][] columns(Unit unit, List<String> columns) {
    int[] idx = columns.stream().mapToInt(Cmapss::sensorIndex).toArray();
    double[][] out = new double[unit.cycles()][idx.length]; // (cycles, columns)
    for (int t = 0; t < unit.cycles(); t++) {
      for (int j = 0; j < idx.length; j++) {
        out[t][j] = unit.sensors()[t][idx[j]];
      }
    }
    return out;
  }

  /**
   * One engine's history.
   *
   * @param id the unit number (1-based, as in the file)
   * @param sensors the sensor readings, shape (cycles, 21), row c is cycle c + 1; never null
   */
  public record Unit(int id, double[][] sensors) {

    /**
     * Validates the unit.
     *
     * @throws IllegalArgumentException when {@code sensors} is empty or a row is not 21 wide
     */
    public Unit {
      if (sensors == null || sensors.length == 0) {
        throw new IllegalArgumentException("unit " + id + " has no cycles");
      }
      for (double[] row : sensors) {
        if (row.length != SENSORS) {
          throw new IllegalArgumentException(
              "unit " + id + ": sensor row must have " + SENSORS + " values, got " + row.length);
        }
      }
    }

    /**
     * Number of cycles observed.
     *
     * @return the history length
     */
    public int cycles() {
      return sensors.length;
    }
  }

  /**
   * Reads a train or test file.
   *
   * @param file the file path, never null
   * @return the units in file order
   * @throws UncheckedIOException when the file cannot be read
   * @throws IllegalArgumentException when a line does not have 26 columns or cycles are not 1, 2, ...
   */
  public static List<Unit> readUnits(Path file) {
    List<String> lines = lines(file);
    List<Unit> units = new ArrayList<>();
    List<double[]> rows = new ArrayList<>();
    int currentId = -1;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).trim();
      if (line.isEmpty()) {
        continue;
      }
      String[] cols = line.split("\\s+");
      if (cols.length != WIDTH) {
        throw new IllegalArgumentException(
            file.getFileName() + " line " + (i + 1) + ": expected " + WIDTH + " columns, got "
                + cols.length);
      }
      int id = Integer.parseInt(cols[0]);
      int cycle = Integer.parseInt(cols[1]);
      if (id != currentId) {
        if (currentId >= 0) {
          units.add(new Unit(currentId, rows.toArray(new double[0][])));
        }
        currentId = id;
        rows = new ArrayList<>();
      }
      if (cycle != rows.size() + 1) {
        throw new IllegalArgumentException(
            file.getFileName() + " line " + (i + 1) + ": unit " + id + " expected cycle "
                + (rows.size() + 1) + ", got " + cycle);
      }
      double[] sensors = new double[SENSORS]; // (21)
      for (int j = 0; j < SENSORS; j++) {
        sensors[j] = Double.parseDouble(cols[FIRST_SENSOR + j]);
      }
      rows.add(sensors);
    }
    if (currentId >= 0) {
      units.add(new Unit(currentId, rows.toArray(new double[0][])));
    }
    return units;
  }

  /**
   * Reads an {@code RUL_FD00x.txt} file: one true remaining useful life per test unit.
   *
   * @param file the file path, never null
   * @return the true RULs, shape (units)
   * @throws UncheckedIOException when the file cannot be read
   */
  public static double[] readRul(Path file) {
    return lines(file).stream()
        .map(String::trim)
        .filter(s -> !s.isEmpty())
        .mapToDouble(Double::parseDouble)
        .toArray();
  }

  private static List<String> lines(Path file) {
    try {
      return Files.readAllLines(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read C-MAPSS file " + file, e);
    }
  }
}

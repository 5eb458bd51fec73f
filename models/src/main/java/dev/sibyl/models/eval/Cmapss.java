package dev.sibyl.models.eval;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * NASA C-MAPSS turbofan files (Saxena et al., PHM08): 26 space-separated columns per line (unit,
 * cycle, 3 operating settings, 21 sensors), lines ending with trailing spaces.
 */
public final class Cmapss {

  /** Columns per line. */
  public static final int COLUMNS = 26;

  /** The usual cap of the training target (piecewise-linear RUL). */
  public static final int RUL_CAP = 125;

  /**
   * One engine's history.
   *
   * @param unit the unit number (1-based)
   * @param cycles the cycle numbers; shape (n)
   * @param features 3 settings then 21 sensors per cycle; shape (n, 24)
   */
  public record Unit(int unit, int[] cycles, double[][] features) {

    /** Number of cycles. */
    public int size() {
      return cycles.length;
    }

    /**
     * The training target of a run-to-failure unit: {@code min(cap, cycles remaining)}, where the
     * last cycle has 0 remaining.
     *
     * @param cap the cap, e.g. {@link #RUL_CAP}
     * @return shape (n)
     */
    public double[] cappedRul(int cap) {
      double[] rul = new double[cycles.length];
      for (int i = 0; i < cycles.length; i++) {
        rul[i] = Math.min(cap, cycles.length - 1 - i);
      }
      return rul;
    }
  }

  private Cmapss() {}

  /**
   * Reads a train or test file into units, in file order.
   *
   * @param file e.g. {@code train_FD001.txt}; not null
   * @return the units
   * @throws IOException when unreadable, or naming the line of a malformed row
   */
  public static List<Unit> read(Path file) throws IOException {
    List<Unit> units = new ArrayList<>();
    List<int[]> cycles = new ArrayList<>();
    List<double[]> rows = new ArrayList<>();
    int current = -1;
    int lineNo = 0;
    for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
      lineNo++;
      String s = line.strip();
      if (s.isEmpty()) {
        continue;
      }
      String[] cells = s.split("\\s+");
      if (cells.length != COLUMNS) {
        throw new IOException(
            file + ":" + lineNo + ": " + cells.length + " columns, expected " + COLUMNS);
      }
      int unit = Integer.parseInt(cells[0]);
      if (unit != current && current != -1) {
        units.add(unit(current, cycles, rows));
        cycles.clear();
        rows.clear();
      }
      current = unit;
      double[] f = new double[COLUMNS - 2];
      for (int c = 2; c < COLUMNS; c++) {
        f[c - 2] = Double.parseDouble(cells[c]);
      }
      cycles.add(new int[] {Integer.parseInt(cells[1])});
      rows.add(f);
    }
    if (current != -1) {
      units.add(unit(current, cycles, rows));
    }
    return units;
  }

  private static Unit unit(int id, List<int[]> cycles, List<double[]> rows) {
    int[] c = new int[cycles.size()];
    for (int i = 0; i < c.length; i++) {
      c[i] = cycles.get(i)[0];
    }
    return new Unit(id, c, rows.toArray(new double[0][]));
  }

  /**
   * Reads {@code RUL_FD00x.txt}: one true RUL per test unit.
   *
   * @param file the file; not null
   * @return shape (units)
   * @throws IOException when unreadable or not numbers
   */
  public static double[] readRul(Path file) throws IOException {
    return Files.readAllLines(file, StandardCharsets.US_ASCII).stream()
        .map(String::strip)
        .filter(s -> !s.isEmpty())
        .mapToDouble(Double::parseDouble)
        .toArray();
  }
}

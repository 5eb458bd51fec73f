package dev.sibyl.models.eval;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A numeric CSV table: a header, an optional first column of timestamps (kept as text), and
 * numeric columns (the channels).
 *
 * @param name the file name, e.g. {@code ETTh1.csv}; not null
 * @param columns the channel names; shape (channels)
 * @param dates the first column's text when it is not numeric, else null; shape (rows)
 * @param rows the values; shape (rows, channels)
 */
public record Table(String name, String[] columns, String[] dates, double[][] rows) {

  /** Checks for nulls. */
  public Table {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(columns, "columns");
    Objects.requireNonNull(rows, "rows");
  }

  /**
   * Reads a CSV file with a header. The first column is taken as timestamps when its first value is
   * not a number (ETT's {@code date}); every other column must be numeric.
   *
   * @param file the file; not null
   * @return the table
   * @throws IOException when the file cannot be read, or naming the line and column of a value that
   *     is not a number
   */
  public static Table read(Path file) throws IOException {
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String header = in.readLine();
      if (header == null) {
        throw new IOException(file + ": empty file, expected a CSV header");
      }
      String[] names = header.strip().split(",");
      List<String> dates = new ArrayList<>();
      List<double[]> rows = new ArrayList<>();
      Boolean dated = null;
      String line;
      int lineNo = 1;
      while ((line = in.readLine()) != null) {
        lineNo++;
        line = line.strip();
        if (line.isEmpty()) {
          continue;
        }
        String[] cells = line.split(",", -1);
        if (cells.length != names.length) {
          throw new IOException(
              file + ":" + lineNo + ": " + cells.length + " columns, header has " + names.length);
        }
        if (dated == null) {
          dated = !isNumber(cells[0]);
        }
        int first = dated ? 1 : 0;
        double[] row = new double[cells.length - first];
        for (int c = first; c < cells.length; c++) {
          try {
            row[c - first] = Double.parseDouble(cells[c]);
          } catch (NumberFormatException e) {
            throw new IOException(
                file + ":" + lineNo + ": column " + names[c] + " is not a number: '" + cells[c] + "'",
                e);
          }
        }
        if (dated) {
          dates.add(cells[0]);
        }
        rows.add(row);
      }
      boolean hasDates = dated != null && dated;
      return new Table(
          file.getFileName().toString(),
          Arrays.copyOfRange(names, hasDates ? 1 : 0, names.length),
          hasDates ? dates.toArray(new String[0]) : null,
          rows.toArray(new double[0][]));
    }
  }

  private static boolean isNumber(String s) {
    try {
      Double.parseDouble(s);
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /**
   * The first column's timestamps as epoch milliseconds, read as UTC ({@code 2016-07-01 00:00:00}
   * or ISO {@code 2016-07-01T00:00:00}; the ETT files carry no zone).
   *
   * @return shape (rows); null when the table has no timestamp column
   * @throws IllegalArgumentException naming the row of a timestamp that cannot be read
   */
  public long[] times() {
    if (dates == null) {
      return null;
    }
    long[] t = new long[dates.length];
    for (int i = 0; i < dates.length; i++) {
      try {
        t[i] = LocalDateTime.parse(dates[i].strip().replace(' ', 'T')).toInstant(ZoneOffset.UTC).toEpochMilli();
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(
            name + ": row " + (i + 1) + ": timestamp '" + dates[i] + "' is not yyyy-MM-dd HH:mm:ss", e);
      }
    }
    return t;
  }

  /** Number of rows. */
  public int size() {
    return rows.length;
  }

  /** Number of channels. */
  public int channels() {
    return columns.length;
  }
}

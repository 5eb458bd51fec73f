package dev.sibyl.connectors.csv;

import dev.sibyl.schemas.TelemetryPoint;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.time.temporal.ChronoField;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Reads a time-series CSV file as a stream of {@link TelemetryPoint}s, one per data row, without
 * loading the file into memory.
 *
 * <p>Supported layouts (see {@code ../shared/datasets/README.md}):
 *
 * <ul>
 *   <li>ETT: {@code date,HUFL,HULL,MUFL,MULL,LUFL,LULL,OT}: every column other than the timestamp
 *       becomes one channel of {@code values}.
 *   <li>NAB: {@code timestamp,value} (CRLF line endings tolerated): {@code values = {value: v}}.
 * </ul>
 *
 * <p>The timestamp column is the one named {@value #TIMESTAMP_COLUMN_DATE} or {@value
 * #TIMESTAMP_COLUMN_TIMESTAMP} (case-insensitive), unless another is chosen with {@link
 * Builder#optTimestampColumn}. Timestamps are {@code yyyy-MM-dd HH:mm:ss} in UTC; a {@code T}
 * separator, missing seconds, fractional seconds and a trailing {@code Z} are also accepted.
 *
 * <p>The source of each point is a fixed name (default: the file's base name, e.g. {@code ETTh1})
 * or, with {@link Builder#optSourceColumn}, the value of a column, which is then left out of the
 * values. An empty value cell leaves that channel out of the row's point; any other cell that is
 * not a number fails the read with a {@link CsvFormatException} naming {@code file:line}, the
 * column and the value.
 *
 * <p>Instances are immutable; each {@link #stream()} call opens the file anew.
 */
public final class CsvSeriesReader {

  /** Timestamp column name of the ETT layout. */
  public static final String TIMESTAMP_COLUMN_DATE = "date";

  /** Timestamp column name of the NAB layout. */
  public static final String TIMESTAMP_COLUMN_TIMESTAMP = "timestamp";

  /** Accepts {@code yyyy-MM-dd HH:mm:ss} and the lenient variants listed in the class doc. */
  private static final DateTimeFormatter TIMESTAMP_FORMAT =
      new DateTimeFormatterBuilder()
          .appendPattern("uuuu-MM-dd")
          .optionalStart()
          .appendLiteral('T')
          .optionalEnd()
          .optionalStart()
          .appendLiteral(' ')
          .optionalEnd()
          .appendPattern("HH:mm")
          .optionalStart()
          .appendPattern(":ss")
          .optionalStart()
          .appendFraction(ChronoField.NANO_OF_SECOND, 1, 9, true)
          .optionalEnd()
          .optionalEnd()
          .optionalStart()
          .appendLiteral('Z')
          .optionalEnd()
          .toFormatter(Locale.ROOT)
          .withResolverStyle(ResolverStyle.STRICT);

  private static final char UTF8_BOM = '\uFEFF';

  private final Path file;
  private final String fixedSource;
  private final String sourceColumn;
  private final String timestampColumn;

  private CsvSeriesReader(Builder builder) {
    this.file = builder.file;
    this.sourceColumn = builder.sourceColumn;
    this.timestampColumn = builder.timestampColumn;
    this.fixedSource =
        builder.sourceColumn != null
            ? null
            : builder.source != null ? builder.source : baseName(builder.file);
  }

  /** A builder; {@link Builder#setFile} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The file this reader reads; never null. */
  public Path file() {
    return file;
  }

  /**
   * The fixed source name of every point, or null when a source column picks the source.
   *
   * @return the source name, or null with {@link Builder#optSourceColumn}
   */
  public String source() {
    return fixedSource;
  }

  /**
   * Opens the file, checks its header and returns the rows as a lazy stream. Close the stream
   * (try-with-resources) to close the file.
   *
   * @return the points in file order; rows are parsed as the stream is consumed
   * @throws IOException when the file cannot be opened or its header cannot be read
   * @throws CsvFormatException when the header is unusable (no timestamp column, missing source
   *     column, duplicate names, no value column); the stream itself throws it for a bad row
   * @throws UncheckedIOException from the stream when reading a row fails
   */
  public Stream<TelemetryPoint> stream() throws IOException {
    BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8);
    try {
      Layout layout = readHeader(in);
      Spliterator<TelemetryPoint> rows = new RowSpliterator(in, layout);
      return StreamSupport.stream(rows, false).onClose(() -> closeQuietly(in));
    } catch (IOException | RuntimeException e) {
      closeQuietly(in);
      throw e;
    }
  }

  // ---------------------------------------------------------------- header

  /** Column positions found in the header. */
  private record Layout(int timestampIndex, int sourceIndex, String[] names, int columns) {}

  private Layout readHeader(BufferedReader in) throws IOException {
    String header = in.readLine();
    if (header == null || header.isBlank()) {
      throw new CsvFormatException(file, 1, "empty file: expected a header row");
    }
    if (header.charAt(0) == UTF8_BOM) {
      header = header.substring(1);
    }
    List<String> names = splitRow(header, 1);
    Set<String> seen = new HashSet<>();
    for (String name : names) {
      if (name.isEmpty()) {
        throw new CsvFormatException(file, 1, "empty column name in header " + names);
      }
      if (!seen.add(name)) {
        throw new CsvFormatException(file, 1, "duplicate column '" + name + "' in header " + names);
      }
    }
    int timestampIndex = findTimestampColumn(names);
    int sourceIndex = -1;
    if (sourceColumn != null) {
      sourceIndex = names.indexOf(sourceColumn);
      if (sourceIndex < 0) {
        throw new CsvFormatException(
            file, 1, "source column '" + sourceColumn + "' is not in the header " + names);
      }
      if (sourceIndex == timestampIndex) {
        throw new CsvFormatException(
            file, 1, "source column '" + sourceColumn + "' is also the timestamp column");
      }
    }
    int valueColumns = names.size() - 1 - (sourceIndex >= 0 ? 1 : 0);
    if (valueColumns < 1) {
      throw new CsvFormatException(file, 1, "no value column in header " + names);
    }
    return new Layout(timestampIndex, sourceIndex, names.toArray(new String[0]), names.size());
  }

  private int findTimestampColumn(List<String> names) {
    if (timestampColumn != null) {
      int index = names.indexOf(timestampColumn);
      if (index < 0) {
        throw new CsvFormatException(
            file, 1, "timestamp column '" + timestampColumn + "' is not in the header " + names);
      }
      return index;
    }
    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      if (name.equalsIgnoreCase(TIMESTAMP_COLUMN_DATE)
          || name.equalsIgnoreCase(TIMESTAMP_COLUMN_TIMESTAMP)) {
        return i;
      }
    }
    throw new CsvFormatException(
        file,
        1,
        "no timestamp column: expected '"
            + TIMESTAMP_COLUMN_DATE
            + "' or '"
            + TIMESTAMP_COLUMN_TIMESTAMP
            + "' in the header "
            + names);
  }

  // ---------------------------------------------------------------- rows

  /** Pulls one line per {@code tryAdvance}, so the file is never held in memory. */
  private final class RowSpliterator extends Spliterators.AbstractSpliterator<TelemetryPoint> {

    private final BufferedReader in;
    private final Layout layout;
    private long lineNumber = 1;

    RowSpliterator(BufferedReader in, Layout layout) {
      super(Long.MAX_VALUE, Spliterator.ORDERED | Spliterator.NONNULL);
      this.in = in;
      this.layout = layout;
    }

    @Override
    public boolean tryAdvance(Consumer<? super TelemetryPoint> action) {
      String line;
      try {
        do {
          line = in.readLine();
          lineNumber++;
        } while (line != null && line.isBlank());
      } catch (IOException e) {
        throw new UncheckedIOException(file + ":" + lineNumber + ": read failed", e);
      }
      if (line == null) {
        return false;
      }
      action.accept(parseRow(line, lineNumber, layout));
      return true;
    }
  }

  private TelemetryPoint parseRow(String line, long lineNumber, Layout layout) {
    List<String> cells = splitRow(line, lineNumber);
    if (cells.size() != layout.columns()) {
      throw new CsvFormatException(
          file,
          lineNumber,
          "expected " + layout.columns() + " fields as in the header, got " + cells.size());
    }
    Instant timestamp = parseTimestamp(cells.get(layout.timestampIndex()), lineNumber);
    String source = fixedSource;
    if (layout.sourceIndex() >= 0) {
      source = cells.get(layout.sourceIndex());
      if (source.isEmpty()) {
        throw new CsvFormatException(
            file, lineNumber, "empty source in column '" + sourceColumn + "'");
      }
    }
    Map<String, Double> values = new LinkedHashMap<>();
    String[] names = layout.names();
    for (int i = 0; i < cells.size(); i++) {
      if (i == layout.timestampIndex() || i == layout.sourceIndex()) {
        continue;
      }
      String cell = cells.get(i);
      if (cell.isEmpty()) {
        continue; // a gap in this channel; the other channels of the row are still valid
      }
      try {
        values.put(names[i], Double.parseDouble(cell));
      } catch (NumberFormatException e) {
        throw new CsvFormatException(
            file, lineNumber, "column '" + names[i] + "': not a number: '" + cell + "'");
      }
    }
    if (values.isEmpty()) {
      throw new CsvFormatException(file, lineNumber, "row has no value in any column");
    }
    return TelemetryPoint.newBuilder()
        .setSource(source)
        .setTimestamp(timestamp)
        .setValues(values)
        .setLabels(new LinkedHashMap<>())
        .build();
  }

  private Instant parseTimestamp(String text, long lineNumber) {
    try {
      return LocalDateTime.parse(text, TIMESTAMP_FORMAT).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      throw new CsvFormatException(
          file,
          lineNumber,
          "bad timestamp '" + text + "': expected yyyy-MM-dd HH:mm:ss (UTC)");
    }
  }

  /**
   * Splits one CSV row on commas. Double-quoted fields may contain commas and doubled quotes
   * (RFC 4180) but not line breaks; surrounding whitespace of unquoted fields is trimmed.
   */
  private List<String> splitRow(String line, long lineNumber) {
    List<String> cells = new ArrayList<>();
    StringBuilder cell = new StringBuilder();
    boolean quoted = false;
    boolean wasQuoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          cell.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          cell.append(c);
        }
      } else if (c == '"') {
        quoted = true;
        wasQuoted = true;
      } else if (c == ',') {
        cells.add(wasQuoted ? cell.toString() : cell.toString().trim());
        cell.setLength(0);
        wasQuoted = false;
      } else {
        cell.append(c);
      }
    }
    if (quoted) {
      throw new CsvFormatException(file, lineNumber, "unterminated quoted field");
    }
    cells.add(wasQuoted ? cell.toString() : cell.toString().trim());
    return cells;
  }

  private static String baseName(Path file) {
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dot > 0 ? name.substring(0, dot) : name;
  }

  private static void closeQuietly(BufferedReader in) {
    try {
      in.close();
    } catch (IOException e) {
      // Nothing was written, so a failed close loses no data; the read result stands.
    }
  }

  /**
   * Builds a {@link CsvSeriesReader}. Required: {@link #setFile}. A fixed source name ({@link
   * #optSource}) and a source column ({@link #optSourceColumn}) exclude each other.
   */
  public static final class Builder {

    private Path file;
    private String source;
    private String sourceColumn;
    private String timestampColumn;

    private Builder() {}

    /**
     * @param file the CSV file; must exist when {@link #build()} is called
     * @return this builder
     */
    public Builder setFile(Path file) {
      this.file = file;
      return this;
    }

    /**
     * @param source the source of every point; default the file's base name
     * @return this builder
     * @throws IllegalStateException when a source column was already set
     */
    public Builder optSource(String source) {
      if (sourceColumn != null) {
        throw new IllegalStateException(
            "source and sourceColumn exclude each other: sourceColumn is already '"
                + sourceColumn
                + "'");
      }
      this.source = source;
      return this;
    }

    /**
     * @param sourceColumn the column whose value is each point's source (and is not a value)
     * @return this builder
     * @throws IllegalStateException when a fixed source was already set
     */
    public Builder optSourceColumn(String sourceColumn) {
      if (source != null) {
        throw new IllegalStateException(
            "source and sourceColumn exclude each other: source is already '" + source + "'");
      }
      this.sourceColumn = sourceColumn;
      return this;
    }

    /**
     * @param timestampColumn the timestamp column; default the column named {@code date} or
     *     {@code timestamp}
     * @return this builder
     */
    public Builder optTimestampColumn(String timestampColumn) {
      this.timestampColumn = timestampColumn;
      return this;
    }

    /**
     * @return a reader for the file
     * @throws IllegalArgumentException when the file is unset or not a readable regular file, or
     *     a name is blank
     */
    public CsvSeriesReader build() {
      sanityCheck();
      return new CsvSeriesReader(this);
    }

    private void sanityCheck() {
      if (file == null) {
        throw new IllegalArgumentException("file must be set");
      }
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException("file must be an existing regular file, got " + file);
      }
      if (!Files.isReadable(file)) {
        throw new IllegalArgumentException("file must be readable, got " + file);
      }
      if (source != null && source.isBlank()) {
        throw new IllegalArgumentException("source must not be blank");
      }
      if (sourceColumn != null && sourceColumn.isBlank()) {
        throw new IllegalArgumentException("sourceColumn must not be blank");
      }
      if (timestampColumn != null && timestampColumn.isBlank()) {
        throw new IllegalArgumentException("timestampColumn must not be blank");
      }
    }
  }
}

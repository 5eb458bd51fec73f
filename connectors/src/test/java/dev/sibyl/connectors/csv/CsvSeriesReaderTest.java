package dev.sibyl.connectors.csv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sibyl.schemas.TelemetryPoint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvSeriesReaderTest {

  @TempDir Path dir;

  private Path write(String name, String content) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, content, StandardCharsets.UTF_8);
    return file;
  }

  private static List<TelemetryPoint> readAll(CsvSeriesReader reader) throws IOException {
    try (Stream<TelemetryPoint> points = reader.stream()) {
      return points.collect(Collectors.toList());
    }
  }

  @Test
  void readsEttLayoutWithEveryNumericColumnAsAChannel() throws IOException {
    Path file =
        write(
            "ETTsmall.csv",
            "date,HUFL,HULL,MUFL,MULL,LUFL,LULL,OT\n"
                + "2016-07-01 00:00:00,5.8,2.0,1.5,0.46,4.2,1.34,30.5\n"
                + "2016-07-01 01:00:00,5.6,2.1,1.4,0.42,4.1,1.37,27.7\n");

    List<TelemetryPoint> points = readAll(CsvSeriesReader.builder().setFile(file).build());

    assertThat(points).hasSize(2);
    TelemetryPoint first = points.get(0);
    assertThat(first.getSource()).isEqualTo("ETTsmall");
    assertThat(first.getTimestamp()).isEqualTo(Instant.parse("2016-07-01T00:00:00Z"));
    assertThat(first.getValues())
        .containsOnlyKeys("HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT")
        .containsEntry("OT", 30.5);
    assertThat(first.getLabels()).isEmpty();
    assertThat(points.get(1).getTimestamp()).isEqualTo(Instant.parse("2016-07-01T01:00:00Z"));
  }

  @Test
  void readsNabLayoutWithCrlfLineEndings() throws IOException {
    Path file =
        write(
            "nab.csv",
            "timestamp,value\r\n2014-04-01 00:00:00,20.0\r\n2014-04-01 00:05:00,21.5\r\n\r\n");

    List<TelemetryPoint> points =
        readAll(CsvSeriesReader.builder().setFile(file).optSource("machine-1").build());

    assertThat(points).hasSize(2);
    assertThat(points.get(1).getSource()).isEqualTo("machine-1");
    assertThat(points.get(1).getValues()).isEqualTo(Map.of("value", 21.5));
    assertThat(points.get(1).getTimestamp()).isEqualTo(Instant.parse("2014-04-01T00:05:00Z"));
  }

  @Test
  void aSourceColumnPicksTheSourceAndIsNotAValue() throws IOException {
    Path file =
        write(
            "multi.csv",
            "timestamp,unit,value\n2020-01-01 00:00:00,a,1\n2020-01-01 00:00:00,b,2\n");

    List<TelemetryPoint> points =
        readAll(CsvSeriesReader.builder().setFile(file).optSourceColumn("unit").build());

    assertThat(points).extracting(TelemetryPoint::getSource).containsExactly("a", "b");
    assertThat(points.get(1).getValues()).isEqualTo(Map.of("value", 2.0));
  }

  @Test
  void acceptsIsoVariantsOfTimestamps() throws IOException {
    Path file =
        write(
            "iso.csv",
            "timestamp,value\n2020-01-01T00:00:00Z,1\n2020-01-01 00:01,2\n2020-01-01 00:02:00.5,3\n");

    assertThat(readAll(CsvSeriesReader.builder().setFile(file).build()))
        .extracting(TelemetryPoint::getTimestamp)
        .containsExactly(
            Instant.parse("2020-01-01T00:00:00Z"),
            Instant.parse("2020-01-01T00:01:00Z"),
            Instant.parse("2020-01-01T00:02:00.500Z"));
  }

  @Test
  void anEmptyCellLeavesOnlyThatChannelOut() throws IOException {
    Path file = write("gap.csv", "date,a,b\n2020-01-01 00:00:00,,2\n");

    assertThat(readAll(CsvSeriesReader.builder().setFile(file).build()).get(0).getValues())
        .isEqualTo(Map.of("b", 2.0));
  }

  @Test
  void aBadNumberNamesFileLineColumnAndValue() throws IOException {
    Path file = write("bad.csv", "date,a\n2020-01-01 00:00:00,1\n2020-01-01 01:00:00,abc\n");

    try (Stream<TelemetryPoint> points = CsvSeriesReader.builder().setFile(file).build().stream()) {
      Iterator<TelemetryPoint> it = points.iterator();
      assertThat(it.next().getValues()).containsEntry("a", 1.0);
      assertThatThrownBy(it::next)
          .isInstanceOf(CsvFormatException.class)
          .hasMessage(file + ":3: column 'a': not a number: 'abc'");
    }
  }

  @Test
  void aBadTimestampOrFieldCountNamesTheLine() throws IOException {
    Path badTime = write("t.csv", "date,a\n2020-13-01 00:00:00,1\n");
    assertThatThrownBy(() -> readAll(CsvSeriesReader.builder().setFile(badTime).build()))
        .isInstanceOf(CsvFormatException.class)
        .hasMessageContaining("t.csv:2: bad timestamp '2020-13-01 00:00:00'");

    Path short_ = write("s.csv", "date,a,b\n2020-01-01 00:00:00,1\n");
    assertThatThrownBy(() -> readAll(CsvSeriesReader.builder().setFile(short_).build()))
        .hasMessageContaining("s.csv:2: expected 3 fields as in the header, got 2");
  }

  @Test
  void headerProblemsFailWhenOpening() throws IOException {
    Path noTime = write("n.csv", "when,a\nx,1\n");
    assertThatThrownBy(() -> CsvSeriesReader.builder().setFile(noTime).build().stream())
        .isInstanceOf(CsvFormatException.class)
        .hasMessageContaining("n.csv:1: no timestamp column");

    Path ok = write("ok.csv", "date,a\n");
    assertThatThrownBy(
            () -> CsvSeriesReader.builder().setFile(ok).optSourceColumn("unit").build().stream())
        .hasMessageContaining("source column 'unit' is not in the header [date, a]");

    Path empty = write("e.csv", "");
    assertThatThrownBy(() -> CsvSeriesReader.builder().setFile(empty).build().stream())
        .hasMessageContaining("e.csv:1: empty file");
  }

  @Test
  void builderChecksItsProperties() {
    assertThatThrownBy(() -> CsvSeriesReader.builder().build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("file must be set");
    assertThatThrownBy(() -> CsvSeriesReader.builder().setFile(dir.resolve("missing.csv")).build())
        .hasMessageContaining("file must be an existing regular file");
    assertThatThrownBy(() -> CsvSeriesReader.builder().optSource("a").optSourceColumn("b"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("source and sourceColumn exclude each other");
    assertThatThrownBy(() -> CsvSeriesReader.builder().optSourceColumn("b").optSource("a"))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void readsTheRealEtth1File() throws IOException {
    String datasets = System.getProperty("sibyl.datasets", "../../shared/datasets");
    Path file = Path.of(datasets, "ett", "ETTh1.csv");
    assumeTrue(Files.isRegularFile(file), "datasets not found at " + file + ": skipped");

    long rows;
    TelemetryPoint last;
    try (Stream<TelemetryPoint> points = CsvSeriesReader.builder().setFile(file).build().stream()) {
      Iterator<TelemetryPoint> it = points.iterator();
      rows = 0;
      last = null;
      while (it.hasNext()) {
        last = it.next();
        rows++;
        assertThat(last.getValues()).hasSize(7);
      }
    }
    assertThat(rows).isEqualTo(17420);
    assertThat(last.getSource()).isEqualTo("ETTh1");
  }
}

package dev.sibyl.connectors.cmapss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sibyl.connectors.csv.CsvFormatException;
import dev.sibyl.schemas.TelemetryPoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CmapssReaderTest {

  private static final Instant START = Instant.parse("2024-01-01T00:00:00Z");
  private static final long HOUR = 3_600_000;

  @TempDir Path dir;

  private static String row(int unit, int cycle, double s2) {
    StringBuilder line = new StringBuilder(unit + " " + cycle + " 0.0023 0.0003 100.0 518.67 " + s2);
    for (int s = 3; s <= 21; s++) {
      line.append(' ').append(s * 10.0);
    }
    return line.append("  \n").toString();
  }

  @Test
  void unitsBecomeSourcesCyclesBecomeTimeAndUnitsAreInterleavedByCycle() throws IOException {
    Path file = dir.resolve("train_FD009.txt");
    Files.writeString(file, row(1, 1, 641.0) + row(1, 2, 642.0) + row(1, 3, 643.0) + row(2, 1, 651.0) + row(2, 2, 652.0));
    assertThat(CmapssReader.looksLikeCmapss(file)).isTrue();

    List<TelemetryPoint> points = CmapssReader.read(file, "fd9", START, HOUR);
    assertThat(points).extracting(p -> p.getSource() + "@" + p.getLabels().get(CmapssReader.CYCLE_LABEL))
        .containsExactly("fd9-1@1", "fd9-2@1", "fd9-1@2", "fd9-2@2", "fd9-1@3");
    TelemetryPoint third = points.get(2);
    assertThat(third.getTimestamp()).isEqualTo(START.plusMillis(HOUR));
    assertThat(third.getValues()).hasSize(24).containsEntry("s2", 642.0).containsEntry("setting3", 100.0)
        .containsEntry("s1", 518.67).containsEntry("s21", 210.0);
    assertThat(CmapssReader.CHANNELS).hasSize(24).startsWith("setting1").endsWith("s21");
  }

  @Test
  void badRowsAreReportedWithTheirLine() throws IOException {
    Path narrow = dir.resolve("narrow.txt");
    Files.writeString(narrow, row(1, 1, 641.0) + "1 2 0.1 0.2\n");
    assertThatThrownBy(() -> CmapssReader.read(narrow, "u", START, HOUR))
        .isInstanceOf(CsvFormatException.class)
        .hasMessage(narrow + ":2: expected 26 columns (unit, cycle, 3 settings, 21 sensors), got 4");

    Path backwards = dir.resolve("backwards.txt");
    Files.writeString(backwards, row(1, 2, 641.0) + row(1, 2, 642.0));
    assertThatThrownBy(() -> CmapssReader.read(backwards, "u", START, HOUR))
        .hasMessage(backwards + ":2: unit 1: cycle 2 is not after cycle 2");

    Path text = dir.resolve("text.txt");
    Files.writeString(text, row(1, 1, 641.0).replace("518.67", "abc"));
    assertThatThrownBy(() -> CmapssReader.read(text, "u", START, HOUR)).hasMessageContaining("column s1: not a number: 'abc'");

    Path csv = dir.resolve("ett.csv");
    Files.writeString(csv, "date,OT\n2016-07-01 00:00:00,1.0\n");
    assertThat(CmapssReader.looksLikeCmapss(csv)).isFalse();
  }

  @Test
  void readsTheRealTestFile() throws IOException {
    Path file = Path.of(System.getProperty("sibyl.datasets", "../../shared/datasets"), "cmapss", "test_FD001.txt");
    assumeTrue(Files.isRegularFile(file), "datasets not found at " + file + ": skipped");
    List<TelemetryPoint> points = CmapssReader.read(file, "test_FD001", START, HOUR);
    assertThat(points).hasSize(13096);
    Map<String, Long> perUnit = points.stream().collect(Collectors.groupingBy(TelemetryPoint::getSource, Collectors.counting()));
    assertThat(perUnit).hasSize(100).containsEntry("test_FD001-1", 31L);
    assertThat(points.get(0).getValues().get("s2")).isEqualTo(643.02);
  }
}

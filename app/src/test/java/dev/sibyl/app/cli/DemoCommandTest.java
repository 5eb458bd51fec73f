package dev.sibyl.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sibyl.app.SibylMain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code sibyl demo} end to end in this JVM: embedded broker, pipeline, simulator, summary line. */
class DemoCommandTest {

  private static final Pattern SUMMARY =
      Pattern.compile("^demo summary: points=(\\d+) forecasts=(\\d+) anomalies=(\\d+) dead_letters=(\\d+)$", Pattern.MULTILINE);

  @Test
  @Timeout(150)
  void runsForTheDurationAndPrintsTheSummary(@TempDir Path dir) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        SibylMain.execute(
            new PrintWriter(out, true),
            new PrintWriter(err, true),
            Map.of(),
            "--set", "sibyl.data.dir=" + dir.resolve("data"),
            "demo", "--duration", "8s", "--sources", "2", "--rate", "100", "--bad-every", "100");
    assertThat(code).as(err.toString()).isZero();
    Matcher summary = SUMMARY.matcher(out.toString());
    assertThat(summary.find()).as(out.toString()).isTrue();
    long points = Long.parseLong(summary.group(1));
    long forecasts = Long.parseLong(summary.group(2));
    long deadLetters = Long.parseLong(summary.group(4));
    // 100 points/s for 8 s, less the pacing start-up
    assertThat(points).isBetween(600L, 820L);
    // every 100th point is spoiled on purpose and must reach the dead-letter topic
    assertThat(deadLetters).isEqualTo(points / 100);
    // 3 channels per point, a forecast every 12 accepted points of a series once warm
    assertThat(forecasts).isGreaterThan(0).isLessThanOrEqualTo(3 * points / 12);
    assertThat(err.toString()).contains("points=").contains("forecasts=");
  }
}

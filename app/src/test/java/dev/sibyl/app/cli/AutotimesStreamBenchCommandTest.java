package dev.sibyl.app.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sibyl.app.SibylMain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sibyl bench autotimes-stream} on the real stories260K backbone, at a small scale. */
class AutotimesStreamBenchCommandTest {

  @TempDir Path dir;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return SibylMain.execute(new PrintWriter(out, true), new PrintWriter(err, true), Map.of(), args);
  }

  @Test
  void endsWithJsonCarryingBothRatiosAndRefusesBadOptions() throws Exception {
    Path backbone = Path.of(System.getProperty("sibyl.datasets", "../shared/datasets"), "tinylm", "stories260K.bin");
    assumeTrue(Files.isRegularFile(backbone), "tinylm absent");
    StringBuilder s = new StringBuilder("date,a\n");
    for (int t = 0; t < 600; t++) {
      s.append("t").append(t).append(',').append(Math.sin(2 * Math.PI * t / 24) + 0.001 * t).append('\n');
    }
    Path csv = dir.resolve("tiny.csv");
    Files.writeString(csv, s);
    assertThat(run("bench", "autotimes-stream", "--backbone", backbone.toString(), "--lookback", "96",
        "--data", csv.toString(), "--repeats", "2", "--warmup", "1", "--series", "3")).isEqualTo(0);
    List<String> lines = out.toString().strip().lines().toList();
    JsonNode json = new ObjectMapper().readTree(lines.get(lines.size() - 1));
    assertThat(json.get("bench").asText()).isEqualTo("autotimes-stream");
    assertThat(json.get("series").asInt()).isEqualTo(3);
    assertThat(json.get("ratio").asDouble()).isPositive();
    assertThat(json.get("ratio_single").asDouble()).isPositive();
    assertThat(json.get("max_abs_diff").asDouble()).isLessThanOrEqualTo(1e-4);

    err.getBuffer().setLength(0);
    assertThat(run("bench", "autotimes-stream", "--series", "0")).isEqualTo(2);
    assertThat(err.toString().strip().lines()).hasSize(1);
    assertThat(err.toString()).contains("--repeats, --series and --threads must be positive");
  }
}

package dev.sibyl.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sibyl.app.SibylMain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkerCommandTest {

  @TempDir Path dir;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return SibylMain.execute(new PrintWriter(out, true), new PrintWriter(err, true), Map.of(), args);
  }

  private String lastError() {
    String[] lines = err.toString().strip().split("\n");
    return lines[lines.length - 1];
  }

  @Test
  void badOptionsAreOneLineUsageErrors() throws Exception {
    assertThat(run("worker", "--artifacts", dir.resolve("missing").toString())).isEqualTo(2);
    assertThat(lastError()).startsWith("--artifacts: not a directory: ");

    assertThat(run("worker", "--artifacts", dir.toString(), "--device", "tpu")).isEqualTo(2);
    assertThat(lastError()).startsWith("device must be 'cpu' or 'gpu:N' (N >= 0), got 'tpu'");

    assertThat(run("worker", "--artifacts", dir.toString(), "--port", "70000")).isEqualTo(2);
    assertThat(lastError()).startsWith("--port must be in [0, 65535], got 70000");

    assertThat(run("worker", "--artifacts", dir.toString(), "--metrics-port", "-2")).isEqualTo(2);
    assertThat(lastError()).startsWith("--metrics-port must be in [0, 65535] or -1 (off), got -2");

    assertThat(run("worker", "--artifacts", dir.toString(), "--max-batch", "0")).isEqualTo(2);
    assertThat(lastError()).startsWith("maxBatchSize must be >= 1, got 0");

    assertThat(run("worker", "--artifacts", dir.toString(), "--tls-cert", "a.pem")).isEqualTo(2);
    assertThat(lastError()).startsWith("--tls-cert and --tls-key go together");

    assertThat(run("worker", "--artifacts", dir.toString(), "--threads", "-1")).isEqualTo(2);
    assertThat(lastError()).startsWith("--threads must be >= 0, got -1");

    Files.createDirectories(dir.resolve("not-an-artifact"));
    assertThat(run("worker", "--artifacts", dir.toString(), "--port", "0")).isEqualTo(2);
    assertThat(lastError()).startsWith("--artifacts: no artifact (a directory with a manifest.json) under ");
    assertThat(err.toString().strip().lines()).hasSize(8);
  }
}

package dev.sibyl.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sibyl.app.SibylMain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkersBenchCommandTest {

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
  void badModeAndThreadsAreOneLineUsageErrors() {
    assertThat(run("bench", "workers", "--artifact", "x", "--mode", "stateful")).isEqualTo(2);
    assertThat(lastError()).startsWith("--mode must be stateless or keyed, got 'stateful'");

    assertThat(run("bench", "workers", "--artifact", "x", "--threads", "-1")).isEqualTo(2);
    assertThat(lastError()).startsWith("--advance and --threads must be >= 0");
    assertThat(run("bench", "workers", "--artifact", "x", "--device", "tpu")).isEqualTo(2);
    assertThat(lastError()).startsWith("device must be 'cpu' or 'gpu:N' (N >= 0), got 'tpu'");
    assertThat(err.toString().strip().lines()).hasSize(3);
  }
}

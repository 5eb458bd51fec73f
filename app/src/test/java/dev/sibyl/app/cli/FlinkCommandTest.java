package dev.sibyl.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sibyl.app.cli.SibylMainTest.Run;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command-line checks of {@code sibyl flink} and {@code sibyl bench flink}, without a broker. */
class FlinkCommandTest {

  @TempDir Path dir;

  @Test
  void withoutLocalItIsABadArgumentNamingTheJobJar() {
    Run run = SibylMainTest.run("flink");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).startsWith("only --local runs the job from here; on a Flink cluster submit the job jar with flink run");
  }

  @Test
  void badSettingsFailBeforeAnyBrokerStarts() {
    Path data = dir.resolve("data");
    Run remote = SibylMainTest.run("--set", "flink.inference.mode=remote", "--set", "sibyl.data.dir=" + data, "flink", "--local");
    assertThat(remote.exitCode()).isEqualTo(1);
    assertThat(remote.err()).contains("flink.inference.mode=remote needs at least one worker in flink.inference.endpoints").hasLineCount(1);

    Run health = SibylMainTest.run("--set", "health.artifact=" + dir.resolve("no-artifact"), "--set", "sibyl.data.dir=" + data, "flink", "--local");
    assertThat(health.exitCode()).isEqualTo(1);
    assertThat(health.err()).startsWith("sibyl: health.artifact: ").hasLineCount(1);
    assertThat(data.resolve("kafka")).doesNotExist();
  }

  @Test
  void benchFlinkChecksItsNumbers() {
    Run run = SibylMainTest.run("bench", "flink", "--points", "0");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).startsWith("--points, --sources, --cadence, --partitions and --parallelism must be positive");
  }
}

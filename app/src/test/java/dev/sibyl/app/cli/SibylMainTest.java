package dev.sibyl.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sibyl.app.SibylMain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exit-code and one-line-error policy of the command line, without a broker. */
class SibylMainTest {

  @TempDir Path dir;

  /** The outcome of one in-process run. */
  record Run(int exitCode, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = SibylMain.execute(new PrintWriter(out), new PrintWriter(err), Map.of(), args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void unknownOptionIsOneLineAndExitCode2() {
    Run run = run("replay", "--file", "x.csv", "--bogus");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).isEqualTo("Unknown option: '--bogus' (see sibyl replay --help)" + System.lineSeparator());
    assertThat(run.out()).isEmpty();
  }

  @Test
  void otherUsageErrorsAreOneLineToo() {
    assertThat(run()).isEqualTo(new Run(2, "", "Missing subcommand (see sibyl --help)" + System.lineSeparator()));

    Run unknown = run("bogus");
    assertThat(unknown.exitCode()).isEqualTo(2);
    assertThat(unknown.err().lines()).singleElement().asString().contains("'bogus'").endsWith("(see sibyl --help)");

    Run missing = run("replay");
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err().lines()).singleElement().asString()
        .startsWith("Missing required option: '--file=CSV'");

    Run exclusive = run("replay", "--file", "x.csv", "--source", "a", "--source-column", "b");
    assertThat(exclusive.exitCode()).isEqualTo(2);
    assertThat(exclusive.err().lines()).singleElement().asString().contains("mutually exclusive");

    Run badNumber = run("simulate", "--sources", "0", "--points", "1");
    assertThat(badNumber.exitCode()).isEqualTo(2);
    assertThat(badNumber.err())
        .isEqualTo("invalid simulation settings: sources must be at least 1, got 0 (see sibyl simulate --help)"
            + System.lineSeparator());

    Run badDuration = run("simulate", "--step", "soon");
    assertThat(badDuration.exitCode()).isEqualTo(2);
    assertThat(badDuration.err().lines()).singleElement().asString().contains("'soon' is not a duration");
  }

  @Test
  void runtimeFailureIsOneSibylLineAndExitCode1() throws IOException {
    Path headerless = dir.resolve("headerless.csv");
    Files.writeString(headerless, "");
    Run run = run("replay", "--file", headerless.toString());

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).startsWith("sibyl: ").hasLineCount(1);
  }

  @Test
  void aBadHealthArtifactFailsBeforeAnyBrokerStarts() {
    Path missing = dir.resolve("no-artifact");
    Run run = run("--set", "health.artifact=" + missing, "--set", "sibyl.data.dir=" + dir.resolve("data"), "streams");

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).startsWith("sibyl: health.artifact: ").contains("no manifest").hasLineCount(1);
    assertThat(dir.resolve("data").resolve("kafka")).doesNotExist();
  }

  @Test
  void aMissingInputFileIsABadArgument() {
    Path missing = dir.resolve("missing.csv");
    Run run = run("replay", "--file", missing.toString());

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).startsWith("--file: no such file: " + missing);
  }

  @Test
  void aMissingConfigFileIsAOneLineFailureWhereverTheOptionStands() {
    Path config = dir.resolve("nope.properties");
    String expected = "sibyl: config file not found: " + config + System.lineSeparator();

    assertThat(run("--config", config.toString(), "tail").err()).isEqualTo(expected);
    assertThat(run("tail", "--config", config.toString()).err()).isEqualTo(expected);

    Run verbose = run("tail", "--config", config.toString(), "--verbose");
    assertThat(verbose.exitCode()).isEqualTo(1);
    assertThat(verbose.err()).startsWith(expected).contains("ConfigException", "\tat ");
  }

  @Test
  void helpAndVersionGoToStdout() {
    Run help = run("--help");
    assertThat(help.exitCode()).isZero();
    assertThat(help.out()).contains("replay", "simulate", "tail", "--config", "--set");

    Run version = run("--version");
    assertThat(version.exitCode()).isZero();
    assertThat(version.out()).startsWith("sibyl ").doesNotContain("${");

    Run subHelp = run("simulate", "--help");
    assertThat(subHelp.exitCode()).isZero();
    assertThat(subHelp.out()).contains("--labels-out", "--bootstrap-servers");
  }
}

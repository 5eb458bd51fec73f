package dev.sibyl.app;

import dev.sibyl.app.cli.BenchCommand;
import dev.sibyl.app.cli.ConfigCommand;
import dev.sibyl.app.cli.DemoCommand;
import dev.sibyl.app.cli.Failures;
import dev.sibyl.app.cli.StreamsCommand;
import dev.sibyl.app.cli.ReplayCommand;
import dev.sibyl.app.cli.SimulateCommand;
import dev.sibyl.app.cli.TailCommand;
import dev.sibyl.app.config.AppConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code sibyl} command line: global options, the subcommands, and the exit-code policy.
 *
 * <p>Exit codes: 0 success; 2 a bad option or argument (one line on stderr: picocli's message and
 * a {@code (see sibyl <cmd> --help)} hint); 1 a runtime failure (one line {@code sibyl:
 * <message>}, plus the stack trace with {@code --verbose}).
 *
 * <p>Adding a subcommand: write a picocli {@code @Command} class in {@code dev.sibyl.app.cli} and
 * add it to the {@code subcommands} list below (one line). It reads the merged configuration with
 * {@code @ParentCommand SibylMain root; ... root.config()}.
 */
@Command(
    name = "sibyl",
    mixinStandardHelpOptions = true,
    scope = ScopeType.INHERIT,
    versionProvider = SibylMain.VersionProvider.class,
    sortOptions = false,
    description = "Streaming forecasting, anomaly detection and prognostics for Kafka.",
    subcommands = {
      DemoCommand.class,
      StreamsCommand.class,
      dev.sibyl.app.cli.FlinkCommand.class,
      ReplayCommand.class,
      SimulateCommand.class,
      TailCommand.class,
      BenchCommand.class,
      ConfigCommand.class,
      dev.sibyl.app.cli.GenerateCommand.class,
      dev.sibyl.app.cli.EvaluateAnomaliesCommand.class,
      dev.sibyl.app.cli.EvaluateIntervalsCommand.class,
      dev.sibyl.app.cli.TrainCommand.class,
      dev.sibyl.app.cli.EvaluateCommand.class,
      dev.sibyl.app.cli.AlertsCommand.class,
      dev.sibyl.app.cli.WorkerCommand.class,
    })
public final class SibylMain implements Callable<Integer> {

  @Option(
      names = "--config",
      paramLabel = "FILE",
      scope = ScopeType.INHERIT,
      description = "Properties file of settings (environment SIBYL_* and --set override it).")
  private Path configFile;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      scope = ScopeType.INHERIT,
      description = "Override one setting (repeatable; highest precedence).")
  private Map<String, String> overrides = new LinkedHashMap<>();

  @Option(
      names = "--verbose",
      scope = ScopeType.INHERIT,
      description = "Print the stack trace of a failure.")
  private boolean verbose;

  @Spec private CommandSpec spec;

  private final Map<String, String> env;

  private SibylMain(Map<String, String> env) {
    this.env = env;
  }

  /**
   * Runs the command line and exits the JVM with its exit code.
   *
   * @param args command-line arguments
   */
  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /**
   * Runs the command line on the process's stdout, stderr and environment.
   *
   * @param args command-line arguments
   * @return the exit code (0, 1 or 2, see the class doc); never exits the JVM
   */
  public static int execute(String... args) {
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    return execute(out, err, System.getenv(), args);
  }

  /**
   * Runs the command line with the given streams and environment; for tests and embedding.
   *
   * @param out where results go (commands print only results there)
   * @param err where errors, progress and help for errors go
   * @param env the environment the {@code SIBYL_*} settings are read from
   * @param args command-line arguments
   * @return the exit code (0, 1 or 2, see the class doc); never exits the JVM
   */
  public static int execute(PrintWriter out, PrintWriter err, Map<String, String> env, String... args) {
    CommandLine commandLine = new CommandLine(new SibylMain(env));
    commandLine.setOut(out);
    commandLine.setErr(err);
    commandLine.setParameterExceptionHandler(SibylMain::handleUsageError);
    commandLine.setExecutionExceptionHandler(SibylMain::handleFailure);
    try {
      return commandLine.execute(args);
    } finally {
      out.flush();
      err.flush();
    }
  }

  /**
   * The merged configuration: {@code --config} file, then {@code SIBYL_*} environment, then
   * {@code --set}.
   *
   * @return the configuration
   * @throws org.apache.kafka.common.config.ConfigException when the file is missing or a value is
   *     invalid
   */
  public AppConfig config() {
    return AppConfig.load(configFile, env, overrides);
  }

  /** Without a subcommand: a usage error. */
  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "Missing subcommand");
  }

  // ---------------------------------------------------------------- error policy

  private static int handleUsageError(ParameterException ex, String[] args) {
    CommandLine command = ex.getCommandLine();
    PrintWriter err = command.getErr();
    err.println(Failures.oneLine(ex.getMessage()) + " (see " + command.getCommandSpec().qualifiedName() + " --help)");
    err.flush();
    return ExitCode.USAGE;
  }

  private static int handleFailure(Exception ex, CommandLine command, ParseResult parseResult) {
    PrintWriter err = command.getErr();
    err.println("sibyl: " + Failures.describe(ex));
    if (isVerbose(parseResult)) {
      ex.printStackTrace(err);
    }
    err.flush();
    return ExitCode.SOFTWARE;
  }

  /** True when {@code --verbose} was given at any level of the command line. */
  private static boolean isVerbose(ParseResult parseResult) {
    for (ParseResult r = parseResult; r != null; r = r.subcommand()) {
      if (r.hasMatchedOption("--verbose")) {
        return true;
      }
    }
    return false;
  }

  /** Reads the version that Maven wrote into {@code version.properties}. */
  public static final class VersionProvider implements IVersionProvider {

    /** The lines printed by {@code --version}. */
    @Override
    public String[] getVersion() throws IOException {
      Properties props = new Properties();
      try (InputStream in = SibylMain.class.getResourceAsStream("version.properties")) {
        if (in != null) {
          props.load(in);
        }
      }
      return new String[] {
        "sibyl " + props.getProperty("version", "(unknown version)"),
        "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"
      };
    }
  }
}

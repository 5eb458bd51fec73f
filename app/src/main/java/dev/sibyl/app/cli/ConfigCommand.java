package dev.sibyl.app.cli;

import dev.sibyl.app.SibylMain;
import dev.sibyl.app.config.ConfigDocs;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code sibyl config}: the settings in effect, or the documentation of every key. */
@Command(
    name = "config",
    description = "Print the settings in effect (file, environment and --set merged), or with --markdown the documentation of every key.")
public final class ConfigCommand implements Callable<Integer> {

  @ParentCommand private SibylMain root;

  @Spec private CommandSpec spec;

  @Option(names = "--markdown", description = "Print docs/configuration.md: every key with its type, default and meaning.")
  private boolean markdown;

  @Override
  public Integer call() {
    if (markdown) {
      spec.commandLine().getOut().print(ConfigDocs.markdown());
    } else {
      Map<String, String> merged = new TreeMap<>(root.config().merged());
      merged.forEach((k, v) -> spec.commandLine().getOut().println(k + "=" + (isSecret(k) ? "(hidden)" : v)));
    }
    spec.commandLine().getOut().flush();
    return 0;
  }

  private static boolean isSecret(String key) {
    String k = key.toLowerCase();
    return k.contains("password") || k.contains("secret") || k.contains("jaas") || k.contains("user.info")
        || k.endsWith(".routing.key") || k.endsWith(".authorization"); // alert sinks' credentials
  }
}

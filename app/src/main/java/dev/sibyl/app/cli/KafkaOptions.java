package dev.sibyl.app.cli;

import dev.sibyl.app.config.AppConfig;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options of every command that talks to Kafka (a picocli mixin). */
public final class KafkaOptions {

  @Option(
      names = "--bootstrap-servers",
      paramLabel = "HOST:PORT[,...]",
      description = "Kafka cluster to use (overrides kafka.bootstrap.servers). Default: the"
          + " embedded broker of the data directory, started when not already running.")
  private String bootstrapServers;

  /**
   * The configuration with these options applied on top.
   *
   * @param config the merged configuration
   * @return {@code config}, or a copy pointing at {@code --bootstrap-servers} (which also turns
   *     the embedded broker off)
   */
  public AppConfig apply(AppConfig config) {
    if (bootstrapServers == null) {
      return config;
    }
    return config.withOverrides(
        Map.of(
            AppConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
            AppConfig.BROKER_EMBEDDED_CONFIG, "false"));
  }
}

package dev.sibyl.app.cli;

import dev.sibyl.app.SibylMain;
import dev.sibyl.app.config.AppConfig;
import dev.sibyl.connectors.csv.CsvSeriesReader;
import dev.sibyl.connectors.replay.ReplayResult;
import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.streams.PipelineConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code sibyl replay}: sends the rows of a CSV file to a topic as TelemetryPoint records. */
@Command(
    name = "replay",
    sortOptions = false,
    description = {
      "Send the rows of a CSV file (ETT: date,HUFL,...,OT or NAB: timestamp,value) to a topic as"
          + " TelemetryPoint records keyed by source.",
      "Timestamps are yyyy-MM-dd HH:mm:ss in UTC."
    })
public final class ReplayCommand implements Callable<Integer> {

  @ParentCommand private SibylMain root;

  @Spec private CommandSpec spec;

  @Mixin private KafkaOptions kafka;

  @Option(names = "--file", required = true, paramLabel = "CSV", description = "The CSV file to replay.")
  private Path file;

  @Option(
      names = "--topic",
      paramLabel = "TOPIC",
      description = "Destination topic (default: setting topic.telemetry, else "
          + PipelineConfig.TELEMETRY_TOPIC_DEFAULT + ").")
  private String topic;

  @Option(
      names = "--speed",
      paramLabel = "X",
      defaultValue = "0",
      description = "Event-time speed-up: 3600 replays an hourly file at one row per second;"
          + " 0 (default) sends as fast as possible.")
  private double speed;

  @ArgGroup(exclusive = true)
  private SourceChoice sourceChoice;

  /** A fixed source name or a source column, not both. */
  static final class SourceChoice {
    @Option(names = "--source", paramLabel = "NAME", description = "Source of every row (default: the file's base name).")
    String source;

    @Option(names = "--source-column", paramLabel = "COLUMN", description = "Column whose value is the row's source.")
    String sourceColumn;
  }

  @Option(
      names = "--timestamp-column",
      paramLabel = "COLUMN",
      description = "Timestamp column (default: the column named date or timestamp).")
  private String timestampColumn;

  /** Replays the file; see the command description. */
  @Override
  public Integer call() throws Exception {
    if (!(speed >= 0) || Double.isInfinite(speed)) {
      throw new ParameterException(spec.commandLine(), "--speed must be a finite number >= 0, got " + speed);
    }
    AppConfig config = kafka.apply(root.config());
    String destination =
        topic != null ? topic : config.get(PipelineConfig.TELEMETRY_TOPIC_CONFIG, PipelineConfig.TELEMETRY_TOPIC_DEFAULT);
    CsvSeriesReader.Builder builder = CsvSeriesReader.builder().setFile(file);
    if (sourceChoice != null && sourceChoice.source != null) {
      builder.optSource(sourceChoice.source);
    }
    if (sourceChoice != null && sourceChoice.sourceColumn != null) {
      builder.optSourceColumn(sourceChoice.sourceColumn);
    }
    if (timestampColumn != null) {
      builder.optTimestampColumn(timestampColumn);
    }
    PrintWriter err = spec.commandLine().getErr();

    // Open the file first: a bad path or header fails before any broker is started.
    try (StopSignal stopSignal = StopSignal.install();
        Stream<TelemetryPoint> points = builder.build().stream();
        KafkaSession session = KafkaSession.open(config)) {
      session.ensureTopics(List.of(destination));
      ReplayResult result =
          TelemetrySend.run(
              session, stopSignal, destination, points.iterator(), b -> b.optSpeed(speed),
              new ProgressReporter(err, "points"), sender -> {});
      return SendSummary.report(err, result, destination, session.bootstrapServers());
    }
  }
}

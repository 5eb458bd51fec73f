package dev.sibyl.app.cli;

import dev.sibyl.app.SibylMain;
import dev.sibyl.app.config.AppConfig;
import dev.sibyl.connectors.cmapss.CmapssReader;
import dev.sibyl.connectors.csv.CsvSeriesReader;
import dev.sibyl.connectors.replay.ReplayResult;
import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.streams.PipelineConfig;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
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
      "Timestamps are yyyy-MM-dd HH:mm:ss in UTC.",
      "A C-MAPSS text file (train_FD001.txt, test_FD001.txt) is replayed with each unit as a source"
          + " (<prefix>-<unit>), each cycle as one time step, and the 3 settings and 21 sensors as channels"
          + " setting1..setting3, s1..s21, interleaved by cycle across units."
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

  @Option(
      names = "--format",
      paramLabel = "auto|csv|cmapss",
      defaultValue = "auto",
      description = "File format (default ${DEFAULT-VALUE}: C-MAPSS when the first line has 26 numeric"
          + " columns, CSV otherwise).")
  private String format;

  @Option(
      names = "--cycle-length",
      paramLabel = "DURATION",
      defaultValue = "1h",
      converter = DurationConverter.class,
      description = "C-MAPSS only: event time between two cycles (default ${DEFAULT-VALUE}).")
  private Duration cycleLength;

  @Option(
      names = "--start",
      paramLabel = "INSTANT",
      defaultValue = "2024-01-01T00:00:00Z",
      description = "C-MAPSS only: event time of cycle 1, ISO-8601 (default ${DEFAULT-VALUE}).")
  private Instant start;

  /** Replays the file; see the command description. */
  @Override
  public Integer call() throws Exception {
    if (!(speed >= 0) || Double.isInfinite(speed)) {
      throw new ParameterException(spec.commandLine(), "--speed must be a finite number >= 0, got " + speed);
    }
    if (!Files.isRegularFile(file)) {
      throw new ParameterException(spec.commandLine(), "--file: no such file: " + file);
    }
    boolean cmapss = switch (format) {
      case "cmapss" -> true;
      case "csv" -> false;
      case "auto" -> CmapssReader.looksLikeCmapss(file);
      default -> throw new ParameterException(spec.commandLine(), "--format must be auto, csv or cmapss, got '" + format + "'");
    };
    if (cmapss && (timestampColumn != null || (sourceChoice != null && sourceChoice.sourceColumn != null))) {
      throw new ParameterException(
          spec.commandLine(), "--timestamp-column and --source-column apply to CSV files; C-MAPSS has unit and cycle columns");
    }
    if (cmapss && (cycleLength.isZero() || cycleLength.isNegative())) {
      throw new ParameterException(spec.commandLine(), "--cycle-length must be positive, got " + cycleLength);
    }
    AppConfig config = kafka.apply(root.config());
    String destination =
        topic != null ? topic : config.get(PipelineConfig.TELEMETRY_TOPIC_CONFIG, PipelineConfig.TELEMETRY_TOPIC_DEFAULT);
    if (cmapss) {
      String prefix = sourceChoice != null && sourceChoice.source != null ? sourceChoice.source : baseName(file);
      return send(config, destination, CmapssReader.read(file, prefix, start, cycleLength.toMillis()).stream());
    }
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
    // Open the file first: a bad path or header fails before any broker is started.
    return send(config, destination, builder.build().stream());
  }

  private static String baseName(Path file) {
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dot > 0 ? name.substring(0, dot) : name;
  }

  /** Sends the points with pacing and progress, then prints the summary; closes the stream. */
  private int send(AppConfig config, String destination, Stream<TelemetryPoint> opened) throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    try (StopSignal stopSignal = StopSignal.install();
        Stream<TelemetryPoint> points = opened;
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

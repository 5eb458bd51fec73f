package dev.sibyl.app.cli;

import dev.sibyl.app.SibylMain;
import dev.sibyl.app.config.AppConfig;
import dev.sibyl.connectors.replay.ReplayResult;
import dev.sibyl.connectors.sim.AnomalyLabelsWriter;
import dev.sibyl.connectors.sim.InjectedAnomaly;
import dev.sibyl.connectors.sim.TelemetrySimulator;
import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.streams.PipelineConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code sibyl simulate}: sends synthetic telemetry with labelled anomalies to a topic. */
@Command(
    name = "simulate",
    sortOptions = false,
    description = {
      "Send synthetic telemetry (temperature, vibration, pressure per source: daily curve + trend +"
          + " noise) with injected, labelled anomalies (spike, level_shift, variance_burst).",
      "Event time advances one step per point of a source, independent of the wall clock.",
      "Runs until --points per source are sent, or until stopped (Ctrl-C)."
    })
public final class SimulateCommand implements Callable<Integer> {

  @ParentCommand private SibylMain root;

  @Spec private CommandSpec spec;

  @Mixin private KafkaOptions kafka;

  @Option(names = "--sources", paramLabel = "N", defaultValue = "3", description = "Number of sources (default ${DEFAULT-VALUE}).")
  private int sources;

  @Option(
      names = "--rate",
      paramLabel = "R",
      defaultValue = "10",
      description = "Points per second in total across sources; 0 = as fast as possible (default ${DEFAULT-VALUE}).")
  private double rate;

  @Option(names = "--points", paramLabel = "N", description = "Points per source (default: until stopped).")
  private Long points;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "Random seed (default ${DEFAULT-VALUE}).")
  private long seed;

  @Option(
      names = "--anomaly-rate",
      paramLabel = "P",
      defaultValue = "0.002",
      description = "Probability that a source starts an anomaly at a step (default ${DEFAULT-VALUE}).")
  private double anomalyRate;

  @Option(
      names = "--step",
      paramLabel = "DURATION",
      defaultValue = "60s",
      converter = DurationConverter.class,
      description = "Event time between two points of a source (default ${DEFAULT-VALUE}).")
  private Duration step;

  @Option(
      names = "--start",
      paramLabel = "INSTANT",
      description = "Event time of the first step, ISO-8601 (e.g. 2024-01-01T00:00:00Z) or 'now'"
          + " (default 2024-01-01T00:00:00Z).")
  private String start;

  @Option(names = "--labels-out", paramLabel = "CSV", description = "Also write every labelled point to this CSV (source,channel,timestamp,kind).")
  private Path labelsOut;

  @Option(
      names = "--topic",
      paramLabel = "TOPIC",
      description = "Destination topic (default: setting topic.telemetry, else "
          + PipelineConfig.TELEMETRY_TOPIC_DEFAULT + ").")
  private String topic;

  /** Runs the simulation; see the command description. */
  @Override
  public Integer call() throws Exception {
    TelemetrySimulator simulator = buildSimulator();
    if (!(rate >= 0) || Double.isInfinite(rate)) {
      throw new ParameterException(spec.commandLine(), "--rate must be a finite number >= 0, got " + rate);
    }
    AppConfig config = kafka.apply(root.config());
    String destination =
        topic != null ? topic : config.get(PipelineConfig.TELEMETRY_TOPIC_CONFIG, PipelineConfig.TELEMETRY_TOPIC_DEFAULT);
    PrintWriter err = spec.commandLine().getErr();

    try (StopSignal stopSignal = StopSignal.install();
        AnomalyLabelsWriter labels = labelsOut == null ? null : new AnomalyLabelsWriter(labelsOut);
        KafkaSession session = KafkaSession.open(config)) {
      session.ensureTopics(List.of(destination));
      ReplayResult result =
          TelemetrySend.run(
              session, stopSignal, destination,
              labels == null ? simulator.iterator() : new Labelling(simulator.iterator(), labels),
              b -> b.optRate(rate), new ProgressReporter(err, "points"), sender -> {});
      if (labels != null) {
        err.println("wrote " + labels.rows() + " labelled points to " + labelsOut);
      }
      return SendSummary.report(err, result, destination, session.bootstrapServers());
    }
  }

  private TelemetrySimulator buildSimulator() {
    TelemetrySimulator.Builder builder =
        TelemetrySimulator.builder()
            .setSources(sources)
            .optSeed(seed)
            .optAnomalyRate(anomalyRate)
            .optStep(step);
    if (points != null) {
      builder.optPointsPerSource(points);
    }
    if (start != null) {
      builder.optStart(parseStart(start));
    }
    try {
      return builder.build();
    } catch (IllegalArgumentException e) {
      // The builder names its property; the user knows the option: both appear in the message.
      throw new ParameterException(spec.commandLine(), "invalid simulation settings: " + e.getMessage());
    }
  }

  private Instant parseStart(String text) {
    if (text.equalsIgnoreCase("now")) {
      return Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    }
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw new ParameterException(
          spec.commandLine(), "--start must be an ISO-8601 instant such as 2024-01-01T00:00:00Z or 'now', got '" + text + "'");
    }
  }

  /** Writes the labels CSV row of each labelled point as the sender takes it. */
  private static final class Labelling implements Iterator<TelemetryPoint> {
    private final Iterator<TelemetryPoint> points;
    private final AnomalyLabelsWriter labels;

    Labelling(Iterator<TelemetryPoint> points, AnomalyLabelsWriter labels) {
      this.points = points;
      this.labels = labels;
    }

    @Override
    public boolean hasNext() {
      return points.hasNext();
    }

    @Override
    public TelemetryPoint next() {
      TelemetryPoint point = points.next();
      Optional<InjectedAnomaly> anomaly = TelemetrySimulator.injectedAnomaly(point);
      if (anomaly.isPresent()) {
        try {
          labels.write(anomaly.get());
        } catch (IOException e) {
          throw new UncheckedIOException("cannot write the labels CSV: " + e.getMessage(), e);
        }
      }
      return point;
    }
  }
}

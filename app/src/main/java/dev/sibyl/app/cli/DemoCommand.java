package dev.sibyl.app.cli;

import dev.sibyl.app.SibylMain;
import dev.sibyl.app.config.AppConfig;
import dev.sibyl.connectors.csv.CsvSeriesReader;
import dev.sibyl.connectors.replay.ReplayProgress;
import dev.sibyl.connectors.replay.ReplayResult;
import dev.sibyl.connectors.sim.TelemetrySimulator;
import dev.sibyl.schemas.TelemetryPoint;
import dev.sibyl.streams.PipelineConfig;
import dev.sibyl.streams.kafka.ForecastPipeline;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code sibyl demo}: the embedded broker, the pipeline and a telemetry source in one process, with
 * live progress and a one-line summary.
 */
@Command(
    name = "demo",
    sortOptions = false,
    description = {
      "Start an embedded Kafka broker (data under the data directory, kept across runs), the"
          + " forecasting pipeline and a telemetry simulator (or --replay a CSV), and show live progress.",
      "Points are stamped with the wall clock as they are sent. Stops at --duration or on Ctrl-C and"
          + " prints: demo summary: points=<n> forecasts=<n> anomalies=<n> dead_letters=<n>"
    })
public final class DemoCommand implements Callable<Integer> {

  /** The demo's Streams application id; separate from {@code sibyl streams}' so that both can coexist. */
  static final String APPLICATION_ID = "sibyl-demo";

  private static final Duration DRAIN_QUIET = Duration.ofMillis(1500);
  private static final Duration DRAIN_MAX = Duration.ofSeconds(15);

  @ParentCommand private SibylMain root;

  @Spec private CommandSpec spec;

  @Mixin private KafkaOptions kafka;

  @Option(
      names = "--duration",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Stop after this long, e.g. 60s or 5m (default: run until Ctrl-C).")
  private Duration duration;

  @Option(names = "--replay", paramLabel = "CSV", description = "Replay this ETT or NAB CSV instead of simulating.")
  private Path replay;

  @Option(names = "--sources", paramLabel = "N", defaultValue = "4", description = "Simulated sources (default ${DEFAULT-VALUE}).")
  private int sources;

  @Option(
      names = "--rate",
      paramLabel = "R",
      defaultValue = "200",
      description = "Points per second sent, across sources (default ${DEFAULT-VALUE}).")
  private double rate;

  @Option(
      names = "--bad-every",
      paramLabel = "N",
      defaultValue = "500",
      description = "Send a point with NaN values every N points, to show the dead-letter path; 0 never (default ${DEFAULT-VALUE}).")
  private long badEvery;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "Simulator seed (default ${DEFAULT-VALUE}).")
  private long seed;

  /** Runs the demo; see the command description. */
  @Override
  public Integer call() throws Exception {
    if (!(rate > 0) || Double.isInfinite(rate)) {
      throw new ParameterException(spec.commandLine(), "--rate must be a positive number, got " + rate);
    }
    if (badEvery < 0) {
      throw new ParameterException(spec.commandLine(), "--bad-every must be >= 0, got " + badEvery);
    }
    if (duration != null && (duration.isNegative() || duration.isZero())) {
      throw new ParameterException(spec.commandLine(), "--duration must be positive, got " + duration);
    }
    AppConfig config = kafka.apply(root.config());
    PipelineRunner.Models models = PipelineRunner.Models.of(config); // before any broker starts
    PipelineConfig pipelineConfig = models.pipeline();
    List<String> topics = PipelineRunner.topics(pipelineConfig);
    String telemetry = topics.get(0);
    PrintWriter err = spec.commandLine().getErr();

    // The stop signal is the first resource so that it closes last: on Ctrl-C the JVM waits for
    // the pipeline and the broker to close.
    try (StopSignal stop = StopSignal.install();
        Stream<TelemetryPoint> input = openInput();
        KafkaSession session = KafkaSession.open(config);
        ForecastPipeline pipeline = PipelineRunner.start(config, models, session, APPLICATION_ID);
        OutputCounter counter = OutputCounter.start(session.clientProperties(), topics.subList(1, topics.size()))) {
      err.println("pipeline starting on " + session.bootstrapServers() + " (model " + pipelineConfig.getString(PipelineConfig.MODEL_FAMILY_CONFIG) + ")");
      err.flush();
      pipeline.awaitRunning(Duration.ofMinutes(2));
      LiveTimestamps points = new LiveTimestamps(input.iterator(), badEvery);
      ReplayResult result;
      ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "sibyl-demo-timer"));
      try {
        result =
            TelemetrySend.run(
                session, stop, telemetry, points, b -> b.optRate(rate), p -> progress(err, p, counter, topics),
                sender -> {
                  if (duration != null) {
                    timer.schedule(sender::stop, duration.toMillis(), TimeUnit.MILLISECONDS);
                  }
                });
        drain(counter);
      } finally {
        timer.shutdownNow();
      }
      spec.commandLine().getOut().println(
          String.format(
              Locale.ROOT,
              "demo summary: points=%d forecasts=%d anomalies=%d dead_letters=%d",
              result.acknowledged(),
              counter.count(topics.get(1)),
              counter.count(topics.get(2)),
              counter.count(topics.get(4))));
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  private Stream<TelemetryPoint> openInput() throws java.io.IOException {
    if (replay != null) {
      return CsvSeriesReader.builder().setFile(replay).build().stream();
    }
    TelemetrySimulator simulator;
    try {
      simulator = TelemetrySimulator.builder().setSources(sources).optSeed(seed).optPeriodSteps(24).build();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "invalid simulation settings: " + e.getMessage());
    }
    return StreamSupport.stream(simulator.spliterator(), false);
  }

  /** Waits until the outputs stop changing (the pipeline has caught up), bounded. */
  private static void drain(OutputCounter counter) throws InterruptedException {
    long deadline = System.nanoTime() + DRAIN_MAX.toNanos();
    long last = -1;
    while (System.nanoTime() < deadline) {
      long now = counter.total();
      if (now == last) {
        return;
      }
      last = now;
      Thread.sleep(DRAIN_QUIET.toMillis());
    }
  }

  private static void progress(PrintWriter err, ReplayProgress p, OutputCounter counter, List<String> topics) {
    err.println(
        String.format(
            Locale.ROOT,
            "points=%d (%.0f/s) forecasts=%d anomalies=%d dead_letters=%d",
            p.sent(),
            p.recordsPerSecond(),
            counter.count(topics.get(1)),
            counter.count(topics.get(2)),
            counter.count(topics.get(4))));
    err.flush();
  }
}

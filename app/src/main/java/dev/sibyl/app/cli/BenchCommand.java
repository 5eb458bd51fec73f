package dev.sibyl.app.cli;

import dev.sibyl.app.SibylMain;
import dev.sibyl.app.bench.PipelineBench;
import dev.sibyl.app.broker.EmbeddedKafkaBroker;
import dev.sibyl.app.config.AppConfig;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.CommonClientConfigs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code sibyl bench}: benchmarks that print their figures and end with one JSON line. */
@Command(
    name = "bench",
    description = "Benchmarks. Each prints its steps on stderr and ends with one JSON line on stdout.",
    subcommands = {BenchCommand.Pipeline.class, BackboneBenchCommand.class, WorkersBenchCommand.class, FlinkBenchCommand.class, AutotimesStreamBenchCommand.class,
      KeyedStreamBenchCommand.class, PredictBenchCommand.class})
public final class BenchCommand {

  /** {@code sibyl bench pipeline}. */
  @Command(
      name = "pipeline",
      sortOptions = false,
      description = {
        "Pipeline throughput beside a raw Kafka produce-consume passthrough of the same records on the"
            + " same broker, as a ratio, and event-to-forecast latency (p50/p99).",
        "Without --bootstrap-servers it runs on a fresh embedded broker in a temporary directory."
      })
  static final class Pipeline implements Callable<Integer> {

    @Spec private CommandSpec spec;

    @Mixin private KafkaOptions kafka;

    @Option(names = "--points", paramLabel = "N", defaultValue = "200000", description = "Records in the throughput phase (default ${DEFAULT-VALUE}).")
    private int points;

    @Option(names = "--warmup-points", paramLabel = "N", defaultValue = "100000", description = "Records each side processes before the timing starts (default ${DEFAULT-VALUE}).")
    private int warmupPoints;

    @Option(names = "--sources", paramLabel = "N", defaultValue = "100", description = "Distinct sources (default ${DEFAULT-VALUE}).")
    private int sources;

    @Option(names = "--cadence", paramLabel = "N", defaultValue = "12", description = "Forecast every N points of a series (default ${DEFAULT-VALUE}).")
    private int cadence;

    @Option(names = "--partitions", paramLabel = "N", defaultValue = "2", description = "Partitions of the bench topics (default ${DEFAULT-VALUE}).")
    private int partitions;

    @Option(names = "--model", paramLabel = "FAMILY", defaultValue = "holt-winters", description = "Forecaster family (default ${DEFAULT-VALUE}).")
    private String model;

    @Option(names = "--latency-seconds", paramLabel = "S", defaultValue = "10", description = "Duration of the latency phase (default ${DEFAULT-VALUE}).")
    private int latencySeconds;

    @Option(names = "--latency-rate", paramLabel = "R", defaultValue = "1000", description = "Records per second in the latency phase (default ${DEFAULT-VALUE}).")
    private int latencyRate;

    @Override
    public Integer call() throws Exception {
      if (warmupPoints < 0) {
        throw new ParameterException(spec.commandLine(), "--warmup-points must be >= 0, got " + warmupPoints);
      }
      if (points < 1 || sources < 1 || cadence < 1 || partitions < 1 || latencySeconds < 1 || latencyRate < 1) {
        throw new ParameterException(
            spec.commandLine(), "--points, --sources, --cadence, --partitions, --latency-seconds and --latency-rate must be positive");
      }
      SibylMain root = spec.commandLine().getParent().getParent().getCommand();
      AppConfig config = kafka.apply(root.config());
      PrintWriter err = spec.commandLine().getErr();
      PipelineBench.Options options = new PipelineBench.Options(points, warmupPoints, sources, cadence, partitions, latencySeconds, latencyRate, model);
      PipelineBench.Result result;
      if (config.bootstrapServers() != null) {
        result = new PipelineBench(new HashMap<>(config.kafkaClientProperties()), err::println).run(options);
      } else {
        Path dir = Files.createTempDirectory("sibyl-bench-");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().optDataDir(dir).build()) {
          broker.start();
          Map<String, Object> props = new HashMap<>(config.kafkaClientProperties());
          props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
          result = new PipelineBench(props, line -> { err.println(line); err.flush(); }).run(options);
        }
      }
      spec.commandLine().getOut().println(result.toJson());
      spec.commandLine().getOut().flush();
      return 0;
    }
  }
}

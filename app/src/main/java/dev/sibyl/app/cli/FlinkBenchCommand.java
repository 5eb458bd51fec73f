package dev.sibyl.app.cli;

import dev.sibyl.app.SibylMain;
import dev.sibyl.app.bench.FlinkBench;
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
import picocli.CommandLine.Spec;

/** {@code sibyl bench flink}: the Flink job's throughput beside the Streams pipeline's, same input, same run. */
@Command(
    name = "flink",
    sortOptions = false,
    description = {
      "Throughput of the Flink job on an in-process MiniCluster beside the Kafka Streams pipeline's, over the same"
          + " records on the same broker in the same run, both exactly-once with the same model.",
      "Without --bootstrap-servers it runs on a fresh embedded broker in a temporary directory."
    })
public final class FlinkBenchCommand implements Callable<Integer> {

  @Spec private CommandSpec spec;

  @Mixin private KafkaOptions kafka;

  @Option(names = "--points", paramLabel = "N", defaultValue = "100000", description = "Records in the timed part (default ${DEFAULT-VALUE}).")
  private int points;

  @Option(names = "--warmup-points", paramLabel = "N", defaultValue = "50000", description = "Records each engine processes before the timing starts (default ${DEFAULT-VALUE}).")
  private int warmupPoints;

  @Option(names = "--sources", paramLabel = "N", defaultValue = "100", description = "Distinct sources (default ${DEFAULT-VALUE}).")
  private int sources;

  @Option(names = "--cadence", paramLabel = "N", defaultValue = "12", description = "Forecast every N points of a series (default ${DEFAULT-VALUE}).")
  private int cadence;

  @Option(names = "--partitions", paramLabel = "N", defaultValue = "2", description = "Partitions of the bench topics (default ${DEFAULT-VALUE}).")
  private int partitions;

  @Option(names = "--parallelism", paramLabel = "N", description = "Parallelism of the Flink job (default: --partitions).")
  private Integer parallelism;

  @Option(names = "--model", paramLabel = "FAMILY", defaultValue = "holt-winters", description = "Forecaster family (default ${DEFAULT-VALUE}).")
  private String model;

  @Override
  public Integer call() throws Exception {
    if (warmupPoints < 0) {
      throw new ParameterException(spec.commandLine(), "--warmup-points must be >= 0, got " + warmupPoints);
    }
    int flinkParallelism = parallelism == null ? partitions : parallelism;
    if (points < 1 || sources < 1 || cadence < 1 || partitions < 1 || flinkParallelism < 1) {
      throw new ParameterException(spec.commandLine(), "--points, --sources, --cadence, --partitions and --parallelism must be positive");
    }
    SibylMain root = spec.commandLine().getParent().getParent().getCommand();
    AppConfig config = kafka.apply(root.config());
    PrintWriter err = spec.commandLine().getErr();
    FlinkBench.Options options = new FlinkBench.Options(points, warmupPoints, sources, cadence, partitions, flinkParallelism, model);
    FlinkBench.Result result;
    if (config.bootstrapServers() != null) {
      result = new FlinkBench(new HashMap<>(config.kafkaClientProperties()), line -> { err.println(line); err.flush(); }).run(options);
    } else {
      Path dir = Files.createTempDirectory("sibyl-bench-");
      try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().optDataDir(dir).build()) {
        broker.start();
        Map<String, Object> props = new HashMap<>(config.kafkaClientProperties());
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        result = new FlinkBench(props, line -> { err.println(line); err.flush(); }).run(options);
      }
    }
    spec.commandLine().getOut().println(result.toJson());
    spec.commandLine().getOut().flush();
    return 0;
  }
}

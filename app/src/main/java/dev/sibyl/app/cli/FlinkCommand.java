package dev.sibyl.app.cli;

import dev.sibyl.app.SibylMain;
import dev.sibyl.app.config.AppConfig;
import dev.sibyl.streams.PipelineConfig;
import dev.sibyl.streams.flink.FlinkForecastJob;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.CommonClientConfigs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code sibyl flink --local}: the Flink job on an in-process MiniCluster, until Ctrl-C. */
@Command(
    name = "flink",
    sortOptions = false,
    description = {
      "Run the Flink forecasting job on an in-process Flink MiniCluster against the configured cluster (or the"
          + " embedded broker of the data directory) until Ctrl-C. Same topics, model and settings as `streams`,"
          + " plus the flink.* settings.",
      "On a Flink cluster, submit the job jar instead: flink run streams/target/sibyl-flink-job.jar <settings file>"
          + " (see the README, section Flink)."
    })
public final class FlinkCommand implements Callable<Integer> {

  private static final Duration CANCEL_TIMEOUT = Duration.ofSeconds(30);

  @ParentCommand private SibylMain root;

  @Spec private CommandSpec spec;

  @Mixin private KafkaOptions kafka;

  @Option(names = "--local", description = "Run on an in-process MiniCluster (the only mode of this command).")
  private boolean local;

  /** Runs the job until the JVM is asked to stop or the job fails. */
  @Override
  public Integer call() throws Exception {
    if (!local) {
      throw new ParameterException(
          spec.commandLine(), "only --local runs the job from here; on a Flink cluster submit the job jar with flink run (see the README)");
    }
    AppConfig config = kafka.apply(root.config());
    // Settings and model checked before any broker starts: a bad one fails at once with one line.
    job(config, Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, "not-yet-known:9092"));
    PrintWriter err = spec.commandLine().getErr();
    CountDownLatch stopped = new CountDownLatch(1);
    try (StopSignal stop = StopSignal.install(stopped::countDown);
        KafkaSession session = KafkaSession.open(config)) {
      FlinkForecastJob job = job(config, session.clientProperties());
      session.ensureTopics(PipelineRunner.topics(new PipelineConfig(config.merged())));
      StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(job.environmentConfiguration());
      job.addTo(env);
      JobClient client = env.executeAsync(FlinkForecastJob.JOB_NAME);
      err.println("Flink job " + client.getJobID() + " running on an in-process MiniCluster against " + session.bootstrapServers() + "; Ctrl-C stops it");
      err.flush();
      try {
        while (!stopped.await(1, TimeUnit.SECONDS)) {
          JobStatus status = client.getJobStatus().get(10, TimeUnit.SECONDS);
          if (status.isGloballyTerminalState()) {
            throw new IllegalStateException("the Flink job stopped: status " + status + " (see the log above)");
          }
        }
      } finally {
        if (!client.getJobStatus().get(10, TimeUnit.SECONDS).isGloballyTerminalState()) {
          client.cancel().get(CANCEL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
      }
      return 0;
    }
  }

  private static FlinkForecastJob job(AppConfig config, Map<String, ?> kafkaProperties) {
    return FlinkForecastJob.builder().setSettings(config.merged()).setKafkaProperties(kafkaProperties).build();
  }
}

package dev.sibyl.app.cli;

import dev.sibyl.app.SibylMain;
import dev.sibyl.app.config.AppConfig;
import dev.sibyl.streams.kafka.ForecastPipeline;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code sibyl streams}: the Kafka Streams pipeline alone, until Ctrl-C. */
@Command(
    name = "streams",
    sortOptions = false,
    description = {
      "Run the Kafka Streams forecasting pipeline against the configured cluster (or the embedded"
          + " broker of the data directory) until Ctrl-C.",
      "Application id: kafka.application.id (default " + ForecastPipeline.DEFAULT_APPLICATION_ID + ")."
    })
public final class StreamsCommand implements Callable<Integer> {

  @ParentCommand private SibylMain root;

  @Spec private CommandSpec spec;

  @Mixin private KafkaOptions kafka;

  /** Runs the pipeline until the JVM is asked to stop. */
  @Override
  public Integer call() throws Exception {
    AppConfig config = kafka.apply(root.config());
    PipelineRunner.Models models = PipelineRunner.Models.of(config); // before any broker starts
    PrintWriter err = spec.commandLine().getErr();
    CountDownLatch stopped = new CountDownLatch(1);
    // The stop signal is the first resource so that it closes last, after the pipeline and broker.
    try (StopSignal stop = StopSignal.install(stopped::countDown);
        KafkaSession session = KafkaSession.open(config);
        ForecastPipeline pipeline = PipelineRunner.start(config, models, session, ForecastPipeline.DEFAULT_APPLICATION_ID)) {
      pipeline.awaitRunning(Duration.ofMinutes(2));
      err.println("pipeline running on " + session.bootstrapServers() + "; Ctrl-C stops it");
      err.flush();
      while (!stopped.await(1, java.util.concurrent.TimeUnit.SECONDS)) {
        if (pipeline.state() == org.apache.kafka.streams.KafkaStreams.State.ERROR
            || pipeline.state() == org.apache.kafka.streams.KafkaStreams.State.NOT_RUNNING) {
          throw new IllegalStateException("the pipeline stopped: state " + pipeline.state() + " (see the log above)");
        }
      }
      return 0;
    }
  }
}

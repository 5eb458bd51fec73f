package dev.sibyl.app.cli;

import dev.sibyl.connectors.replay.ReplayProducer;
import dev.sibyl.connectors.replay.ReplayProgress;
import dev.sibyl.connectors.replay.ReplayResult;
import dev.sibyl.schemas.TelemetryPoint;
import java.time.Duration;
import java.util.Iterator;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.apache.kafka.clients.producer.KafkaProducer;

/**
 * Sends telemetry to a topic for the commands that produce it ({@code replay}, {@code simulate},
 * {@code demo}): one producer, paced, stoppable by Ctrl-C, closed with a bound.
 */
final class TelemetrySend {

  /** How often progress is reported. */
  static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(2);

  private TelemetrySend() {}

  /**
   * Sends every point (or until stopped) and waits for the acknowledgements.
   *
   * @param session the cluster
   * @param stop the command's stop signal; a stop request ends the sending
   * @param topic destination
   * @param points the points, in send order
   * @param pacing sets the pacing on the builder ({@code optRate} or {@code optSpeed})
   * @param progress receives a report every {@link #PROGRESS_INTERVAL}
   * @param onStart called with the sender before the first point (e.g. to schedule a stop)
   */
  static ReplayResult run(
      KafkaSession session,
      StopSignal stop,
      String topic,
      Iterator<TelemetryPoint> points,
      UnaryOperator<ReplayProducer.Builder> pacing,
      Consumer<ReplayProgress> progress,
      Consumer<ReplayProducer> onStart) {
    KafkaProducer<String, TelemetryPoint> producer = session.producer(TelemetryPoint.class);
    try {
      ReplayProducer sender =
          pacing
              .apply(ReplayProducer.builder().setProducer(producer).setTopic(topic))
              .optProgressListener(progress, PROGRESS_INTERVAL)
              .build();
      stop.onStop(sender::stop);
      onStart.accept(sender);
      return sender.run(points);
    } finally {
      producer.close(KafkaSession.CLOSE_TIMEOUT);
    }
  }
}

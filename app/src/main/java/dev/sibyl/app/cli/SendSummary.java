package dev.sibyl.app.cli;

import dev.sibyl.connectors.replay.ReplayResult;
import java.io.PrintWriter;
import java.util.Locale;

/** The closing line of {@code replay} and {@code simulate}, and their failure policy. */
final class SendSummary {

  private SendSummary() {}

  /**
   * Prints the summary on stderr, or fails when a send failed.
   *
   * @return the exit code 0
   * @throws IllegalStateException naming the topic and the first error when a send failed
   */
  static int report(PrintWriter err, ReplayResult result, String topic, String bootstrap) {
    if (result.failed() > 0) {
      throw new IllegalStateException(
          "sending to " + topic + " failed after " + result.acknowledged() + " acknowledged records: "
              + Failures.describe(result.firstError()));
    }
    err.println(
        String.format(
            Locale.ROOT,
            "%s %,d points to %s at %s in %.1f s (%,.0f/s)",
            result.stopped() ? "stopped after sending" : "sent",
            result.sent(),
            topic,
            bootstrap,
            result.elapsed().toMillis() / 1000.0,
            result.recordsPerSecond()));
    err.flush();
    return 0;
  }
}

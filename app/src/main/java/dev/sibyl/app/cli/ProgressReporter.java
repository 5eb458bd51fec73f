package dev.sibyl.app.cli;

import dev.sibyl.connectors.replay.ReplayProgress;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Prints a replay's progress as one short line on stderr per report; the final report is left to
 * the command's summary line.
 */
final class ProgressReporter implements Consumer<ReplayProgress> {

  private final PrintWriter err;
  private final String what;

  /**
   * @param err where the lines go
   * @param what the noun being counted, e.g. {@code points}
   */
  ProgressReporter(PrintWriter err, String what) {
    this.err = err;
    this.what = what;
  }

  @Override
  public void accept(ReplayProgress p) {
    if (p.finished()) {
      return;
    }
    err.println(
        String.format(
            Locale.ROOT,
            "sent %,d %s (%,.0f/s), acknowledged %,d%s, event time %s",
            p.sent(),
            what,
            p.recordsPerSecond(),
            p.acknowledged(),
            p.failed() > 0 ? ", failed " + p.failed() : "",
            p.lastEventTime() == null ? "-" : p.lastEventTime()));
    err.flush();
  }
}

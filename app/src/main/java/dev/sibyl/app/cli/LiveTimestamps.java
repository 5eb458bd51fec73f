package dev.sibyl.app.cli;

import dev.sibyl.schemas.TelemetryPoint;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Re-stamps points with the wall clock as they are sent, as if the sensors were live, and now and
 * then spoils one on purpose.
 *
 * <p>Why the demo re-stamps: its broker keeps data across runs and the pipeline remembers each
 * series' newest timestamp, so replaying a file or restarting the simulator with its original
 * timestamps would make every point of a second run late. Live timestamps are always newer, make
 * the event-to-forecast latency meaningful, and never run into the future. Timestamps stay strictly
 * increasing per source, which the pipeline requires.
 */
final class LiveTimestamps implements Iterator<TelemetryPoint> {

  private final Iterator<TelemetryPoint> points;
  private final long badEvery;
  private final Map<String, Long> lastMillis = new HashMap<>();
  private long taken;

  /**
   * @param points the points to send, in order
   * @param badEvery every this many points, one with a NaN value is sent (it must reach the
   *     dead-letter topic); 0 never
   */
  LiveTimestamps(Iterator<TelemetryPoint> points, long badEvery) {
    this.points = points;
    this.badEvery = badEvery;
  }

  @Override
  public boolean hasNext() {
    return points.hasNext();
  }

  @Override
  public TelemetryPoint next() {
    TelemetryPoint original = points.next();
    long n = ++taken;
    long now = System.currentTimeMillis();
    long millis = Math.max(now, lastMillis.getOrDefault(original.getSource(), Long.MIN_VALUE) + 1);
    lastMillis.put(original.getSource(), millis);
    TelemetryPoint.Builder point = TelemetryPoint.newBuilder(original).setTimestamp(Instant.ofEpochMilli(millis));
    if (badEvery > 0 && n % badEvery == 0) {
      Map<String, Double> values = new HashMap<>(original.getValues());
      values.replaceAll((channel, value) -> Double.NaN);
      point.setValues(values);
    }
    return point.build();
  }
}

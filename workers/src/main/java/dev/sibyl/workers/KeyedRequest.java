package dev.sibyl.workers;

import dev.sibyl.models.api.KeyedForecaster;
import dev.sibyl.models.api.SeriesWindow;
import java.util.Objects;

/**
 * A keyed (stateful) request: the recent window of one series, named by a key, so that a worker
 * serving a model with a per-series cache ({@link dev.sibyl.models.api.KeyedForecaster}, e.g.
 * AutoTimes' KV cache) decodes only what is new since the series' previous request. The channels
 * are the series' variables over the same timestamps; each channel is cached on its own.
 *
 * <p>The timestamps place the window in the series' own time, so that the worker finds its cached
 * boundary in it: the newest point is at {@code lastTimestamp}, the others {@code step} apart
 * before it (any unit, e.g. epoch milliseconds and the sampling interval, or a point count and 1).
 * A window that does not hold the cached boundary (a gap, a restart, another worker) is rebuilt
 * from the window: correct, only slower.
 *
 * @param seriesKey the series; not null, not empty
 * @param channels the window per channel, oldest first; shape (channels, n), rectangular, not
 *     changed by the call; not null
 * @param lastTimestamp the time of the newest point
 * @param step the spacing of the points, positive
 */
public record KeyedRequest(String seriesKey, double[][] channels, long lastTimestamp, long step) {

  /**
   * Checks the values.
   *
   * @throws IllegalArgumentException naming the bad value
   */
  public KeyedRequest {
    Objects.requireNonNull(seriesKey, "seriesKey");
    Objects.requireNonNull(channels, "channels");
    if (seriesKey.isEmpty()) {
      throw new IllegalArgumentException("seriesKey must not be empty");
    }
    if (step < 1) {
      throw new IllegalArgumentException("step must be >= 1, got " + step);
    }
    if (channels.length == 0 || channels[0].length == 0) {
      throw new IllegalArgumentException("a keyed request needs at least one channel and one point");
    }
    for (double[] c : channels) {
      if (c.length != channels[0].length) {
        throw new IllegalArgumentException(
            "every channel needs the same length: " + channels[0].length + " and " + c.length);
      }
    }
  }

  /** Points per channel. */
  public int length() {
    return channels[0].length;
  }

  /**
   * Channel {@code c} as a series window, with the timestamps this request implies.
   *
   * @param c the channel, in {@code [0, channels.length)}
   * @return the window (sharing this request's values)
   */
  public SeriesWindow window(int c) {
    return new SeriesWindow(timestamps(), channels[c], step);
  }

  /**
   * Every channel on the request's clock, as a keyed forecaster takes a series' channels.
   *
   * @return the request (sharing this request's values)
   */
  public KeyedForecaster.ChannelsRequest toChannels() {
    return new KeyedForecaster.ChannelsRequest(seriesKey, timestamps(), channels, step);
  }

  /** The times this request implies, oldest first: the newest at lastTimestamp, step apart. */
  private long[] timestamps() {
    int n = length();
    long[] t = new long[n];
    for (int i = 0; i < n; i++) {
      t[i] = lastTimestamp - (n - 1 - i) * step;
    }
    return t;
  }
}

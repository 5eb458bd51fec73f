package dev.sibyl.models.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sibyl.models.api.KeyedForecaster.ChannelsRequest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The default {@link KeyedForecaster#forecastChannels}: each channel answered as the one-channel
 * series {@code "<c>:<key>"}, the answers grouped back per request. The forecaster here is a
 * last-value model written in the test, standing in for a real family so that the keys it sees
 * can be recorded.
 */
class KeyedForecasterTest {

  /** Repeats each window's newest value plus the number of calls its key has had. */
  private static final class LastValue implements KeyedForecaster {
    final List<String> keys = new ArrayList<>();

    @Override
    public String family() {
      return "last-value";
    }

    @Override
    public String version() {
      return "1";
    }

    @Override
    public int minHistory() {
      return 1;
    }

    @Override
    public double[] forecast(String seriesKey, SeriesWindow window, int horizon) {
      keys.add(seriesKey);
      double[] f = new double[horizon];
      Arrays.fill(f, window.values()[window.size() - 1]);
      return f;
    }

    @Override
    public void forget(String seriesKey) {}

    @Override
    public int cachedSeries() {
      return 0;
    }

    @Override
    public int maxSeries() {
      return 1;
    }

    @Override
    public void close() {}
  }

  @Test
  void channelsAreAnsweredAsOneChannelSeriesAndGroupedBack() {
    LastValue f = new LastValue();
    long[] t = {1000, 2000, 3000};
    List<double[][]> out =
        f.forecastChannels(
            List.of(
                new ChannelsRequest("m1", t, new double[][] {{1, 2, 3}, {4, 5, 6}}, 1000),
                new ChannelsRequest("m2", t, new double[][] {{7, 8, 9}}, 1000)),
            2);
    assertEquals(List.of("0:m1", "1:m1", "0:m2"), f.keys);
    assertEquals(2, out.size());
    assertArrayEquals(new double[] {3, 3}, out.get(0)[0]);
    assertArrayEquals(new double[] {6, 6}, out.get(0)[1]);
    assertArrayEquals(new double[] {9, 9}, out.get(1)[0]);
  }

  @Test
  void aChannelsRequestChecksItsShape() {
    long[] t = {1000, 2000};
    assertThrows(IllegalArgumentException.class, () -> new ChannelsRequest("k", t, new double[0][], 1000));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new ChannelsRequest("k", t, new double[][] {{1, 2}, {3}}, 1000));
    assertEquals("every channel needs one value per timestamp: 2 timestamps, 1 values", e.getMessage());
  }
}

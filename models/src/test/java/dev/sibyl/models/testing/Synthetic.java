package dev.sibyl.models.testing;

import dev.sibyl.models.api.SeriesWindow;
import java.util.Arrays;
import java.util.Random;

/** Deterministic synthetic series for the model tests. */
public final class Synthetic {

  /** Spacing of the test series: one hour. */
  public static final long STEP_MILLIS = 3_600_000L;

  private Synthetic() {}

  /**
   * {@code level + slope * t + amplitude * sin(2 pi t / m) + sigma * N(0, 1)}.
   *
   * @return shape (n)
   */
  public static double[] trendSeason(
      int n, double level, double slope, double amplitude, int m, double sigma, long seed) {
    Random random = new Random(seed);
    double[] y = new double[n];
    for (int t = 0; t < n; t++) {
      y[t] =
          level
              + slope * t
              + amplitude * Math.sin(2 * Math.PI * t / m)
              + sigma * random.nextGaussian();
    }
    return y;
  }

  /** A Gaussian random walk from 0 with unit steps; shape (n). */
  public static double[] randomWalk(int n, long seed) {
    Random random = new Random(seed);
    double[] y = new double[n];
    for (int t = 1; t < n; t++) {
      y[t] = y[t - 1] + random.nextGaussian();
    }
    return y;
  }

  /** The window of {@code values[from .. from + length)}, timestamps an hour apart. */
  public static SeriesWindow window(double[] values, int from, int length) {
    long[] timestamps = new long[length];
    for (int i = 0; i < length; i++) {
      timestamps[i] = (from + i) * STEP_MILLIS;
    }
    return new SeriesWindow(
        timestamps, Arrays.copyOfRange(values, from, from + length), STEP_MILLIS);
  }

  /** The whole series as a window. */
  public static SeriesWindow window(double[] values) {
    return window(values, 0, values.length);
  }
}

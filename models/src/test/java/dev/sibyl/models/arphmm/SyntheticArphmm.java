package dev.sibyl.models.arphmm;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Synthetic left-to-right switching AR(2) series for the ARPHMM tests. */
final class SyntheticArphmm {

  /** AR coefficients per state, shape (2, 2). */
  static final double[][] AR = {{0.6, 0.2}, {-0.5, 0.3}};

  /** Intercepts per state, shape (2). */
  static final double[] BIAS = {1.0, 4.0};

  /** Noise standard deviations per state, shape (2). */
  static final double[] SD = {0.1, 0.2};

  private SyntheticArphmm() {}

  /** A switching series: state 0 until {@code switchAt}, state 1 after; shape (length). */
  static double[] series(int length, int switchAt, Random rng) {
    double[] y = new double[length];
    y[0] = 2.5;
    y[1] = 2.5;
    for (int t = 2; t < length; t++) {
      int k = t < switchAt ? 0 : 1;
      y[t] = AR[k][0] * y[t - 1] + AR[k][1] * y[t - 2] + BIAS[k] + SD[k] * rng.nextGaussian();
    }
    return y;
  }

  /** {@code count} series of the given length with random switch points in the middle half. */
  static List<double[]> dataset(int count, int length, long seed) {
    Random rng = new Random(seed);
    List<double[]> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(series(length, length / 4 + rng.nextInt(length / 2), rng));
    }
    return out;
  }
}

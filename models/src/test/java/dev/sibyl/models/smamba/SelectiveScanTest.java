package dev.sibyl.models.smamba;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SelectiveScanTest {

  private static final int B = 2;
  private static final int L = 5;
  private static final int E = 3;
  private static final int N = 4;

  @Test
  void scanEqualsADirectLoopOverBatchChannelStateAndTime() {
    Random random = new Random(17);
    float[] u = gaussian(random, B * L * E); // (B, L, E)
    float[] delta = new float[B * L * E]; // (B, L, E), positive as after softplus
    for (int i = 0; i < delta.length; i++) {
      delta[i] = (float) Math.log1p(Math.exp(random.nextGaussian()));
    }
    float[] a = new float[E * N]; // (E, N), negative
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) -Math.exp(random.nextGaussian() * 0.5);
    }
    float[] b = gaussian(random, B * L * N);
    float[] c = gaussian(random, B * L * N);
    float[] d = gaussian(random, E);

    float[] y;
    try (NDManager m = NDManager.newBaseManager()) {
      y = SelectiveScan.scan(
              m.create(u, new Shape(B, L, E)),
              m.create(delta, new Shape(B, L, E)),
              m.create(a, new Shape(E, N)),
              m.create(b, new Shape(B, L, N)),
              m.create(c, new Shape(B, L, N)),
              m.create(d, new Shape(E)))
          .toFloatArray();
    }

    // the recurrence written out: h = exp(delta a) h + delta b u; y = c . h + d u
    for (int bi = 0; bi < B; bi++) {
      for (int e = 0; e < E; e++) {
        double[] h = new double[N];
        for (int t = 0; t < L; t++) {
          int x = (bi * L + t) * E + e;
          double expected = d[e] * u[x];
          for (int n = 0; n < N; n++) {
            int bn = (bi * L + t) * N + n;
            h[n] = Math.exp(delta[x] * a[e * N + n]) * h[n] + delta[x] * b[bn] * u[x];
            expected += c[bn] * h[n];
          }
          assertThat((double) y[x]).as("y[%d][%d][%d]", bi, t, e).isCloseTo(expected, within(1e-5));
        }
      }
    }
  }

  @Test
  void refusesMismatchedShapes() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray u = m.zeros(new Shape(B, L, E));
      NDArray bc = m.zeros(new Shape(B, L, N));
      assertThatThrownBy(
              () -> SelectiveScan.scan(u, u, m.zeros(new Shape(E, N)), bc, m.zeros(new Shape(B, L + 1, N)), m.zeros(new Shape(E))))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("c must have shape [2, 5, 4], got (2, 6, 4)");
    }
  }

  private static float[] gaussian(Random random, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) random.nextGaussian();
    }
    return a;
  }
}

package dev.sibyl.models.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The written-out softmax gives the kernel's values and gradients at every row length (including
 * those that {@link Softmax#lastAxis} leaves to the kernel), and {@code lastAxis} agrees with the
 * kernel on both sides of the threshold.
 */
class SoftmaxTest {

  /** Scores of shape (3, 2, n), large enough to overflow exp unshifted, one masked key per row. */
  private static float[] scores(int n, long seed) {
    Random random = new Random(seed);
    float[] x = new float[6 * n];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (random.nextGaussian() * 40 + 60);
    }
    if (n > 1) {
      for (int row = 0; row < 6; row++) {
        x[row * n + (row % n)] = Float.NEGATIVE_INFINITY; // a masked key, as the decoders' masks
      }
    }
    return x;
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 8, 15, 16, 40})
  void valuesAndGradientsAreTheKernels(int n) {
    try (NDManager m = NDManager.newBaseManager()) {
      float[] data = scores(n, n);
      float[] weights = scores(n, 100 + n); // a loss that weights every probability differently
      for (int i = 0; i < weights.length; i++) {
        weights[i] = Float.isInfinite(weights[i]) ? 1 : weights[i] / 50;
      }
      NDArray w = m.create(weights, new Shape(3, 2, n));
      float[][] kernel = probabilitiesAndGradient(m, data, n, w, x -> x.softmax(2));
      float[][] ours = probabilitiesAndGradient(m, data, n, w, x -> Softmax.writtenOut(x, 2));
      float[][] chosen = probabilitiesAndGradient(m, data, n, w, Softmax::lastAxis);
      assertArrayEquals(kernel[0], ours[0], 1e-6f);
      assertArrayEquals(kernel[1], ours[1], 1e-5f);
      assertArrayEquals(kernel[0], chosen[0], 1e-6f);
      assertArrayEquals(kernel[1], chosen[1], 1e-5f);
      for (int row = 0; row < 6; row++) {
        double sum = 0;
        for (int k = 0; k < n; k++) {
          sum += ours[0][row * n + k];
        }
        assertEquals(1.0, sum, 1e-5);
        if (n > 1) {
          assertEquals(0f, ours[0][row * n + (row % n)]); // the masked key
        }
      }
    }
  }

  private static float[][] probabilitiesAndGradient(
      NDManager m, float[] data, int n, NDArray weights, UnaryOperator<NDArray> softmax) {
    NDArray x = m.create(data, new Shape(3, 2, n));
    x.setRequiresGradient(true);
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      NDArray p = softmax.apply(x);
      collector.backward(p.mul(weights).sum());
      return new float[][] {p.toFloatArray(), x.getGradient().toFloatArray()};
    }
  }
}

package dev.sibyl.models.testing;

import dev.sibyl.models.api.TrainingData;
import dev.sibyl.models.api.TrainingOptions;
import java.util.Map;

/** Tiny synthetic training sets for the trainable families. */
public final class Tiny {

  private Tiny() {}

  /**
   * Two channels of a noisy daily cycle (period 24), rows split 3:1 into train and validation.
   *
   * @return data with the given L and H
   */
  public static TrainingData seasonal(int rows, int lookback, int horizon, long seed) {
    double[] a = Synthetic.trendSeason(rows, 0, 0, 1, 24, 0.1, seed);
    double[] b = Synthetic.trendSeason(rows, 0, 0, 0.5, 24, 0.1, seed + 1);
    double[][] all = new double[rows][];
    for (int i = 0; i < rows; i++) {
      all[i] = new double[] {a[i], b[i]};
    }
    int split = rows * 3 / 4;
    return new TrainingData(
        "tiny.csv",
        java.util.Arrays.copyOfRange(all, 0, split),
        java.util.Arrays.copyOfRange(all, split - lookback, rows),
        lookback,
        horizon);
  }

  /** Quick training options: the given epochs, batch 16, lr 0.01, patience 3, seed 7. */
  public static TrainingOptions options(int epochs) {
    return new TrainingOptions(epochs, 16, 0.01, 3, 7, null, Map.of());
  }
}

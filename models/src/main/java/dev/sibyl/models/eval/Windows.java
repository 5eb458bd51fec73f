package dev.sibyl.models.eval;

/** Cuts stride-1 windows out of a block of rows, channel-major for the models. */
public final class Windows {

  private Windows() {}

  /**
   * The lookback windows starting at rows {@code first .. first + count - 1} of a block.
   *
   * @param rows shape (rows, channels)
   * @param first index of the first window's first row
   * @param count number of windows
   * @param lookback L
   * @return shape (count, channels, lookback)
   */
  public static double[][][] inputs(double[][] rows, int first, int count, int lookback) {
    int c = rows[0].length;
    double[][][] x = new double[count][c][lookback];
    for (int w = 0; w < count; w++) {
      for (int t = 0; t < lookback; t++) {
        double[] row = rows[first + w + t];
        for (int j = 0; j < c; j++) {
          x[w][j][t] = row[j];
        }
      }
    }
    return x;
  }

  /**
   * The targets of those windows: rows {@code [s + L, s + L + H)} for each start s.
   *
   * @return shape (count, channels, horizon)
   */
  public static double[][][] targets(double[][] rows, int first, int count, int lookback, int horizon) {
    return inputs(rows, first + lookback, count, horizon);
  }
}

package dev.sibyl.models.eval;

/**
 * Per-column standardisation with the mean and the population standard deviation (scikit-learn's
 * {@code StandardScaler}, as the reference data loaders use) of a range of rows.
 *
 * @param mean per column; shape (channels)
 * @param std per column, 1 where a column is constant; shape (channels)
 */
public record StandardScaler(double[] mean, double[] std) {

  /**
   * Fits on rows {@code [start, end)} only.
   *
   * @param rows shape (rows, channels); not null
   * @return the scaler
   * @throws IllegalArgumentException when the range is empty
   */
  public static StandardScaler fit(double[][] rows, int start, int end) {
    if (end <= start) {
      throw new IllegalArgumentException("need at least one row, got [" + start + ", " + end + ")");
    }
    int c = rows[start].length;
    double[] mean = new double[c];
    double[] std = new double[c];
    int n = end - start;
    for (int i = start; i < end; i++) {
      for (int j = 0; j < c; j++) {
        mean[j] += rows[i][j];
      }
    }
    for (int j = 0; j < c; j++) {
      mean[j] /= n;
    }
    for (int i = start; i < end; i++) {
      for (int j = 0; j < c; j++) {
        double d = rows[i][j] - mean[j];
        std[j] += d * d;
      }
    }
    for (int j = 0; j < c; j++) {
      std[j] = Math.sqrt(std[j] / n);
      if (std[j] == 0) {
        std[j] = 1; // a constant column: leave it centred rather than divide by zero
      }
    }
    return new StandardScaler(mean, std);
  }

  /**
   * Scales every row.
   *
   * @param rows shape (rows, channels); not null, not modified
   * @return a new array; shape (rows, channels)
   */
  public double[][] transform(double[][] rows) {
    double[][] out = new double[rows.length][];
    for (int i = 0; i < rows.length; i++) {
      out[i] = new double[rows[i].length];
      for (int j = 0; j < rows[i].length; j++) {
        out[i][j] = (rows[i][j] - mean[j]) / std[j];
      }
    }
    return out;
  }
}

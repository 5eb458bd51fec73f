package dev.sibyl.models.arphmm;

/** Small dense linear algebra for the normal equations (package-private helper). */
final class LinearAlgebra {

  private LinearAlgebra() {}

  /**
   * Solves {@code a x = b} by Gaussian elimination with partial pivoting; inputs are not modified.
   *
   * @param a shape (n, n)
   * @param b shape (n)
   * @return x, shape (n)
   * @throws ArithmeticException when a pivot is below 1e-12 times the largest diagonal entry
   */
  static double[] solve(double[][] a, double[] b) {
    int n = b.length;
    double[][] m = new double[n][n + 1]; // (n, n + 1) augmented
    double scale = 0;
    for (int i = 0; i < n; i++) {
      if (a[i].length != n) {
        throw new IllegalArgumentException("matrix row " + i + " must have " + n + " columns, got "
            + a[i].length);
      }
      System.arraycopy(a[i], 0, m[i], 0, n);
      m[i][n] = b[i];
      scale = Math.max(scale, Math.abs(a[i][i]));
    }
    double tiny = 1e-12 * Math.max(scale, Double.MIN_NORMAL);
    for (int c = 0; c < n; c++) {
      int piv = c;
      for (int r = c + 1; r < n; r++) {
        if (Math.abs(m[r][c]) > Math.abs(m[piv][c])) {
          piv = r;
        }
      }
      if (!(Math.abs(m[piv][c]) > tiny)) {
        throw new ArithmeticException("singular system: pivot " + m[piv][c] + " in column " + c);
      }
      double[] tmp = m[c];
      m[c] = m[piv];
      m[piv] = tmp;
      for (int r = c + 1; r < n; r++) {
        double f = m[r][c] / m[c][c];
        if (f != 0) {
          for (int k = c; k <= n; k++) {
            m[r][k] -= f * m[c][k];
          }
        }
      }
    }
    double[] x = new double[n]; // (n)
    for (int i = n - 1; i >= 0; i--) {
      double s = m[i][n];
      for (int k = i + 1; k < n; k++) {
        s -= m[i][k] * x[k];
      }
      x[i] = s / m[i][i];
    }
    return x;
  }
}

package dev.sibyl.models.eval;

/** Error metrics: streaming MSE / MAE sums, RMSE, and the PHM08 score. */
public final class Metrics {

  private double squared;
  private double absolute;
  private long count;

  /** An empty accumulator. */
  public Metrics() {}

  /**
   * Adds every value of a batch of forecasts.
   *
   * @param predicted shape (batch, channels, horizon)
   * @param actual the same shape
   */
  public void add(double[][][] predicted, double[][][] actual) {
    for (int b = 0; b < predicted.length; b++) {
      for (int c = 0; c < predicted[b].length; c++) {
        double[] p = predicted[b][c];
        double[] a = actual[b][c];
        if (p.length != a.length) {
          throw new IllegalArgumentException(
              "forecast has " + p.length + " steps, target " + a.length);
        }
        for (int k = 0; k < p.length; k++) {
          double d = p[k] - a[k];
          squared += d * d;
          absolute += Math.abs(d);
        }
        count += p.length;
      }
    }
  }

  /** Mean squared error over everything added (windows, channels and steps alike). */
  public double mse() {
    return squared / count;
  }

  /** Mean absolute error over everything added. */
  public double mae() {
    return absolute / count;
  }

  /** Number of values added. */
  public long count() {
    return count;
  }

  /**
   * Root mean squared error.
   *
   * @param predicted shape (n)
   * @param actual shape (n)
   * @return the RMSE
   */
  public static double rmse(double[] predicted, double[] actual) {
    double s = 0;
    for (int i = 0; i < predicted.length; i++) {
      s += (predicted[i] - actual[i]) * (predicted[i] - actual[i]);
    }
    return Math.sqrt(s / predicted.length);
  }

  /**
   * The PHM08 challenge score: {@code sum(exp(-d/13) - 1 if d < 0 else exp(d/10) - 1)} with {@code
   * d = predicted - true}; late predictions cost more than early ones. Lower is better.
   *
   * @param predicted predicted RUL; shape (n)
   * @param actual true RUL; shape (n)
   * @return the score
   */
  public static double phm08Score(double[] predicted, double[] actual) {
    double s = 0;
    for (int i = 0; i < predicted.length; i++) {
      double d = predicted[i] - actual[i];
      s += d < 0 ? Math.exp(-d / 13) - 1 : Math.exp(d / 10) - 1;
    }
    return s;
  }
}

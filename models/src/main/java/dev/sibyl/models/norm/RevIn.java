package dev.sibyl.models.norm;

/**
 * Reversible instance normalisation without the affine part (Kim et al., ICLR 2022, as Time-LLM's
 * {@code Normalize(affine=False)}): each series is standardised by the mean and standard deviation
 * of its own lookback, and the forecast is scaled back with the same two numbers.
 *
 * <p>Departure: the reference adds 1e-5 to the variance inside the square root; MODELS.md adds it to
 * the standard deviation, which is what this does (the same to four digits for standardised data).
 */
public final class RevIn {

  /** Added to the standard deviation so that a constant window does not divide by zero. */
  public static final double EPS = 1e-5;

  private final double[] mean;
  private final double[] std;

  private RevIn(double[] mean, double[] std) {
    this.mean = mean;
    this.std = std;
  }

  /**
   * Normalises rows in place and remembers their statistics.
   *
   * @param rows series; shape (N, L), overwritten with the normalised values
   * @return the statistics, for {@link #denormalise}
   */
  public static RevIn normalise(double[][] rows) {
    double[] mean = new double[rows.length];
    double[] std = new double[rows.length];
    for (int r = 0; r < rows.length; r++) {
      double[] x = rows[r];
      double m = 0;
      for (double v : x) {
        m += v;
      }
      m /= x.length;
      double var = 0;
      for (double v : x) {
        var += (v - m) * (v - m);
      }
      double s = Math.sqrt(var / x.length) + EPS;
      for (int t = 0; t < x.length; t++) {
        x[t] = (x[t] - m) / s;
      }
      mean[r] = m;
      std[r] = s;
    }
    return new RevIn(mean, std);
  }

  /**
   * Undoes the normalisation of row {@code r} on its forecast.
   *
   * @param r the row index given to {@link #normalise}
   * @param y the normalised forecast; shape (H), overwritten
   */
  public void denormalise(int r, double[] y) {
    for (int t = 0; t < y.length; t++) {
      y[t] = y[t] * std[r] + mean[r];
    }
  }

  /** The mean of row {@code r}. */
  public double mean(int r) {
    return mean[r];
  }

  /** The standard deviation (+{@link #EPS}) of row {@code r}. */
  public double std(int r) {
    return std[r];
  }
}

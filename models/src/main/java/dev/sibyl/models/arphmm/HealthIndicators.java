package dev.sibyl.models.arphmm;

import java.util.Arrays;
import java.util.List;

/**
 * One health indicator (HI) per cycle from the 21 C-MAPSS sensors, fitted on run-to-failure
 * training units.
 *
 * <p>How, step by step (all deterministic, train statistics only):
 *
 * <ol>
 *   <li>Drop constant sensors: train standard deviation below {@value #MIN_STD} (FD001: sensors 1, 5,
 *       10, 16, 18, 19).
 *   <li>Drop uninformative sensors: absolute Pearson correlation with the degradation target below
 *       {@value #MIN_ABS_CORRELATION} (FD001: sensor 6, a quantised near-constant pressure). FD001
 *       keeps the usual 14 sensors 2, 3, 4, 7, 8, 9, 11, 12, 13, 14, 15, 17, 20, 21.
 *   <li>Standardise the kept sensors with the train mean and standard deviation.
 *   <li>Degradation target per training cycle: {@code h = 1 - min(RUL, cap) / cap} with cap = 125
 *       cycles, the protocol's piecewise-linear target turned upside down: 0 while healthy, rising
 *       linearly to 1 at failure.
 *   <li>Fit {@code h ~ w . z + c} by ordinary least squares (tiny ridge 1e-8 for conditioning) over
 *       all training cycles; the raw HI is {@code w . z + c}.
 *   <li>Smooth causally with an exponential moving average {@code s_t = s_(t-1) + alpha (x_t -
 *       s_(t-1))}, {@code s_0 = x_0}, default alpha 0.1.
 * </ol>
 *
 * <p>Why: a supervised linear fusion puts the 14 correlated, noisy sensors on one scale whose value
 * means "fraction of the final 125 cycles used up", which gives the ARPHMM a monotone signal and a
 * failure threshold comparable across units. A linear map is the simplest choice that keeps the HI
 * interpretable; the smoothing is causal (one cycle at a time, no look-ahead) so that the same HI can
 * be computed on a stream, and it removes most of the sensor noise that the AR emission would
 * otherwise have to model. Not done: operating-condition normalisation (FD001 has one condition).
 */
public final class HealthIndicators {

  /** Sensors with a train standard deviation below this are constant. */
  public static final double MIN_STD = 1e-6;

  /** Sensors whose |correlation| with the degradation target is below this are dropped. */
  public static final double MIN_ABS_CORRELATION = 0.2;

  /** Default RUL cap (cycles) of the degradation target, as in the C-MAPSS protocol. */
  public static final double DEFAULT_RUL_CAP = 125.0;

  /** Default smoothing factor of the exponential moving average. */
  public static final double DEFAULT_ALPHA = 0.1;

  private static final double RIDGE = 1e-8;

  private HealthIndicators() {}

  /**
   * A fitted health-indicator map.
   *
   * @param sensors kept sensor indices (0-based columns of the 21 sensors), shape (m)
   * @param mean train mean of each kept sensor, shape (m)
   * @param std train standard deviation of each kept sensor, shape (m)
   * @param weights least-squares weights on the standardised sensors, shape (m)
   * @param intercept least-squares intercept
   * @param alpha smoothing factor in (0, 1]
   * @param rulCap RUL cap of the degradation target, cycles
   */
  public record Fitted(
      int[] sensors, double[] mean, double[] std, double[] weights, double intercept, double alpha,
      double rulCap) {

    /**
     * Validates shapes and ranges.
     *
     * @throws IllegalArgumentException when array lengths differ or alpha is outside (0, 1]
     */
    public Fitted {
      int m = sensors.length;
      if (mean.length != m || std.length != m || weights.length != m) {
        throw new IllegalArgumentException(
            "sensors, mean, std, weights must all have length " + m + ", got " + mean.length + ", "
                + std.length + ", " + weights.length);
      }
      if (!(alpha > 0 && alpha <= 1)) {
        throw new IllegalArgumentException("alpha must be in (0, 1], got " + alpha);
      }
      if (!(rulCap > 0)) {
        throw new IllegalArgumentException("rulCap must be > 0, got " + rulCap);
      }
    }

    /**
     * Raw (unsmoothed) HI of one cycle.
     *
     * @param row the 21 sensor readings of one cycle, shape (21)
     * @return the raw HI
     * @throws IllegalArgumentException when the row is not 21 wide
     */
    public double raw(double[] row) {
      if (row.length != Cmapss.SENSORS) {
        throw new IllegalArgumentException(
            "row must have " + Cmapss.SENSORS + " sensors, got " + row.length);
      }
      double hi = intercept;
      for (int j = 0; j < sensors.length; j++) {
        hi += weights[j] * (row[sensors[j]] - mean[j]) / std[j];
      }
      return hi;
    }

    /**
     * One streaming smoothing step.
     *
     * @param previous the previous smoothed HI, or NaN before the first cycle
     * @param raw the raw HI of the new cycle
     * @return the new smoothed HI
     */
    public double smooth(double previous, double raw) {
      return Double.isNaN(previous) ? raw : previous + alpha * (raw - previous);
    }

    /**
     * Smoothed HI of a whole history.
     *
     * @param sensorsByCycle shape (cycles, 21)
     * @return the smoothed HI, shape (cycles)
     */
    public double[] indicator(double[][] sensorsByCycle) {
      double[] hi = new double[sensorsByCycle.length]; // (cycles)
      double s = Double.NaN;
      for (int t = 0; t < hi.length; t++) {
        s = smooth(s, raw(sensorsByCycle[t]));
        hi[t] = s;
      }
      return hi;
    }
  }

  /**
   * Degradation target of a run-to-failure history: {@code 1 - min(RUL, cap) / cap}.
   *
   * @param cycles history length; the last cycle is the failure (RUL 0)
   * @param rulCap the cap, cycles, positive
   * @return the target, shape (cycles)
   */
  public static double[] degradationTarget(int cycles, double rulCap) {
    double[] h = new double[cycles]; // (cycles)
    for (int t = 0; t < cycles; t++) {
      double rul = cycles - 1 - t;
      h[t] = 1.0 - Math.min(rul, rulCap) / rulCap;
    }
    return h;
  }

  /**
   * Fits the map with the default cap and smoothing.
   *
   * @param train run-to-failure units, never empty
   * @return the fitted map
   */
  public static Fitted fit(List<Cmapss.Unit> train) {
    return fit(train, DEFAULT_RUL_CAP, DEFAULT_ALPHA);
  }

  /**
   * Fits the map.
   *
   * @param train run-to-failure units (each ends at failure), never empty
   * @param rulCap the RUL cap of the target, cycles, positive
   * @param alpha the smoothing factor in (0, 1]
   * @return the fitted map
   * @throws IllegalArgumentException when {@code train} is empty or no sensor is informative
   */
  public static Fitted fit(List<Cmapss.Unit> train, double rulCap, double alpha) {
    if (train.isEmpty()) {
      throw new IllegalArgumentException("train must hold at least one unit, got 0");
    }
    int d = Cmapss.SENSORS;
    int n = 0;
    double[] sum = new double[d]; // (21)
    double hSum = 0;
    for (Cmapss.Unit u : train) {
      double[] h = degradationTarget(u.cycles(), rulCap); // (cycles)
      for (int t = 0; t < u.cycles(); t++) {
        for (int j = 0; j < d; j++) {
          sum[j] += u.sensors()[t][j];
        }
        hSum += h[t];
        n++;
      }
    }
    // Step 1-2: train moments, correlation with the target.
    double[] mean = new double[d]; // (21)
    for (int j = 0; j < d; j++) {
      mean[j] = sum[j] / n;
    }
    double hMean = hSum / n;
    double[] var = new double[d]; // (21)
    double[] cov = new double[d]; // (21)
    double hVar = 0;
    for (Cmapss.Unit u : train) {
      double[] h = degradationTarget(u.cycles(), rulCap);
      for (int t = 0; t < u.cycles(); t++) {
        double dh = h[t] - hMean;
        hVar += dh * dh;
        for (int j = 0; j < d; j++) {
          double dx = u.sensors()[t][j] - mean[j];
          var[j] += dx * dx;
          cov[j] += dx * dh;
        }
      }
    }
    int[] keep = new int[d];
    int m = 0;
    for (int j = 0; j < d; j++) {
      double std = Math.sqrt(var[j] / n);
      if (std < MIN_STD) {
        continue;
      }
      double corr = cov[j] / Math.sqrt(var[j] * hVar);
      if (Math.abs(corr) >= MIN_ABS_CORRELATION) {
        keep[m++] = j;
      }
    }
    if (m == 0) {
      throw new IllegalArgumentException(
          "no sensor has std >= " + MIN_STD + " and |corr| >= " + MIN_ABS_CORRELATION);
    }
    int[] sensors = Arrays.copyOf(keep, m); // (m)
    double[] mu = new double[m]; // (m)
    double[] sd = new double[m]; // (m)
    for (int i = 0; i < m; i++) {
      mu[i] = mean[sensors[i]];
      sd[i] = Math.sqrt(var[sensors[i]] / n);
    }
    // Step 3-5: least squares of the target on [z, 1] via the normal equations.
    int q = m + 1;
    double[][] gram = new double[q][q]; // (m + 1, m + 1)
    double[] rhs = new double[q]; // (m + 1)
    double[] x = new double[q]; // (m + 1)
    for (Cmapss.Unit u : train) {
      double[] h = degradationTarget(u.cycles(), rulCap);
      for (int t = 0; t < u.cycles(); t++) {
        for (int i = 0; i < m; i++) {
          x[i] = (u.sensors()[t][sensors[i]] - mu[i]) / sd[i];
        }
        x[m] = 1;
        for (int a = 0; a < q; a++) {
          rhs[a] += x[a] * h[t];
          for (int b = 0; b < q; b++) {
            gram[a][b] += x[a] * x[b];
          }
        }
      }
    }
    for (int a = 0; a < m; a++) {
      gram[a][a] += RIDGE * n;
    }
    double[] beta = LinearAlgebra.solve(gram, rhs); // (m + 1)
    return new Fitted(sensors, mu, sd, Arrays.copyOf(beta, m), beta[m], alpha, rulCap);
  }
}

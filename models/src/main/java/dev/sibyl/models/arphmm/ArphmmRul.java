package dev.sibyl.models.arphmm;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Remaining useful life (RUL) from a fitted {@link Arphmm} and a unit's streaming {@link
 * Arphmm.State}, two ways.
 *
 * <ul>
 *   <li>{@link Method#CHAIN}: the time to failure of the absorbing chain started from the filtered
 *       state law f. Transient states are the K degradation states with the transition matrix Q
 *       ({@code Q = A} except {@code Q_(K-1,K-1) = 1 - exitRate}); failure is the absorbing state
 *       reached when the last state is left. The number of steps to absorption T has mean {@code f
 *       N 1} with the fundamental matrix {@code N = (I - Q)^-1}, and survival {@code P(T > n) = f
 *       Q^n 1} (a discrete phase-type law); RUL = T - 1 cycles after the current one, so the mean
 *       is {@code f N 1 - 1} and the quantiles are read exactly from the survival function.
 *   <li>{@link Method#ROLLOUT}: Monte Carlo rolling of the state-switching AR: each path draws a
 *       state from f, then per cycle a next state from A and a value from that state's AR(p), until
 *       the value reaches the failure threshold (RUL = cycles ahead; 0 when the current value is
 *       already there) or the horizon (RUL = horizon, censored). Mean and quantiles over paths.
 * </ul>
 *
 * <p>The threshold is learned by {@link #learnThreshold}: the mean of the training units'
 * end-of-life indicator values. Immutable; draws use a fresh {@code Random(config.seed())} per call,
 * so estimates are deterministic.
 */
public final class ArphmmRul {

  /** The RUL estimator. */
  public enum Method {
    /** Expected time to absorption of the chain (fundamental matrix). */
    CHAIN,
    /** Monte Carlo rolling of the AR until the failure threshold. */
    ROLLOUT
  }

  /**
   * A RUL estimate in cycles after the current one.
   *
   * @param mean the mean RUL, at least 0
   * @param lower the lower quantile (default 10th percentile)
   * @param upper the upper quantile (default 90th percentile)
   */
  public record Estimate(double mean, double lower, double upper) {}

  /**
   * Estimation settings.
   *
   * @param lowerQuantile lower interval quantile, in (0, upperQuantile)
   * @param upperQuantile upper interval quantile, in (lowerQuantile, 1)
   * @param paths Monte Carlo paths, at least 1
   * @param horizon longest rollout, cycles, at least 1; also caps the chain survival scan x 100
   */
  public record Options(double lowerQuantile, double upperQuantile, int paths, int horizon) {

    /**
     * Validates the settings.
     *
     * @throws IllegalArgumentException naming the first bad value
     */
    public Options {
      if (!(lowerQuantile > 0 && lowerQuantile < upperQuantile && upperQuantile < 1)) {
        throw new IllegalArgumentException("quantiles must satisfy 0 < lower < upper < 1, got "
            + lowerQuantile + ", " + upperQuantile);
      }
      if (paths < 1) {
        throw new IllegalArgumentException("paths must be >= 1, got " + paths);
      }
      if (horizon < 1) {
        throw new IllegalArgumentException("horizon must be >= 1, got " + horizon);
      }
    }

    /**
     * 10th-90th percentile, 1000 paths, horizon 500 cycles.
     *
     * @return the default options
     */
    public static Options defaults() {
      return new Options(0.1, 0.9, 1000, 500);
    }
  }

  private final Arphmm model;
  private final double threshold;
  private final Options options;

  /**
   * Creates the estimator.
   *
   * @param model the fitted model, never null
   * @param threshold failure threshold on the indicator (the indicator rises towards it), finite
   * @param options settings, never null
   * @throws IllegalArgumentException when the threshold is not finite
   */
  public ArphmmRul(Arphmm model, double threshold, Options options) {
    if (!Double.isFinite(threshold)) {
      throw new IllegalArgumentException("threshold must be finite, got " + threshold);
    }
    this.model = model;
    this.threshold = threshold;
    this.options = options;
  }

  /**
   * The failure threshold: the mean of the last value of each run-to-failure history.
   *
   * @param trainIndicators indicator histories that end at failure, each shape (T_n); not empty
   * @return the threshold
   * @throws IllegalArgumentException when the list is empty or a history is empty
   */
  public static double learnThreshold(List<double[]> trainIndicators) {
    if (trainIndicators.isEmpty()) {
      throw new IllegalArgumentException("trainIndicators must not be empty");
    }
    double sum = 0;
    for (double[] hi : trainIndicators) {
      if (hi.length == 0) {
        throw new IllegalArgumentException("every indicator history must be non-empty, got 0");
      }
      sum += hi[hi.length - 1];
    }
    return sum / trainIndicators.size();
  }

  /**
   * The failure threshold in use.
   *
   * @return the threshold
   */
  public double threshold() {
    return threshold;
  }

  /**
   * The estimation settings.
   *
   * @return the options
   */
  public Options options() {
    return options;
  }

  /**
   * The fitted model the estimates come from.
   *
   * @return the model
   */
  public Arphmm model() {
    return model;
  }

  /**
   * RUL by the chosen method.
   *
   * @param method the estimator, never null
   * @param state the unit's state after its last cycle, never null
   * @return the estimate
   */
  public Estimate estimate(Method method, Arphmm.State state) {
    switch (method) {
      case CHAIN:
        return chain(state.filtered());
      case ROLLOUT:
        return rollout(state);
      default:
        throw new IllegalArgumentException("unsupported RUL method " + method);
    }
  }

  /**
   * RUL from the absorbing chain (see the class comment).
   *
   * @param filtered the filtered state law, shape (K)
   * @return mean and quantiles, cycles
   * @throws IllegalArgumentException when the law has the wrong length
   */
  public Estimate chain(double[] filtered) {
    Arphmm.Weights w = model.weights();
    int kk = w.states();
    if (filtered.length != kk) {
      throw new IllegalArgumentException("filtered must have " + kk + " states, got "
          + filtered.length);
    }
    // Q: transient part of the absorbing chain, shape (K, K).
    double[][] q = new double[kk][];
    for (int j = 0; j < kk; j++) {
      q[j] = w.transition()[j].clone();
    }
    q[kk - 1][kk - 1] = 1 - w.exitRate();
    // Mean steps to absorption t = N 1, i.e. solve (I - Q) t = 1.
    double[][] iq = new double[kk][kk]; // (K, K)
    double[] ones = new double[kk]; // (K)
    for (int j = 0; j < kk; j++) {
      for (int k = 0; k < kk; k++) {
        iq[j][k] = (j == k ? 1 : 0) - q[j][k];
      }
      ones[j] = 1;
    }
    double[] steps = LinearAlgebra.solve(iq, ones); // (K)
    double mean = -1;
    for (int k = 0; k < kk; k++) {
      mean += filtered[k] * steps[k];
    }
    // Quantiles from the survival function S(n) = f Q^n 1, with RUL <= r iff T <= r + 1.
    double lower = Double.NaN;
    double upper = Double.NaN;
    double[] v = filtered.clone(); // (K)
    int maxSteps = 100 * options.horizon();
    for (int n = 1; n <= maxSteps && Double.isNaN(upper); n++) {
      double[] next = new double[kk]; // (K)
      for (int j = 0; j < kk; j++) {
        if (v[j] == 0) {
          continue;
        }
        for (int k = j; k < kk; k++) {
          next[k] += v[j] * q[j][k];
        }
      }
      v = next;
      double survival = 0;
      for (double x : v) {
        survival += x;
      }
      double cdf = 1 - survival; // P(RUL <= n - 1)
      if (Double.isNaN(lower) && cdf >= options.lowerQuantile()) {
        lower = n - 1;
      }
      if (cdf >= options.upperQuantile()) {
        upper = n - 1;
      }
    }
    if (Double.isNaN(lower)) {
      lower = maxSteps;
    }
    if (Double.isNaN(upper)) {
      upper = maxSteps;
    }
    return new Estimate(Math.max(0, mean), lower, upper);
  }

  /**
   * RUL by Monte Carlo rolling of the AR (see the class comment).
   *
   * @param state the unit's state after its last cycle; at least p values seen
   * @return mean and quantiles over paths, cycles
   * @throws IllegalArgumentException when fewer than p values were seen
   */
  public Estimate rollout(Arphmm.State state) {
    Arphmm.Weights w = model.weights();
    int kk = w.states();
    int p = w.order();
    if (state.seen() < Math.max(p, 1)) {
      throw new IllegalArgumentException("rollout needs at least max(p, 1)=" + Math.max(p, 1)
          + " values seen, got " + state.seen());
    }
    double[] sd = new double[kk]; // (K)
    for (int k = 0; k < kk; k++) {
      sd[k] = Math.sqrt(w.variance()[k]);
    }
    Random rng = new Random(model.config().seed());
    double[] rul = new double[options.paths()]; // (paths)
    double current = state.lags().length > 0 ? state.lags()[0] : Double.NEGATIVE_INFINITY;
    double[] lags = new double[p]; // (p) most recent first
    for (int path = 0; path < rul.length; path++) {
      if (current >= threshold) {
        rul[path] = 0;
        continue;
      }
      System.arraycopy(state.lags(), 0, lags, 0, p);
      int s = draw(state.filtered(), rng);
      int h = 1;
      for (; h <= options.horizon(); h++) {
        // Next state from A, then the next value from that state's AR(p).
        s = draw(w.transition()[s], rng);
        double y = model.arMean(s, lags) + sd[s] * rng.nextGaussian();
        if (p > 0) {
          System.arraycopy(lags, 0, lags, 1, p - 1);
          lags[0] = y;
        }
        if (y >= threshold) {
          break;
        }
      }
      rul[path] = Math.min(h, options.horizon());
    }
    double mean = Arrays.stream(rul).average().orElseThrow();
    Arrays.sort(rul);
    return new Estimate(mean, quantile(rul, options.lowerQuantile()),
        quantile(rul, options.upperQuantile()));
  }

  /** Inverse-CDF draw from a probability vector, shape (K). */
  private static int draw(double[] law, Random rng) {
    double u = rng.nextDouble();
    double acc = 0;
    for (int k = 0; k < law.length; k++) {
      acc += law[k];
      if (u < acc) {
        return k;
      }
    }
    for (int k = law.length - 1; k >= 0; k--) {
      if (law[k] > 0) {
        return k;
      }
    }
    return law.length - 1;
  }

  /** Linear-interpolated quantile of a sorted sample, shape (n). */
  private static double quantile(double[] sorted, double q) {
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
  }
}

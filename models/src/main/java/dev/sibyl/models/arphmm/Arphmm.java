package dev.sibyl.models.arphmm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Autoregressive partially-hidden Markov model (ARPHMM) of a degradation indicator.
 *
 * <p>Paper: P. Juesas, E. Ramasso, S. Drujont, V. Placet, "Autoregressive Hidden Markov Models with
 * partial knowledge on latent space applied to aero-engines prognostics", European Conference of the
 * PHM Society (PHME) 2016. A hidden Markov chain over K degradation states; state k emits with its
 * own AR model {@code y_t = sum_(i=1..p) a_(k,i) y_(t-i) + b_k + e, e ~ N(0, sigma_k^2)}; a prior
 * plausibility over states at each time step (soft labels) multiplies the forward-backward
 * recursions (weighted distributions), and EM fits all parameters.
 *
 * <p>Where this implementation departs from the paper:
 *
 * <ul>
 *   <li>One scalar health indicator, so the emission is a scalar AR(p), not a vector AR.
 *   <li>The chain is strictly left-to-right with one step at a time: state k moves only to k or k +
 *       1; the last state is absorbing in the chain. EM keeps these zeros (a zero transition stays
 *       zero), so the structure survives re-estimation.
 *   <li>Conditional likelihood: the first p values of a sequence only condition the AR; emissions
 *       and states start at t = p.
 *   <li>Soft-label shape: see {@link SoftLabels} (the paper leaves it to the user).
 *   <li>Initialisation: responsibilities = prior plausibility times a uniform left-to-right
 *       segmentation of each sequence, jittered by the seed; then one M-step.
 *   <li>Variances are floored at 1e-6 times the variance of the data; a singular weighted
 *       least-squares system gets a ridge of 1e-8 times its trace.
 *   <li>The failure (exit) rate of the last state is estimated after EM as (number of sequences) /
 *       (expected cycles spent in the last state), since each run-to-failure history leaves the last
 *       state once, at its end. {@link ArphmmRul} uses it for the time to failure.
 * </ul>
 *
 * <p>The model class is immutable (R3): configuration and weights are final, and each stream key
 * owns a {@link State} that {@link #update} replaces one cycle at a time.
 */
public final class Arphmm {

  /**
   * Hyperparameters.
   *
   * @param states number of left-to-right degradation states K, at least 2
   * @param order AR order p, at least 0
   * @param iterations maximum EM iterations, at least 1
   * @param tolerance EM stops when the relative log-likelihood gain is below this, at least 0
   * @param seed seed of the initial jitter and of Monte Carlo RUL draws
   */
  public record Config(int states, int order, int iterations, double tolerance, long seed) {

    /** Default number of states (paper: about 6). */
    public static final int DEFAULT_STATES = 6;

    /** Default AR order (paper: 7). */
    public static final int DEFAULT_ORDER = 7;

    /**
     * Validates the hyperparameters.
     *
     * @throws IllegalArgumentException naming the first bad value
     */
    public Config {
      if (states < 2) {
        throw new IllegalArgumentException("states must be >= 2, got " + states);
      }
      if (order < 0) {
        throw new IllegalArgumentException("order must be >= 0, got " + order);
      }
      if (iterations < 1) {
        throw new IllegalArgumentException("iterations must be >= 1, got " + iterations);
      }
      if (!(tolerance >= 0)) {
        throw new IllegalArgumentException("tolerance must be >= 0, got " + tolerance);
      }
    }

    /**
     * The reference settings: 6 states, order 7, 200 iterations, tolerance 1e-7, seed 42.
     *
     * @return the default configuration
     */
    public static Config defaults() {
      return new Config(DEFAULT_STATES, DEFAULT_ORDER, 200, 1e-7, 42L);
    }
  }

  /**
   * Learned parameters. Arrays are shared, not copied: callers must not modify them.
   *
   * @param initial initial state law, shape (K)
   * @param transition transition matrix, row-stochastic, left-to-right, shape (K, K)
   * @param ar AR coefficients, {@code ar[k][i-1] = a_(k,i)}, shape (K, p)
   * @param bias AR intercepts b_k, shape (K)
   * @param variance noise variances sigma_k^2, shape (K)
   * @param exitRate probability per cycle of leaving the last state to failure, in (0, 1]
   */
  public record Weights(
      double[] initial, double[][] transition, double[][] ar, double[] bias, double[] variance,
      double exitRate) {

    /**
     * Validates shapes and ranges.
     *
     * @throws IllegalArgumentException naming the array whose shape or value is wrong
     */
    public Weights {
      int k = initial.length;
      if (k < 2) {
        throw new IllegalArgumentException("initial must have >= 2 states, got " + k);
      }
      if (transition.length != k || bias.length != k || variance.length != k || ar.length != k) {
        throw new IllegalArgumentException(
            "transition, ar, bias, variance must have " + k + " rows, got " + transition.length
                + ", " + ar.length + ", " + bias.length + ", " + variance.length);
      }
      int p = ar[0].length;
      for (int j = 0; j < k; j++) {
        if (transition[j].length != k) {
          throw new IllegalArgumentException(
              "transition row " + j + " must have " + k + " columns, got " + transition[j].length);
        }
        if (ar[j].length != p) {
          throw new IllegalArgumentException(
              "ar row " + j + " must have " + p + " columns, got " + ar[j].length);
        }
        if (!(variance[j] > 0)) {
          throw new IllegalArgumentException("variance[" + j + "] must be > 0, got " + variance[j]);
        }
      }
      if (!(exitRate > 0 && exitRate <= 1)) {
        throw new IllegalArgumentException("exitRate must be in (0, 1], got " + exitRate);
      }
    }

    /**
     * Number of states K.
     *
     * @return K
     */
    public int states() {
      return initial.length;
    }

    /**
     * AR order p.
     *
     * @return p
     */
    public int order() {
      return ar[0].length;
    }
  }

  /**
   * Per-sequence streaming state, owned by the caller (one per unit). Immutable: {@link
   * Arphmm#update} returns a new one.
   *
   * @param filtered filtered state law P(state_t | y_0..t), shape (K); the initial law before the
   *     first emission
   * @param lags the most recent values, {@code lags[i] = y_(t-i)} (most recent first), shape (p);
   *     only the first {@code min(seen, p)} are meaningful
   * @param seen number of values consumed so far
   */
  public record State(double[] filtered, double[] lags, int seen) {

    /**
     * Whether at least one emission has updated {@link #filtered}.
     *
     * @return true once more than p values were seen
     */
    public boolean warm() {
      return seen > lags.length;
    }
  }

  /**
   * Smoothed and filtered posteriors of one sequence.
   *
   * @param smoothed P(state_t | all y, prior), shape (T - p, K); row s is time t = s + p
   * @param filtered P(state_t | y_0..t, prior_0..t), shape (T - p, K)
   * @param logLikelihood log of the prior-weighted likelihood of y_p..y_(T-1) given y_0..y_(p-1)
   */
  public record Posterior(double[][] smoothed, double[][] filtered, double logLikelihood) {}

  /**
   * The result of EM.
   *
   * @param model the fitted model
   * @param logLikelihoods total prior-weighted log-likelihood before each M-step and after the last,
   *     shape (iterations run + 1); non-decreasing up to rounding
   */
  public record Fit(Arphmm model, double[] logLikelihoods) {}

  private static final double LOG_2PI = Math.log(2 * Math.PI);
  private static final double VARIANCE_FLOOR = 1e-6;
  private static final double RIDGE = 1e-8;
  private static final double JITTER = 0.1;

  private final Config config;
  private final Weights weights;

  /**
   * Creates a model from its parts.
   *
   * @param config hyperparameters, never null
   * @param weights parameters with K = config.states() and p = config.order(), never null
   * @throws IllegalArgumentException when the weights' K or p differ from the config
   */
  public Arphmm(Config config, Weights weights) {
    if (weights.states() != config.states() || weights.order() != config.order()) {
      throw new IllegalArgumentException(
          "weights have K=" + weights.states() + ", p=" + weights.order() + " but config has K="
              + config.states() + ", p=" + config.order());
    }
    this.config = config;
    this.weights = weights;
  }

  /**
   * Hyperparameters.
   *
   * @return the configuration
   */
  public Config config() {
    return config;
  }

  /**
   * Parameters.
   *
   * @return the weights (shared arrays; do not modify)
   */
  public Weights weights() {
    return weights;
  }

  // ---------------------------------------------------------------------------------------------
  // Emission
  // ---------------------------------------------------------------------------------------------

  /**
   * AR mean of state k given the lags.
   *
   * @param k the state
   * @param y the sequence, shape (T)
   * @param t the time index, at least p
   * @return {@code b_k + sum_i a_(k,i) y_(t-i)}
   */
  private double arMean(int k, double[] y, int t) {
    double[] a = weights.ar[k]; // (p)
    double mu = weights.bias[k];
    for (int i = 1; i <= a.length; i++) {
      mu += a[i - 1] * y[t - i];
    }
    return mu;
  }

  /**
   * AR mean of state k given lags ordered most recent first.
   *
   * @param k the state, in [0, K)
   * @param lags {@code lags[i] = y_(t-1-i)}, shape (p)
   * @return the one-step mean {@code b_k + sum_i a_(k,i) lags[i-1]}
   */
  public double arMean(int k, double[] lags) {
    double[] a = weights.ar[k]; // (p)
    double mu = weights.bias[k];
    for (int i = 0; i < a.length; i++) {
      mu += a[i] * lags[i];
    }
    return mu;
  }

  /** Gaussian log-density of residual r under variance v. */
  private static double logNormal(double r, double v) {
    return -0.5 * (LOG_2PI + Math.log(v) + r * r / v);
  }

  // ---------------------------------------------------------------------------------------------
  // Scaled forward-backward with the prior (E-step)
  // ---------------------------------------------------------------------------------------------

  /** Forward-backward quantities of one sequence; n = T - p. */
  private record Pass(
      double[][] alpha, // (n, K) normalised forward variables = filtered law
      double[][] beta, // (n, K) scaled backward variables
      double[][] e, // (n, K) emission x prior, divided by max_k emission density per step
      double[] c, // (n) per-step normalisers
      double logLikelihood) {}

  private Pass pass(double[] y, double[][] prior, boolean backward) {
    int p = config.order();
    int kk = config.states();
    checkSequence(y, prior);
    int n = y.length - p;
    double[][] a = weights.transition; // (K, K)
    double[][] e = new double[n][kk]; // (n, K)
    double[][] alpha = new double[n][kk]; // (n, K)
    double[] c = new double[n]; // (n)
    double logL = 0;
    double[] logb = new double[kk]; // (K)
    for (int s = 0; s < n; s++) {
      int t = s + p;
      // Emission log-densities log N(y_t; AR mean_k, sigma_k^2), shifted by their max for safety.
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < kk; k++) {
        logb[k] = logNormal(y[t] - arMean(k, y, t), weights.variance[k]);
        max = Math.max(max, logb[k]);
      }
      // e_t(k) = b_k(y_t) pl_t(k) / exp(max): the prior multiplies the emission (weighted law).
      for (int k = 0; k < kk; k++) {
        e[s][k] = Math.exp(logb[k] - max) * (prior == null ? 1.0 : prior[t][k]);
      }
      // Forward: alpha_t(k) = [sum_j alpha_(t-1)(j) A_jk] e_t(k), alpha_p(k) = pi_k e_p(k).
      double sum = 0;
      for (int k = 0; k < kk; k++) {
        double pred;
        if (s == 0) {
          pred = weights.initial[k];
        } else {
          pred = 0;
          for (int j = 0; j < kk; j++) {
            pred += alpha[s - 1][j] * a[j][k];
          }
        }
        alpha[s][k] = pred * e[s][k];
        sum += alpha[s][k];
      }
      // Scale: c_t = sum_k alpha_t(k); log L = sum_t (log c_t + max_t).
      if (!(sum > 0) || !Double.isFinite(sum)) {
        throw new IllegalStateException(
            "forward pass: zero or non-finite mass " + sum + " at t=" + t + " (y_t=" + y[t]
                + "); the prior or the left-to-right structure rules out every state");
      }
      c[s] = sum;
      for (int k = 0; k < kk; k++) {
        alpha[s][k] /= sum;
      }
      logL += Math.log(sum) + max;
    }
    double[][] beta = null;
    if (backward) {
      // Backward: beta_T(k) = 1; beta_t(j) = sum_k A_jk e_(t+1)(k) beta_(t+1)(k) / c_(t+1).
      beta = new double[n][kk]; // (n, K)
      Arrays.fill(beta[n - 1], 1.0);
      for (int s = n - 2; s >= 0; s--) {
        for (int j = 0; j < kk; j++) {
          double v = 0;
          for (int k = 0; k < kk; k++) {
            v += a[j][k] * e[s + 1][k] * beta[s + 1][k];
          }
          beta[s][j] = v / c[s + 1];
        }
      }
    }
    return new Pass(alpha, beta, e, c, logL);
  }

  private void checkSequence(double[] y, double[][] prior) {
    int p = config.order();
    if (y.length <= p) {
      throw new IllegalArgumentException(
          "sequence length must be > order " + p + ", got " + y.length);
    }
    if (prior != null) {
      if (prior.length != y.length) {
        throw new IllegalArgumentException(
            "prior must have " + y.length + " rows (one per value), got " + prior.length);
      }
      for (int t = 0; t < prior.length; t++) {
        if (prior[t].length != config.states()) {
          throw new IllegalArgumentException("prior row " + t + " must have " + config.states()
              + " states, got " + prior[t].length);
        }
      }
    }
  }

  /**
   * Smoothed and filtered state posteriors of one sequence (E-step).
   *
   * @param y the sequence, shape (T), T > p
   * @param prior plausibilities per value, shape (T, K); null means no prior knowledge (all 1)
   * @return the posteriors and the prior-weighted log-likelihood
   * @throws IllegalArgumentException when shapes are wrong
   */
  public Posterior posterior(double[] y, double[][] prior) {
    Pass f = pass(y, prior, true);
    int n = f.alpha.length;
    double[][] gamma = new double[n][]; // (n, K)
    for (int s = 0; s < n; s++) {
      gamma[s] = smoothedRow(f, s);
    }
    return new Posterior(gamma, f.alpha, f.logLikelihood);
  }

  /** gamma_t(k) = alpha_t(k) beta_t(k), renormalised against rounding. */
  private double[] smoothedRow(Pass f, int s) {
    int kk = config.states();
    double[] g = new double[kk]; // (K)
    double sum = 0;
    for (int k = 0; k < kk; k++) {
      g[k] = f.alpha[s][k] * f.beta[s][k];
      sum += g[k];
    }
    for (int k = 0; k < kk; k++) {
      g[k] /= sum;
    }
    return g;
  }

  /**
   * Filtered state law of every time step, without prior knowledge (what a stream sees).
   *
   * @param y the sequence, shape (T), T > p
   * @return P(state_t | y_0..t), shape (T - p, K); row s is time t = s + p
   */
  public double[][] filter(double[] y) {
    return pass(y, null, false).alpha;
  }

  // ---------------------------------------------------------------------------------------------
  // Streaming
  // ---------------------------------------------------------------------------------------------

  /**
   * A fresh per-sequence state: the initial law and no lags.
   *
   * @return the state before the first value
   */
  public State newState() {
    return new State(weights.initial.clone(), new double[config.order()], 0);
  }

  /**
   * Consumes one value (one cycle) and returns the next state; equals the batch {@link #filter}.
   *
   * @param state the state after the previous value, never null
   * @param y the new value, finite
   * @return the new state
   * @throws IllegalArgumentException when y is not finite or the state has the wrong shape
   */
  public State update(State state, double y) {
    int p = config.order();
    int kk = config.states();
    if (!Double.isFinite(y)) {
      throw new IllegalArgumentException("y must be finite, got " + y);
    }
    if (state.filtered().length != kk || state.lags().length != p) {
      throw new IllegalArgumentException("state must have K=" + kk + ", p=" + p + ", got K="
          + state.filtered().length + ", p=" + state.lags().length);
    }
    double[] filtered = state.filtered();
    if (state.seen() >= p) {
      // Predict then correct: alpha_t(k) ∝ [sum_j alpha_(t-1)(j) A_jk] N(y_t; AR mean_k, sigma_k^2).
      double[] logb = new double[kk]; // (K)
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < kk; k++) {
        logb[k] = logNormal(y - arMean(k, state.lags()), weights.variance[k]);
        max = Math.max(max, logb[k]);
      }
      double[] next = new double[kk]; // (K)
      double sum = 0;
      for (int k = 0; k < kk; k++) {
        double pred;
        if (state.seen() == p) {
          pred = weights.initial[k];
        } else {
          pred = 0;
          for (int j = 0; j < kk; j++) {
            pred += filtered[j] * weights.transition[j][k];
          }
        }
        next[k] = pred * Math.exp(logb[k] - max);
        sum += next[k];
      }
      if (!(sum > 0)) {
        throw new IllegalStateException("filter: zero mass at value " + y);
      }
      for (int k = 0; k < kk; k++) {
        next[k] /= sum;
      }
      filtered = next;
    }
    // Shift the lags: lags[0] becomes y.
    double[] lags = new double[p]; // (p)
    if (p > 0) {
      lags[0] = y;
      System.arraycopy(state.lags(), 0, lags, 1, p - 1);
    }
    return new State(filtered, lags, state.seen() + 1);
  }

  // ---------------------------------------------------------------------------------------------
  // EM
  // ---------------------------------------------------------------------------------------------

  /**
   * Fits the model by EM.
   *
   * @param sequences training sequences, each of shape (T_n) with T_n > p; never empty
   * @param priors plausibilities per sequence, each of shape (T_n, K); null for no prior knowledge
   * @param config hyperparameters, never null
   * @return the fitted model and the log-likelihood trace
   * @throws IllegalArgumentException when the lists are empty, differ in size, or shapes are wrong
   */
  public static Fit train(List<double[]> sequences, List<double[][]> priors, Config config) {
    if (sequences.isEmpty()) {
      throw new IllegalArgumentException("sequences must not be empty");
    }
    if (priors != null && priors.size() != sequences.size()) {
      throw new IllegalArgumentException("priors must have " + sequences.size()
          + " entries (one per sequence), got " + priors.size());
    }
    int kk = config.states();
    int p = config.order();
    // Data variance: scale of the variance floor.
    double sum = 0;
    double sumSq = 0;
    long count = 0;
    for (double[] y : sequences) {
      if (y.length <= p) {
        throw new IllegalArgumentException(
            "every sequence must be longer than order " + p + ", got length " + y.length);
      }
      for (double v : y) {
        sum += v;
        sumSq += v * v;
        count++;
      }
    }
    double dataVar = Math.max(sumSq / count - (sum / count) * (sum / count), 1e-12);
    double varFloor = VARIANCE_FLOOR * dataVar;

    // Initialisation: responsibilities = prior x uniform left-to-right segmentation x jitter.
    Random rng = new Random(config.seed());
    List<double[][]> gammas = new ArrayList<>(); // each (T_n - p, K)
    for (int q = 0; q < sequences.size(); q++) {
      int n = sequences.get(q).length - p;
      double[][] g = new double[n][kk];
      for (int s = 0; s < n; s++) {
        double pos = n == 1 ? 0 : (double) s / (n - 1) * (kk - 1);
        double norm = 0;
        for (int k = 0; k < kk; k++) {
          double seg = 0.05 + Math.max(0, 1 - Math.abs(k - pos));
          double pl = priors == null ? 1.0 : priors.get(q)[s + p][k];
          g[s][k] = seg * pl * (1 + JITTER * rng.nextDouble());
          norm += g[s][k];
        }
        for (int k = 0; k < kk; k++) {
          g[s][k] /= norm;
        }
      }
      gammas.add(g);
    }
    double[][] initXi = new double[kk][kk]; // (K, K) expected transitions of the segmentation
    for (double[][] g : gammas) {
      for (int s = 0; s + 1 < g.length; s++) {
        for (int j = 0; j < kk; j++) {
          initXi[j][j] += Math.min(g[s][j], g[s + 1][j]);
          if (j + 1 < kk) {
            initXi[j][j + 1] += Math.max(0, g[s][j] - g[s + 1][j]) + 1e-3;
          }
        }
      }
    }
    Weights w = mStep(sequences, gammas, initXi, config, null, varFloor);
    Arphmm model = new Arphmm(config, w);

    // EM iterations: E-step with the prior, M-step by weighted least squares.
    List<Double> trace = new ArrayList<>();
    for (int it = 0; it < config.iterations(); it++) {
      double[][] xi = new double[kk][kk]; // (K, K) summed expected transitions
      double logL = model.eStep(sequences, priors, gammas, xi);
      trace.add(logL);
      int last = trace.size() - 1;
      if (last > 0) {
        double prev = trace.get(last - 1);
        if (logL - prev <= config.tolerance() * Math.abs(prev)) {
          break;
        }
      }
      model = new Arphmm(config, mStep(sequences, gammas, xi, config, model.weights, varFloor));
    }
    // Final E-step: trace entry of the returned weights, and the exit rate of the last state.
    double[][] xi = new double[kk][kk];
    double finalLogL = model.eStep(sequences, priors, gammas, xi);
    if (finalLogL != trace.get(trace.size() - 1)) {
      trace.add(finalLogL);
    }
    double occupancyLast = 0;
    for (double[][] g : gammas) {
      for (double[] row : g) {
        occupancyLast += row[kk - 1];
      }
    }
    double exitRate = Math.min(1.0, sequences.size() / Math.max(occupancyLast, 1.0));
    Weights fw = model.weights;
    Weights withExit =
        new Weights(fw.initial, fw.transition, fw.ar, fw.bias, fw.variance, exitRate);
    return new Fit(
        new Arphmm(config, withExit), trace.stream().mapToDouble(Double::doubleValue).toArray());
  }

  /** E-step over all sequences: fills gammas in place, accumulates xi, returns the total log L. */
  private double eStep(
      List<double[]> sequences, List<double[][]> priors, List<double[][]> gammas, double[][] xi) {
    int kk = config.states();
    double[][] a = weights.transition;
    double total = 0;
    for (int q = 0; q < sequences.size(); q++) {
      Pass f = pass(sequences.get(q), priors == null ? null : priors.get(q), true);
      total += f.logLikelihood;
      double[][] g = gammas.get(q);
      int n = f.alpha.length;
      for (int s = 0; s < n; s++) {
        g[s] = smoothedRow(f, s);
      }
      // xi_t(j,k) = alpha_t(j) A_jk e_(t+1)(k) beta_(t+1)(k) / c_(t+1).
      for (int s = 0; s + 1 < n; s++) {
        for (int j = 0; j < kk; j++) {
          if (f.alpha[s][j] == 0) {
            continue;
          }
          for (int k = 0; k < kk; k++) {
            xi[j][k] += f.alpha[s][j] * a[j][k] * f.e[s + 1][k] * f.beta[s + 1][k] / f.c[s + 1];
          }
        }
      }
    }
    return total;
  }

  /** M-step: initial law, left-to-right transitions, per-state weighted least squares. */
  private static Weights mStep(
      List<double[]> sequences, List<double[][]> gammas, double[][] xi, Config config,
      Weights previous, double varFloor) {
    int kk = config.states();
    int p = config.order();
    // Initial law: pi_k = mean over sequences of gamma_p(k).
    double[] pi = new double[kk]; // (K)
    for (double[][] g : gammas) {
      for (int k = 0; k < kk; k++) {
        pi[k] += g[0][k] / gammas.size();
      }
    }
    // Transitions: A_jk = sum_t xi_t(j,k) / sum_t sum_k' xi_t(j,k'), on the band k in {j, j+1}.
    double[][] a = new double[kk][kk]; // (K, K)
    for (int j = 0; j < kk; j++) {
      if (j == kk - 1) {
        a[j][j] = 1.0;
        continue;
      }
      double stay = xi[j][j];
      double move = xi[j][j + 1];
      if (stay + move > 0) {
        a[j][j] = stay / (stay + move);
        a[j][j + 1] = move / (stay + move);
      } else if (previous != null) {
        a[j][j] = previous.transition[j][j];
        a[j][j + 1] = previous.transition[j][j + 1];
      } else {
        a[j][j] = 0.5;
        a[j][j + 1] = 0.5;
      }
    }
    // AR per state: minimise sum_t gamma_t(k) (y_t - theta . x_t)^2, x_t = (y_(t-1..t-p), 1).
    int d = p + 1;
    double[][] ar = new double[kk][p]; // (K, p)
    double[] bias = new double[kk]; // (K)
    double[] variance = new double[kk]; // (K)
    double[] x = new double[d]; // (p + 1)
    for (int k = 0; k < kk; k++) {
      double[][] gram = new double[d][d]; // (p + 1, p + 1)
      double[] rhs = new double[d]; // (p + 1)
      double weight = 0;
      for (int q = 0; q < sequences.size(); q++) {
        double[] y = sequences.get(q);
        double[][] g = gammas.get(q);
        for (int s = 0; s < g.length; s++) {
          double gw = g[s][k];
          if (gw == 0) {
            continue;
          }
          int t = s + p;
          for (int i = 0; i < p; i++) {
            x[i] = y[t - 1 - i];
          }
          x[p] = 1;
          weight += gw;
          for (int u = 0; u < d; u++) {
            rhs[u] += gw * x[u] * y[t];
            for (int v = 0; v <= u; v++) {
              gram[u][v] += gw * x[u] * x[v];
            }
          }
        }
      }
      if (weight < 1e-9 && previous != null) {
        // An empty state keeps its parameters.
        ar[k] = previous.ar[k].clone();
        bias[k] = previous.bias[k];
        variance[k] = previous.variance[k];
        continue;
      }
      for (int u = 0; u < d; u++) {
        for (int v = u + 1; v < d; v++) {
          gram[u][v] = gram[v][u];
        }
      }
      double[] theta = solveRidgeIfSingular(gram, rhs); // (p + 1)
      System.arraycopy(theta, 0, ar[k], 0, p);
      bias[k] = theta[p];
      // Variance: sigma_k^2 = sum_t gamma_t(k) r_t^2 / sum_t gamma_t(k), floored.
      double sse = 0;
      for (int q = 0; q < sequences.size(); q++) {
        double[] y = sequences.get(q);
        double[][] g = gammas.get(q);
        for (int s = 0; s < g.length; s++) {
          int t = s + p;
          double mu = theta[p];
          for (int i = 0; i < p; i++) {
            mu += theta[i] * y[t - 1 - i];
          }
          double r = y[t] - mu;
          sse += g[s][k] * r * r;
        }
      }
      variance[k] = Math.max(weight > 0 ? sse / weight : varFloor, varFloor);
    }
    double exitRate = previous == null ? 1.0 : previous.exitRate;
    return new Weights(pi, a, ar, bias, variance, exitRate);
  }

  private static double[] solveRidgeIfSingular(double[][] gram, double[] rhs) {
    try {
      return LinearAlgebra.solve(gram, rhs);
    } catch (ArithmeticException singular) {
      double trace = 0;
      for (int u = 0; u < rhs.length; u++) {
        trace += gram[u][u];
      }
      double[][] reg = new double[rhs.length][];
      for (int u = 0; u < rhs.length; u++) {
        reg[u] = gram[u].clone();
        reg[u][u] += RIDGE * Math.max(trace, 1e-12);
      }
      return LinearAlgebra.solve(reg, rhs);
    }
  }
}

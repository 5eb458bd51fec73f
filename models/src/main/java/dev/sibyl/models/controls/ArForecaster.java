package dev.sibyl.models.controls;

import dev.sibyl.models.api.PointModel;
import dev.sibyl.models.api.WindowModel;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An autoregressive model fitted by ridge least squares, with one set of coefficients shared by
 * every channel: the idea of AR-Net (Triebe, Laptev &amp; Rajagopal, "AR-Net: A simple
 * Auto-Regressive Neural Network for time-series", 2019) - a plain AR(p) whose coefficients are
 * learned with regularisation - here fitted in closed form rather than by SGD.
 *
 * <p>{@code y_t = c + sum_{i=1..p} a_i y_(t-i) + e_t}; forecasts roll forward (each predicted
 * value feeds the next step), so one model serves every horizon ({@link #autoregressive()}). The
 * intercept is not penalised.
 *
 * <p>Two uses: trained ({@link ArFamily}: pooled over the channels of the training rows, order
 * chosen on validation) and window-fitted ({@link #windowFitted}: refit on each window's own values
 * by the streaming pipeline when no artifact is given). Immutable and thread-safe.
 */
public final class ArForecaster implements WindowModel {

  /** The family name. */
  public static final String FAMILY = "ar";

  /** Default ridge penalty per fitted row: lambda = ridge * rows. */
  public static final double RIDGE_DEFAULT = 1e-3;

  private final int lookback;
  private final int horizon;
  private final double intercept;
  private final double[] coefficients; // (p): a_1 .. a_p, a_1 multiplies the newest value
  private final String version;
  private final Map<String, String> hyperparameters;

  /**
   * Creates a fitted model.
   *
   * @param lookback the window length it expects, at least p
   * @param horizon the horizon it was selected for
   * @param intercept c
   * @param coefficients a_1..a_p; shape (p); copied
   * @param version the artifact version; not null
   * @param hyperparameters as stored in the manifest; not null
   * @throws IllegalArgumentException when p is 0 or exceeds the lookback
   */
  public ArForecaster(
      int lookback,
      int horizon,
      double intercept,
      double[] coefficients,
      String version,
      Map<String, String> hyperparameters) {
    if (coefficients.length < 1 || coefficients.length > lookback) {
      throw new IllegalArgumentException(
          "order must be in [1, lookback = " + lookback + "], got " + coefficients.length);
    }
    this.lookback = lookback;
    this.horizon = horizon;
    this.intercept = intercept;
    this.coefficients = coefficients.clone();
    this.version = version;
    this.hyperparameters = Map.copyOf(hyperparameters);
  }

  @Override
  public String family() {
    return FAMILY;
  }

  @Override
  public String version() {
    return version;
  }

  @Override
  public int lookback() {
    return lookback;
  }

  @Override
  public int horizon() {
    return horizon;
  }

  @Override
  public int channels() {
    return 0;
  }

  /** Rolls forward: any horizon. */
  @Override
  public boolean autoregressive() {
    return true;
  }

  @Override
  public Map<String, String> hyperparameters() {
    return hyperparameters;
  }

  @Override
  public long parametersTrainable() {
    return coefficients.length + 1L;
  }

  @Override
  public long parametersTotal() {
    return parametersTrainable();
  }

  /** p. */
  public int order() {
    return coefficients.length;
  }

  /** c. */
  public double intercept() {
    return intercept;
  }

  /** a_1..a_p; a copy. */
  public double[] coefficients() {
    return coefficients.clone();
  }

  @Override
  public double[][][] predict(double[][][] windows, int steps) {
    WindowModel.checkRequest(this, windows, steps);
    double[][][] out = new double[windows.length][][];
    for (int b = 0; b < windows.length; b++) {
      out[b] = new double[windows[b].length][];
      for (int c = 0; c < windows[b].length; c++) {
        out[b][c] = roll(windows[b][c], intercept, coefficients, steps);
      }
    }
    return out;
  }

  /**
   * Rolls an AR model forward from the end of a series.
   *
   * @param values the series; shape (n), n &gt;= p
   * @param c the intercept
   * @param a a_1..a_p; shape (p)
   * @param steps how many steps
   * @return shape (steps)
   */
  static double[] roll(double[] values, double c, double[] a, int steps) {
    int p = a.length;
    double[] buf = new double[p + steps]; // last p values, then the forecasts
    System.arraycopy(values, values.length - p, buf, 0, p);
    for (int k = 0; k < steps; k++) {
      double y = c;
      int t = p + k; // index of the value being predicted
      for (int i = 1; i <= p; i++) {
        y += a[i - 1] * buf[t - i];
      }
      buf[t] = y;
    }
    return Arrays.copyOfRange(buf, p, p + steps);
  }

  /**
   * Solves the ridge normal equations for the leading order p of a Gram matrix built with lags
   * 1..P: features {@code [1, y_(t-1), .., y_(t-P)]}.
   *
   * @param gram X^T X; shape (P + 1, P + 1)
   * @param xty X^T y; shape (P + 1)
   * @param p the order, {@code <= P}
   * @param lambda the ridge penalty on a_1..a_p (not on c)
   * @return {@code [c, a_1..a_p]}; shape (p + 1)
   * @throws IllegalStateException when the system is singular (a constant series with lambda 0)
   */
  static double[] solve(double[][] gram, double[] xty, int p, double lambda) {
    int n = p + 1;
    double[][] m = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        m[i][j] = gram[i][j];
      }
      if (i > 0) {
        m[i][i] += lambda;
      }
    }
    // Cholesky m = L L^T, then two triangular solves; a tiny jitter on the intercept keeps a
    // constant series (an exactly collinear intercept) solvable
    m[0][0] += 1e-12 * Math.max(1, m[0][0]);
    double[][] low = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        double s = m[i][j];
        for (int k = 0; k < j; k++) {
          s -= low[i][k] * low[j][k];
        }
        if (i == j) {
          if (!(s > 0)) {
            throw new IllegalStateException(
                "AR(" + p + ") normal equations are singular; raise the ridge penalty");
          }
          low[i][i] = Math.sqrt(s);
        } else {
          low[i][j] = s / low[j][j];
        }
      }
    }
    double[] z = new double[n];
    for (int i = 0; i < n; i++) {
      double s = xty[i];
      for (int k = 0; k < i; k++) {
        s -= low[i][k] * z[k];
      }
      z[i] = s / low[i][i];
    }
    double[] beta = new double[n];
    for (int i = n - 1; i >= 0; i--) {
      double s = z[i];
      for (int k = i + 1; k < n; k++) {
        s -= low[k][i] * beta[k];
      }
      beta[i] = s / low[i][i];
    }
    return beta;
  }

  /**
   * Accumulates X^T X and X^T y with lags 1..P over targets {@code t in [P, n)} of one series.
   *
   * @param y the series; shape (n)
   * @param maxOrder P
   * @param gram accumulated in place; shape (P + 1, P + 1), upper and lower filled at the end
   * @param xty accumulated in place; shape (P + 1)
   * @return rows added
   */
  static int accumulate(double[] y, int maxOrder, double[][] gram, double[] xty) {
    int rows = 0;
    double[] x = new double[maxOrder + 1];
    x[0] = 1;
    for (int t = maxOrder; t < y.length; t++) {
      for (int i = 1; i <= maxOrder; i++) {
        x[i] = y[t - i];
      }
      for (int i = 0; i <= maxOrder; i++) {
        double xi = x[i];
        xty[i] += xi * y[t];
        double[] gi = gram[i];
        for (int j = i; j <= maxOrder; j++) {
          gi[j] += xi * x[j];
        }
      }
      rows++;
    }
    return rows;
  }

  /** Copies the upper triangle of a Gram matrix to the lower one. */
  static void symmetrise(double[][] gram) {
    for (int i = 0; i < gram.length; i++) {
      for (int j = 0; j < i; j++) {
        gram[i][j] = gram[j][i];
      }
    }
  }

  /**
   * An AR(p) refitted on every window it is given (the streaming pipeline's AR without an
   * artifact). Fitting is O(n p^2) per call.
   *
   * @param order p, at least 1
   * @param ridge penalty per fitted row, {@code >= 0}
   * @return the point model; minHistory {@code 3p + 1} so that the fit has at least 2p + 1 rows
   * @throws IllegalArgumentException for a bad order or ridge
   */
  public static PointModel windowFitted(int order, double ridge) {
    if (order < 1) {
      throw new IllegalArgumentException("order must be >= 1, got " + order);
    }
    if (!(ridge >= 0)) {
      throw new IllegalArgumentException("ridge must be >= 0, got " + ridge);
    }
    return new PointModel() {
      @Override
      public String family() {
        return FAMILY;
      }

      @Override
      public String version() {
        return "1";
      }

      @Override
      public int minHistory() {
        return 3 * order + 1;
      }

      @Override
      public double[] forecast(double[] values, int steps) {
        PointModel.checkArguments(this, values, steps, 0);
        double[][] gram = new double[order + 1][order + 1];
        double[] xty = new double[order + 1];
        int rows = accumulate(values, order, gram, xty);
        symmetrise(gram);
        double[] beta = solve(gram, xty, order, ridge * rows);
        return roll(values, beta[0], Arrays.copyOfRange(beta, 1, order + 1), steps);
      }

      @Override
      public String toString() {
        return "ArForecaster.windowFitted[p=" + order + ", ridge=" + ridge + "]";
      }
    };
  }

  /** The hyperparameters map of a fitted model. */
  static Map<String, String> hyperparameters(double ridge, String orders, int order) {
    Map<String, String> h = new LinkedHashMap<>();
    h.put(ArFamily.RIDGE, Double.toString(ridge));
    h.put(ArFamily.ORDERS, orders);
    h.put(ArFamily.ORDER, Integer.toString(order));
    return h;
  }

  @Override
  public String toString() {
    return "ArForecaster[p=" + coefficients.length + ", L=" + lookback + "]";
  }
}

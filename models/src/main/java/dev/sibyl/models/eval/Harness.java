package dev.sibyl.models.eval;

import java.util.Objects;

/**
 * Runs a predictor over every test window of a protocol (stride 1, none dropped) and reports MSE
 * and MAE on the standardised scale, averaged over windows, channels and steps.
 */
public final class Harness {

  /** Windows per predictor call: bounds memory (a batch is batch x channels x (L + H) doubles). */
  public static final int BATCH = 256;

  /**
   * A prepared data set: the table scaled with the train rows' statistics.
   *
   * @param table the raw table
   * @param protocol the splits
   * @param scaler fitted on the train rows only
   * @param scaled every row, scaled; shape (rows, channels)
   */
  public record Prepared(Table table, Protocol protocol, StandardScaler scaler, double[][] scaled) {

    /** The rows of {@code [start, end)}; shape (end - start, channels). */
    public double[][] rows(int start, int end) {
      return java.util.Arrays.copyOfRange(scaled, start, end);
    }
  }

  /**
   * One horizon's result.
   *
   * @param horizon H
   * @param mse mean squared error
   * @param mae mean absolute error
   * @param windows test windows evaluated
   * @param inferMsPerWindow predictor wall time per window (every channel), milliseconds
   */
  public record Result(int horizon, double mse, double mae, int windows, double inferMsPerWindow) {}

  private Harness() {}

  /**
   * Scales a table for a protocol: the scaler sees the train rows only.
   *
   * @param table the data; not null
   * @param protocol the splits; not null
   * @return the prepared data
   */
  public static Prepared prepare(Table table, Protocol protocol) {
    Objects.requireNonNull(table, "table");
    StandardScaler scaler =
        StandardScaler.fit(table.rows(), protocol.trainStart(), protocol.trainEnd());
    return new Prepared(table, protocol, scaler, scaler.transform(table.rows()));
  }

  /**
   * Evaluates on every test window.
   *
   * @param data prepared data; not null
   * @param predictor the model; not null
   * @param horizon H
   * @return MSE, MAE and the window count
   * @throws IllegalArgumentException when the test range has no window for H
   */
  public static Result evaluate(Prepared data, Predictor predictor, int horizon) {
    Protocol p = data.protocol();
    int windows = p.testWindows(horizon);
    if (windows < 1) {
      throw new IllegalArgumentException(
          "no test window for lookback " + p.lookback() + " and horizon " + horizon);
    }
    Metrics metrics = new Metrics();
    long nanos = 0;
    for (int first = 0; first < windows; first += BATCH) {
      int count = Math.min(BATCH, windows - first);
      int start = p.testStart() + first;
      double[][][] x = Windows.inputs(data.scaled(), start, count, p.lookback());
      double[][][] y = Windows.targets(data.scaled(), start, count, p.lookback(), horizon);
      long t0 = System.nanoTime();
      double[][][] yhat = predictor.predictAt(x, start, horizon);
      nanos += System.nanoTime() - t0;
      metrics.add(yhat, y);
    }
    return new Result(horizon, metrics.mse(), metrics.mae(), windows, nanos / 1e6 / windows);
  }
}

package dev.sibyl.models.eval;

/**
 * A long-term forecasting protocol: row ranges of the three splits for a lookback L. Each range
 * starts L rows before its period so that its first window forecasts the period's first row
 * (Informer / Autoformer / DLinear data loaders).
 *
 * @param name {@code ett} or {@code csv}
 * @param lookback L
 * @param trainStart first train row
 * @param trainEnd end (exclusive) of the train rows; the scaler uses {@code [trainStart, trainEnd)}
 * @param validationStart first validation row (period start minus L)
 * @param validationEnd end (exclusive)
 * @param testStart first test row (period start minus L)
 * @param testEnd end (exclusive)
 */
public record Protocol(
    String name,
    int lookback,
    int trainStart,
    int trainEnd,
    int validationStart,
    int validationEnd,
    int testStart,
    int testEnd) {

  /** Hourly ETT train period length: 12 months of 30 days. */
  static final int ETT_TRAIN_HOURS = 12 * 30 * 24;

  /** Hourly ETT validation and test period length: 4 months of 30 days. */
  static final int ETT_PERIOD_HOURS = 4 * 30 * 24;

  /**
   * The ETT protocol: hourly borders train {@code [0, 8640)}, validation {@code [8640 - L,
   * 11520)}, test {@code [11520 - L, 14400)}; the 15-minute files use the borders times 4.
   *
   * @param lookback L, positive
   * @param minute true for ETTm1 / ETTm2 (15-minute rows)
   * @param rows the file's rows, to check the borders fit
   * @return the protocol
   * @throws IllegalArgumentException when L is not positive, larger than the train rows, or the
   *     file is too short
   */
  public static Protocol ett(int lookback, boolean minute, int rows) {
    int f = minute ? 4 : 1;
    int train = ETT_TRAIN_HOURS * f;
    int val = (ETT_TRAIN_HOURS + ETT_PERIOD_HOURS) * f;
    int test = (ETT_TRAIN_HOURS + 2 * ETT_PERIOD_HOURS) * f;
    if (lookback < 1 || lookback > train) {
      throw new IllegalArgumentException("lookback must be in [1, " + train + "], got " + lookback);
    }
    if (rows < test) {
      throw new IllegalArgumentException(
          "the ETT protocol needs " + test + " rows, the file has " + rows);
    }
    return new Protocol("ett", lookback, 0, train, train - lookback, val, val - lookback, test);
  }

  /**
   * The generic CSV protocol: 70 % train, 10 % validation, 20 % test by rows, as the custom-data
   * loader of the reference code: {@code train = (int) (0.7 n)}, {@code test = (int) (0.2 n)},
   * validation the rest.
   *
   * @param lookback L, positive
   * @param rows n
   * @return the protocol
   * @throws IllegalArgumentException when L is not positive or exceeds the train rows
   */
  public static Protocol csv(int lookback, int rows) {
    int train = (int) (rows * 0.7);
    int test = (int) (rows * 0.2);
    int val = rows - train - test;
    if (lookback < 1 || lookback > train) {
      throw new IllegalArgumentException("lookback must be in [1, " + train + "], got " + lookback);
    }
    return new Protocol(
        "csv", lookback, 0, train, train - lookback, train + val, rows - test - lookback, rows);
  }

  /**
   * The protocol a data set's name implies: {@code ETTh*} and {@code ETTm*} files take {@link
   * #ett}, anything else {@link #csv}.
   *
   * @param name {@code ett}, {@code csv}, or null to choose by file name
   * @param table the data; not null
   * @param lookback L
   * @return the protocol
   * @throws IllegalArgumentException for an unknown protocol name
   */
  public static Protocol of(String name, Table table, int lookback) {
    boolean ettFile = table.name().startsWith("ETTh") || table.name().startsWith("ETTm");
    String chosen = name == null ? (ettFile ? "ett" : "csv") : name;
    switch (chosen) {
      case "ett":
        return ett(lookback, table.name().startsWith("ETTm"), table.size());
      case "csv":
        return csv(lookback, table.size());
      default:
        throw new IllegalArgumentException("protocol must be ett or csv, got '" + name + "'");
    }
  }

  /**
   * Stride-1 windows in {@code [start, end)} for horizon H: {@code end - start - L - H + 1}.
   *
   * @return the count, 0 when the range is too short
   */
  public int windows(int start, int end, int horizon) {
    return Math.max(0, end - start - lookback - horizon + 1);
  }

  /** Test windows for horizon H. */
  public int testWindows(int horizon) {
    return windows(testStart, testEnd, horizon);
  }
}

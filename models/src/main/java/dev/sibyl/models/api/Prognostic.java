package dev.sibyl.models.api;

import java.util.List;

/**
 * A health / remaining-useful-life model (ARPHMM and successors): from a unit's history of raw
 * measurements to the probabilities of its degradation states and its RUL with an interval.
 * Implementations are immutable and thread-safe.
 *
 * <p>Inputs are named: {@link #inputColumns()} lists the columns each history row holds, in order
 * (for C-MAPSS the file's column names, e.g. {@code s2}, {@code s3}; see {@code
 * dev.sibyl.models.arphmm.Cmapss#COLUMNS}), so that a streaming operator can assemble a row per
 * cycle from telemetry channels by name and call {@link #assess} with the unit's rows so far.
 * Trained models are loaded with {@code dev.sibyl.models.rul.Prognostics#load}.
 */
public interface Prognostic {

  /** The model family, e.g. {@code arphmm}. */
  String family();

  /** K, the number of degradation states (state 0 healthy, state K - 1 failed). */
  int states();

  /**
   * The raw columns each history row holds, in order.
   *
   * @return the column names; never null or empty
   */
  List<String> inputColumns();

  /** Number of values each history row must have: the size of {@link #inputColumns()}. */
  default int indicators() {
    return inputColumns().size();
  }

  /**
   * Assesses one unit.
   *
   * @param history the unit's raw values of {@link #inputColumns()} from its first cycle, oldest
   *     first; shape (cycles, indicators); not null, at least one row
   * @return the posterior over states at the last cycle and the RUL in cycles
   * @throws IllegalArgumentException when a row has the wrong width or the history is empty
   */
  Prognosis assess(double[][] history);

  /**
   * The outcome of {@link #assess}.
   *
   * @param stateProbabilities posterior over the degradation states at the last cycle; shape
   *     (states), sums to 1
   * @param rulMean expected remaining useful life in cycles, {@code >= 0}
   * @param rulLower lower interval bound, {@code <= rulMean}
   * @param rulUpper upper interval bound, {@code >= rulMean}
   * @param coverage nominal coverage of the interval in (0, 1)
   */
  record Prognosis(
      double[] stateProbabilities,
      double rulMean,
      double rulLower,
      double rulUpper,
      double coverage) {

    /** Checks the ordering of the bounds and the coverage. */
    public Prognosis {
      if (!(rulLower <= rulMean && rulMean <= rulUpper)) {
        throw new IllegalArgumentException(
            "need rulLower <= rulMean <= rulUpper, got "
                + rulLower
                + ", "
                + rulMean
                + ", "
                + rulUpper);
      }
      if (!(coverage > 0 && coverage < 1)) {
        throw new IllegalArgumentException("coverage must be in (0, 1), got " + coverage);
      }
    }
  }
}

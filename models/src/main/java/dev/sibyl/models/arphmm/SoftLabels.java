package dev.sibyl.models.arphmm;

/**
 * Prior plausibilities over degradation states for run-to-failure histories: the "partially hidden"
 * knowledge of the ARPHMM.
 *
 * <p>Choice (documented departure: the paper leaves the shape of the soft labels to the user). For a
 * history of T cycles whose last cycle is the failure, cycle t has RUL {@code T - 1 - t} and a
 * degradation level {@code d_t = 1 - min(RUL, cap) / cap} (0 while RUL >= cap, 1 at failure). Its
 * expected state position is {@code s_t = d_t (K - 1)}, and state k gets the plausibility
 *
 * <pre>  pl_t(k) = floor + max(0, 1 - |k - s_t| / width)</pre>
 *
 * a linear ramp (triangle) around the expected state plus a floor that leaves every state possible.
 * So the first cycles are (mostly) healthy state 0, the failure cycle is (mostly) the last state K -
 * 1, and the states in between are uncertain, each plausible on an overlapping band of RUL.
 * Plausibilities are not normalised (only ratios matter in the forward-backward).
 */
public final class SoftLabels {

  /** Default floor: every state keeps at least this plausibility. */
  public static final double DEFAULT_FLOOR = 0.05;

  /** Default ramp half-width, in states. */
  public static final double DEFAULT_WIDTH = 1.0;

  private SoftLabels() {}

  /**
   * Soft labels with the default floor and width.
   *
   * @param cycles history length T, at least 1
   * @param states number of states K, at least 2
   * @param rulCap the RUL cap, cycles, positive
   * @return plausibilities, shape (T, K)
   */
  public static double[][] runToFailure(int cycles, int states, double rulCap) {
    return runToFailure(cycles, states, rulCap, DEFAULT_FLOOR, DEFAULT_WIDTH);
  }

  /**
   * Soft labels of a run-to-failure history.
   *
   * @param cycles history length T, at least 1
   * @param states number of states K, at least 2
   * @param rulCap the RUL cap, cycles, positive
   * @param floor plausibility floor, in [0, 1]; 0 makes far states impossible
   * @param width ramp half-width in states, positive
   * @return plausibilities, shape (T, K)
   * @throws IllegalArgumentException naming the first bad argument
   */
  public static double[][] runToFailure(
      int cycles, int states, double rulCap, double floor, double width) {
    if (cycles < 1) {
      throw new IllegalArgumentException("cycles must be >= 1, got " + cycles);
    }
    if (states < 2) {
      throw new IllegalArgumentException("states must be >= 2, got " + states);
    }
    if (!(rulCap > 0)) {
      throw new IllegalArgumentException("rulCap must be > 0, got " + rulCap);
    }
    if (!(floor >= 0 && floor <= 1)) {
      throw new IllegalArgumentException("floor must be in [0, 1], got " + floor);
    }
    if (!(width > 0)) {
      throw new IllegalArgumentException("width must be > 0, got " + width);
    }
    double[][] pl = new double[cycles][states]; // (T, K)
    for (int t = 0; t < cycles; t++) {
      double rul = cycles - 1 - t;
      double s = (1.0 - Math.min(rul, rulCap) / rulCap) * (states - 1);
      for (int k = 0; k < states; k++) {
        pl[t][k] = floor + Math.max(0, 1 - Math.abs(k - s) / width);
      }
    }
    return pl;
  }
}

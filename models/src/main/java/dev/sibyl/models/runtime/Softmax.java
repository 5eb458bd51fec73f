package dev.sibyl.models.runtime;

import ai.djl.ndarray.NDArray;

/**
 * Softmax over the last axis, written out for short rows.
 *
 * <p>libtorch's CPU softmax kernel (DJL 0.36's build) takes a slow path for rows shorter than 16
 * values: on this project's 2-core machine, one thread, 3,584 rows (448 sequences x 8 heads, a
 * batched one-token AutoTimes step), it took 550-930 µs for rows of 8 to 15 keys against 117 µs
 * for 16 and 154 µs for 24. The same arithmetic as four elementwise operations (shift by the row's
 * maximum, exp, sum, divide) takes 105-175 µs for those short rows, but three times the kernel's
 * time for long ones (634 against 219 µs at 64 keys). So rows under 16 values take the written-out
 * form and longer rows the kernel. At 7 sequences both cost about 15 µs.
 *
 * <p>The shift does not change the result (softmax is invariant to adding a constant per row) and
 * is taken out of the graph, as the kernel does; masked entries of {@code -inf} give 0, as long as
 * every row holds a finite value.
 */
public final class Softmax {

  /** Rows shorter than this take the written-out form. */
  static final int SHORT_ROW = 16;

  private Softmax() {}

  /**
   * Softmax over the last axis of {@code x}.
   *
   * @param x the scores, at least one axis; every row must hold a finite value
   * @return the probabilities, the shape of {@code x}, in its manager
   */
  public static NDArray lastAxis(NDArray x) {
    int axis = x.getShape().dimension() - 1;
    if (x.getShape().get(axis) >= SHORT_ROW) {
      return x.softmax(axis);
    }
    return writtenOut(x, axis);
  }

  /** {@code exp(x - max) / sum(exp(x - max))} over {@code axis}, the shift out of the graph. */
  static NDArray writtenOut(NDArray x, int axis) {
    int[] along = {axis};
    NDArray e = x.sub(x.max(along, true).stopGradient()).exp();
    return e.div(e.sum(along, true));
  }
}

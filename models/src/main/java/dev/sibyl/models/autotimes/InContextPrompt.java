package dev.sibyl.models.autotimes;

import java.util.Objects;

/**
 * The prompt of AutoTimes' in-context forecasting (Liu et al., NeurIPS 2024, section 4.3): whole
 * segments of a related series (another series of the same domain, or the same series' own
 * earlier history) placed before each context, so that the frozen decoder attends to them as
 * earlier tokens of the sequence. Each window and channel may have a prompt of its own; all have
 * the same number of segments P.
 *
 * <p>Two placements. {@link Placement#EXTEND}: the prompt's P tokens come before the whole
 * context (P + L/S tokens). {@link Placement#FIXED}: the sequence keeps the trained length of L/S
 * tokens, the context shortened to its newest L/S - P segments: the reference's protocol (its
 * in-context test takes a 2-token prompt and a 1-token lookback for a model trained on 3 tokens),
 * which keeps every position inside the trained range.
 *
 * @param values per window and channel, the prompt's values, oldest first, on any scale (each is
 *     standardised by its own statistics); shape (batch, channels, P S); not null
 * @param times per window, the prompt rows' times in epoch milliseconds; shape (batch, P S); null
 *     unless the model writes calendar timestamps, which it then requires
 * @param placement where the prompt goes; not null
 */
public record InContextPrompt(double[][][] values, long[][] times, Placement placement) {

  /** Where the prompt's tokens go relative to the context. */
  public enum Placement {
    /** Before the whole context: P + L/S tokens. */
    EXTEND,
    /** Before the newest L/S - P segments of the context: L/S tokens, as trained. */
    FIXED
  }

  /** Checks for nulls. */
  public InContextPrompt {
    Objects.requireNonNull(values, "values");
    Objects.requireNonNull(placement, "placement");
  }

  /**
   * The number of prompt segments, checked against the windows and the segment length.
   *
   * @param batch the windows in the request
   * @param channels per window, its channels; shape (batch)
   * @param segmentLength S
   * @return P, at least 1
   * @throws IllegalArgumentException naming the expected and actual shapes
   */
  int segments(int batch, int[] channels, int segmentLength) {
    if (values.length != batch) {
      throw new IllegalArgumentException("the prompt needs one entry per window: " + batch + ", got " + values.length);
    }
    int length = values[0].length == 0 ? 0 : values[0][0].length;
    if (length == 0 || length % segmentLength != 0) {
      throw new IllegalArgumentException(
          "the prompt must be a positive multiple of the segment length " + segmentLength + ", got " + length);
    }
    if (times != null && times.length != batch) {
      throw new IllegalArgumentException("the prompt times need one row per window: " + batch + ", got " + times.length);
    }
    for (int b = 0; b < batch; b++) {
      if (values[b].length != channels[b]) {
        throw new IllegalArgumentException(
            "the prompt of window " + b + " needs " + channels[b] + " channels, got " + values[b].length);
      }
      for (double[] v : values[b]) {
        if (v.length != length) {
          throw new IllegalArgumentException(
              "every prompt must have the same length " + length + ", got " + v.length + " in window " + b);
        }
      }
      if (times != null && times[b].length != length) {
        throw new IllegalArgumentException(
            "the prompt times of window " + b + " need " + length + " values, got " + times[b].length);
      }
    }
    return length / segmentLength;
  }
}

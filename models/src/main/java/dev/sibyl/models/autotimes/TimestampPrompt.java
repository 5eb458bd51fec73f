package dev.sibyl.models.autotimes;

/**
 * The timestamp text of a segment, AutoTimes' "timestamps as position embeddings" (Liu et al.,
 * NeurIPS 2024; reference {@code preprocess.py}: {@code "This is Time Series from {start} to
 * {end}"} for every segment of the data set).
 *
 * <p>Departure: the reference writes the absolute calendar times of the segment's first and last
 * points. The training and evaluation windows this project's families receive carry no
 * timestamps (only standardised values), so the times are written relative to the start of the
 * context, in steps: segment {@code j} of length S covers {@code [j S, j S + S - 1]}. The text is
 * therefore the same for every window and changes only with the segment's place, and a streaming
 * session (which counts from its own first segment) needs no calendar either.
 */
public final class TimestampPrompt {

  private TimestampPrompt() {}

  /**
   * The text of a segment.
   *
   * @param index the segment's place from the start of the context, 0-based
   * @param segmentLength S, points per segment
   * @return the text, e.g. {@code This is Time Series from 96 to 191}
   */
  public static String text(int index, int segmentLength) {
    long start = (long) index * segmentLength;
    return "This is Time Series from " + start + " to " + (start + segmentLength - 1);
  }
}

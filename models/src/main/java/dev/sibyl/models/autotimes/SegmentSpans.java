package dev.sibyl.models.autotimes;

import java.util.Arrays;

/**
 * The calendar span (first and last point) of every token of a batch of sequences, prompt tokens
 * first, from which the calendar timestamp texts are written ({@link TimestampPrompt#calendar}).
 * A token cut from observed rows spans its rows' own times; a predicted segment appended by the
 * rollout lies one step after the newest token, the step being the context's mean spacing (exact
 * for regularly sampled data, and the nominal step is all a forecast can know).
 *
 * @param start per sequence, each token's first time, epoch milliseconds; shape (N, P + T)
 * @param end per sequence, each token's last time; shape (N, P + T)
 * @param step per sequence, the spacing of its context, milliseconds; shape (N)
 * @param promptTokens P, the tokens before the context (they never slide)
 */
record SegmentSpans(long[][] start, long[][] end, long[] step, int promptTokens) {

  /**
   * The spans of observed rows.
   *
   * @param contextTimes per sequence, its context rows' times; shape (N, Lc), Lc a multiple of S
   * @param promptTimes per sequence, its prompt rows' times, shape (N, P S); null without a prompt
   * @param s S, points per segment
   * @return the spans
   * @throws IllegalArgumentException when some times do not increase
   */
  static SegmentSpans of(long[][] contextTimes, long[][] promptTimes, int s) {
    int n = contextTimes.length;
    int p = promptTimes == null ? 0 : promptTimes[0].length / s;
    int t = contextTimes[0].length / s;
    long[][] start = new long[n][p + t];
    long[][] end = new long[n][p + t];
    long[] step = new long[n];
    for (int i = 0; i < n; i++) {
      long[] c = contextTimes[i];
      increasing(c, "context");
      if (p > 0) {
        increasing(promptTimes[i], "prompt");
        for (int j = 0; j < p; j++) {
          start[i][j] = promptTimes[i][j * s];
          end[i][j] = promptTimes[i][j * s + s - 1];
        }
      }
      for (int j = 0; j < t; j++) {
        start[i][p + j] = c[j * s];
        end[i][p + j] = c[j * s + s - 1];
      }
      step[i] = c.length > 1 ? (c[c.length - 1] - c[0]) / (c.length - 1) : 0;
    }
    return new SegmentSpans(start, end, step, p);
  }

  private static void increasing(long[] times, String what) {
    for (int k = 1; k < times.length; k++) {
      if (times[k] <= times[k - 1]) {
        throw new IllegalArgumentException(
            "the " + what + " times must increase, got " + times[k - 1] + " then " + times[k] + " at " + k);
      }
    }
  }

  /** The same spans with the context slid by one segment: the oldest dropped, the next appended. */
  SegmentSpans slide() {
    int n = start.length;
    int w = start[0].length;
    long[][] s2 = new long[n][];
    long[][] e2 = new long[n][];
    for (int i = 0; i < n; i++) {
      long[] s = new long[w];
      long[] e = new long[w];
      System.arraycopy(start[i], 0, s, 0, promptTokens);
      System.arraycopy(end[i], 0, e, 0, promptTokens);
      System.arraycopy(start[i], promptTokens + 1, s, promptTokens, w - promptTokens - 1);
      System.arraycopy(end[i], promptTokens + 1, e, promptTokens, w - promptTokens - 1);
      long length = end[i][w - 1] - start[i][w - 1]; // (S - 1) steps
      s[w - 1] = end[i][w - 1] + step[i];
      e[w - 1] = s[w - 1] + length;
      s2[i] = s;
      e2[i] = e;
    }
    return new SegmentSpans(s2, e2, step, promptTokens);
  }

  /** Sequences {@code [from, to)}. */
  SegmentSpans rows(int from, int to) {
    return new SegmentSpans(
        Arrays.copyOfRange(start, from, to), Arrays.copyOfRange(end, from, to), Arrays.copyOfRange(step, from, to), promptTokens);
  }

  /** The texts; row-major (N, P + T). */
  String[] texts() {
    int n = start.length;
    int w = start[0].length;
    String[] out = new String[n * w];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < w; j++) {
        out[i * w + j] = TimestampPrompt.calendar(start[i][j], end[i][j]);
      }
    }
    return out;
  }
}

package dev.sibyl.models.autotimes;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.sibyl.models.backbone.DecoderState;
import dev.sibyl.models.timellm.RevIn;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * Incremental AutoTimes for one series: the decoder's KV cache over the segments seen so far, so
 * that a newly completed segment costs one token of decoding instead of a full pass over the
 * context (the paper's point that streaming is an LLM forecaster's natural home).
 *
 * <p>Standardisation: a full pass standardises each context by its own statistics, which would
 * change every cached token whenever a segment arrives. A session therefore fixes the mean and
 * standard deviation when it is (re)built from a window and standardises the segments appended
 * afterwards with them; its forecasts equal a full recomputation over the same tokens with the
 * same statistics ({@link #recomputed()}), which the tests check to 1e-4.
 *
 * <p>Bound and positions: the cache holds at most {@code stream.max.segments} segments (14 by
 * default, twice the context of 7). Positions are absolute from the session's first segment, as
 * RoPE and the timestamp texts see them in a full pass; appending the segment that would pass the
 * bound rebuilds the session from the newest context (L points, the oldest segments evicted), so
 * positions restart at 0 with fresh statistics, exactly as a new session would be. Why rebuild
 * rather than drop single keys: a cached key carries its RoPE rotation and its attention to every
 * earlier token, so an evicted token cannot be removed from the others' keys without
 * recomputing them; one full pass every {@code max - L/S} segments keeps the amortised cost near
 * one token. Nothing persists: after a restart the caller opens a new session from its window.
 *
 * <p>Not thread-safe (one session per series, owned by its caller); {@link #close()} frees the
 * cache.
 */
public final class AutoTimesSession implements AutoCloseable {

  private final AutoTimes model;
  private final AutoTimesConfig config;
  private final AutoTimesNetwork network;

  /** Raw segments in the cache, oldest first; each shape (S). */
  private final Deque<double[]> history = new ArrayDeque<>();

  /** The KV cache of {@code history}, batch 1; null without the LLM. */
  private DecoderState state;

  private double mean;
  private double std;

  /** The standardised prediction of the segment after the newest one; shape (S). */
  private float[] next;

  private int rebuilds;

  AutoTimesSession(AutoTimes model, double[] values) {
    this.model = model;
    this.config = model.config();
    this.network = model.network();
    if (values.length < config.lookback()) {
      throw new IllegalArgumentException(
          "an autotimes session needs at least the lookback " + config.lookback() + " values, got "
              + values.length);
    }
    rebuild(Arrays.copyOfRange(values, values.length - config.lookback(), values.length));
    rebuilds = 0;
  }

  /**
   * Appends a newly completed segment: one token of decoding, or a rebuild from the newest
   * context when the cache is full.
   *
   * @param segment the segment's observations, oldest first; shape (S)
   * @throws IllegalArgumentException when the segment does not have S values
   * @throws IllegalStateException when the session is closed
   */
  public void append(double[] segment) {
    int s = config.segmentLength();
    if (segment.length != s) {
      throw new IllegalArgumentException("a segment has " + s + " values, got " + segment.length);
    }
    if (next == null) {
      throw new IllegalStateException("the autotimes session is closed");
    }
    if (history.size() >= config.streamMaxSegments()) {
      // evict: the newest context, positions from 0 again
      double[] window = new double[config.lookback()];
      int keep = config.segments() - 1;
      int i = 0;
      int skip = history.size() - keep;
      for (double[] h : history) {
        if (skip-- <= 0) {
          System.arraycopy(h, 0, window, i++ * s, s);
        }
      }
      System.arraycopy(segment, 0, window, keep * s, s);
      rebuild(window);
      rebuilds++;
      return;
    }
    int position = history.size();
    history.addLast(segment.clone());
    next = decode(standardise(segment), 1, position, state);
  }

  /**
   * Forecasts after the newest segment: the cached next segment, then (beyond S steps) the
   * reference rollout from the newest context with that segment appended.
   *
   * @param horizon steps, positive
   * @return shape (horizon), on the data's scale
   */
  public double[] forecast(int horizon) {
    if (horizon < 1) {
      throw new IllegalArgumentException("horizon must be >= 1, got " + horizon);
    }
    if (next == null) {
      throw new IllegalStateException("the autotimes session is closed");
    }
    int s = config.segmentLength();
    double[] first = destandardise(next);
    if (horizon <= s) {
      return Arrays.copyOf(first, horizon);
    }
    int l = config.lookback();
    double[] context = new double[l];
    double[] raw = newest(l - s);
    System.arraycopy(raw, 0, context, 0, l - s);
    System.arraycopy(first, 0, context, l - s, s);
    double[] rest = model.rollout(new double[][] {context}, horizon - s, null)[0];
    double[] out = Arrays.copyOf(first, horizon);
    System.arraycopy(rest, 0, out, s, horizon - s);
    return out;
  }

  /**
   * The next segment by a full recomputation over the same tokens and statistics, with a fresh
   * cache: what {@link #forecast} with horizon S must equal.
   *
   * @return shape (S), on the data's scale
   */
  public double[] recomputed() {
    int s = config.segmentLength();
    float[] tokens = new float[history.size() * s];
    int i = 0;
    for (double[] h : history) {
      float[] z = standardise(h);
      System.arraycopy(z, 0, tokens, i++ * s, s);
    }
    try (DecoderState fresh = network.newState(1)) {
      return destandardise(decode(tokens, history.size(), 0, fresh));
    }
  }

  /** Segments in the cache (the next token's position). */
  public int segments() {
    return history.size();
  }

  /** How many times the bound forced a rebuild. */
  public int rebuilds() {
    return rebuilds;
  }

  /** The newest {@code count} raw values; shape (count). */
  double[] newest(int count) {
    int s = config.segmentLength();
    double[] all = new double[history.size() * s];
    int i = 0;
    for (double[] h : history) {
      System.arraycopy(h, 0, all, i++ * s, s);
    }
    return Arrays.copyOfRange(all, all.length - count, all.length);
  }

  private void rebuild(double[] window) {
    int s = config.segmentLength();
    closeState();
    history.clear();
    double[][] row = {window.clone()};
    RevIn revIn = RevIn.normalise(row);
    mean = revIn.mean(0);
    std = revIn.std(0);
    float[] tokens = new float[window.length];
    for (int k = 0; k < window.length; k++) {
      tokens[k] = (float) row[0][k];
    }
    for (int j = 0; j < window.length / s; j++) {
      history.addLast(Arrays.copyOfRange(window, j * s, (j + 1) * s));
    }
    state = network.newState(1);
    next = decode(tokens, window.length / s, 0, state);
  }

  /** Runs {@code count} tokens from {@code position}; the last one's output, standardised (S). */
  private float[] decode(float[] tokens, int count, int position, DecoderState cache) {
    int s = config.segmentLength();
    try (NDManager inputs = network.manager().newSubManager()) {
      NDArray y = network.forward(inputs, tokens, 1, position, cache); // (1, count, S)
      float[] all = y.toFloatArray();
      return Arrays.copyOfRange(all, (count - 1) * s, count * s);
    }
  }

  private float[] standardise(double[] segment) {
    float[] z = new float[segment.length];
    for (int k = 0; k < segment.length; k++) {
      z[k] = (float) ((segment[k] - mean) / std);
    }
    return z;
  }

  private double[] destandardise(float[] z) {
    double[] y = new double[z.length];
    for (int k = 0; k < z.length; k++) {
      y[k] = z[k] * std + mean;
    }
    return y;
  }

  private void closeState() {
    if (state != null) {
      state.close();
      state = null;
    }
  }

  @Override
  public void close() {
    closeState();
    next = null;
  }
}

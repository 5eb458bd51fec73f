package dev.sibyl.models.smetimes;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.sibyl.models.autotimes.SegmentStreams;
import dev.sibyl.models.backbone.DecoderState;
import dev.sibyl.models.norm.RevIn;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;

/**
 * Incremental SMETimes for one series, AutoTimes' KV-cache path (see {@link
 * dev.sibyl.models.autotimes.AutoTimesSession} for the standardisation fixed at (re)build, the
 * bound and why a full rebuild rather than evicting single keys): a newly completed segment costs
 * one token of decoding, plus, since its prompt depends on its values, one LLM pass over its
 * statistical prompt text when that text is not cached yet ({@link #lastPromptSeconds()}).
 *
 * <p>Not thread-safe (one session per series, owned by its caller); {@link #close()} frees the
 * cache.
 */
public final class SmeTimesSession implements SegmentStreams.Session {

  private final SmeTimes model;
  private final SmeTimesConfig config;
  private final SmeTimesNetwork network;

  /** Raw segments in the cache, oldest first; each shape (S). */
  private final Deque<double[]> history = new ArrayDeque<>();

  private DecoderState state;
  private double mean;
  private double std;

  /** The standardised prediction of the segment after the newest one; shape (S). */
  private float[] next;

  private int rebuilds;
  private double lastPromptSeconds;

  SmeTimesSession(SmeTimes model, double[] values) {
    this.model = model;
    this.config = model.config();
    this.network = model.network();
    if (values.length < config.lookback()) {
      throw new IllegalArgumentException(
          "a smetimes session needs at least the lookback " + config.lookback() + " values, got " + values.length);
    }
    rebuild(Arrays.copyOfRange(values, values.length - config.lookback(), values.length));
    rebuilds = 0;
  }

  /**
   * {@link #append(double[])} with the segment's times, which SMETimes does not read: it writes
   * relative time texts only (it refuses {@code timestamps=calendar}).
   *
   * @param segment the segment's observations, oldest first; shape (S)
   * @param times ignored
   */
  @Override
  public void append(double[] segment, long[] times) {
    append(segment);
  }

  /**
   * Appends a newly completed segment: its prompt embedding (cached or one LLM pass) and one token
   * of decoding, or a rebuild from the newest context when the cache is full.
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
      throw new IllegalStateException("the smetimes session is closed");
    }
    if (history.size() >= config.base().streamMaxSegments()) {
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
    float[] past = past();
    history.addLast(segment.clone());
    next = decode(standardise(segment), prompts(List.of(segment)), 1, position, past, state);
  }

  /**
   * Forecasts after the newest segment: the cached next segment, then (beyond S steps) the
   * rollout from the newest context with that segment appended.
   *
   * @param horizon steps, positive
   * @return shape (horizon), on the data's scale
   */
  public double[] forecast(int horizon) {
    if (horizon < 1) {
      throw new IllegalArgumentException("horizon must be >= 1, got " + horizon);
    }
    if (next == null) {
      throw new IllegalStateException("the smetimes session is closed");
    }
    int s = config.segmentLength();
    double[] first = destandardise(next);
    if (horizon <= s) {
      return Arrays.copyOf(first, horizon);
    }
    int l = config.lookback();
    double[] context = new double[l];
    System.arraycopy(newest(l - s), 0, context, 0, l - s);
    System.arraycopy(first, 0, context, l - s, s);
    double[] rest = model.rollout(new double[][] {context}, horizon - s)[0];
    double[] out = Arrays.copyOf(first, horizon);
    System.arraycopy(rest, 0, out, s, horizon - s);
    return out;
  }

  /**
   * The next segment by a full recomputation over the same tokens, prompts and statistics, with a
   * fresh cache: what {@link #forecast} with horizon S must equal.
   *
   * @return shape (S), on the data's scale
   */
  public double[] recomputed() {
    int s = config.segmentLength();
    float[] tokens = new float[history.size() * s];
    int i = 0;
    for (double[] h : history) {
      System.arraycopy(standardise(h), 0, tokens, i++ * s, s);
    }
    try (DecoderState fresh = network.newState(1)) {
      return destandardise(decode(tokens, prompts(new ArrayList<>(history)), history.size(), 0, null, fresh));
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

  /** Seconds the last append or rebuild spent on prompt embeddings (0 when all were cached). */
  public double lastPromptSeconds() {
    return lastPromptSeconds;
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

  private float[] prompts(List<double[]> segments) {
    if (!config.prompt()) {
      return null;
    }
    double before = network.prompts().computeSeconds();
    float[] p = network.prompts().embeddings(segments);
    lastPromptSeconds = network.prompts().computeSeconds() - before;
    return p;
  }

  private void rebuild(double[] window) {
    int s = config.segmentLength();
    closeState();
    history.clear();
    for (int j = 0; j < window.length / s; j++) {
      history.addLast(Arrays.copyOfRange(window, j * s, (j + 1) * s));
    }
    float[] prompts = prompts(new ArrayList<>(history));
    double[][] row = {window.clone()};
    RevIn revIn = RevIn.normalise(row);
    mean = revIn.mean(0);
    std = revIn.std(0);
    float[] tokens = new float[window.length];
    for (int k = 0; k < window.length; k++) {
      tokens[k] = (float) row[0][k];
    }
    state = network.newState(1);
    next = decode(tokens, prompts, window.length / s, 0, null, state);
  }

  /** The base predictor's view before the next token: the newest B - 1 cached segments, standardised. */
  private float[] past() {
    int s = config.segmentLength();
    int p = Math.min(history.size(), config.baseSegments() - 1);
    float[] out = new float[p * s];
    int skip = history.size() - p;
    int i = 0;
    for (double[] h : history) {
      if (skip-- <= 0) {
        System.arraycopy(standardise(h), 0, out, i++ * s, s);
      }
    }
    return out;
  }

  /**
   * Runs {@code count} tokens from {@code position}; the last one's output, standardised (S).
   * {@code past}: the base predictor's segments before the first token, (P, S), or null.
   */
  private float[] decode(
      float[] tokens, float[] prompts, int count, int position, float[] past, DecoderState cache) {
    int s = config.segmentLength();
    try (NDManager inputs = network.manager().newSubManager()) {
      NDArray y = network.forward(inputs, tokens, prompts, 1, position, past, cache).prediction(); // (1, count, S)
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

package dev.sibyl.models.autotimes;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import dev.sibyl.models.api.WindowModel;
import dev.sibyl.models.artifact.Weights;
import dev.sibyl.models.backbone.DecoderState;
import dev.sibyl.models.backbone.PinnedBackbone;
import dev.sibyl.models.norm.RevIn;
import java.util.Arrays;
import java.util.Map;

/**
 * AutoTimes: Liu, Qin, Huang, Wang &amp; Long, "AutoTimes: Autoregressive Time Series Forecasters
 * via Large Language Models", NeurIPS 2024 (reference code thuml/AutoTimes, {@code
 * models/AutoTimes_Llama.py}, {@code exp/exp_long_term_forecasting.py}).
 *
 * <p>Per channel (channel-independent, shared weights): the context is standardised by its own mean
 * and standard deviation ({@code use_norm}), cut into segments of 96 points (7 tokens at L = 672),
 * each embedded into the backbone's width ({@link SegmentMlp}); the timestamp text of each segment
 * ({@link TimestampPrompt}), embedded once by the frozen LLM and cached ({@link
 * TimestampEmbeddings}), is L2-normalised and added, with a learned scale, to the L2-normalised
 * segment embedding; the frozen decoder runs causally over the tokens; the segment projection maps
 * every hidden state to the next 96 points. Training is next-token prediction at every position.
 * One model serves every horizon: predict a segment, slide the context by it (dropping the oldest
 * segment and standardising the new context again), repeat, trim to H, exactly as the reference's
 * test loop.
 *
 * <p>Departures: the backbone is any {@link dev.sibyl.models.backbone.Decoder} (the paper uses
 * LLaMA-7B; here stories260K, width 64); the timestamp texts are relative to the context by
 * default ({@code timestamps=relative}, which artifacts trained before calendar times keep) and
 * the reference's calendar texts only with {@code timestamps=calendar}, which then needs every
 * window's times (see {@link TimestampPrompt}); the embedding and projection MLPs have at most
 * one hidden layer and no dropout; the {@code llm=false} ablation maps each segment's embedding
 * straight to the projection. In-context forecasting ({@link #predictInContext}, the paper's
 * section 4.3) standardises the prompt by its own statistics (the reference standardises prompt
 * and lookback together, but its prompts come from the same series; a related series may have
 * another scale), and offers two placements ({@link InContextPrompt}): the reference's, which
 * keeps the trained number of tokens by shortening the lookback, and one that puts the prompt
 * before the whole lookback.
 *
 * <p>The model holds the loaded backbone and its parameters in native memory for its lifetime (a
 * {@link WindowModel} has no close). {@link #predict} is thread-safe: each call works in its own
 * scope and state. Incremental decoding for streaming lives in {@link AutoTimesSession}.
 */
public final class AutoTimes implements WindowModel {

  /** The family name. */
  public static final String FAMILY = "autotimes";

  /** Windows x channels per forward pass in {@link #predict}, bounding native memory. */
  static final int PREDICT_ROWS = 256;

  private final AutoTimesConfig config;
  private final String version;
  private final PinnedBackbone backbone;
  private final AutoTimesNetwork network;
  private final long trainable;

  AutoTimes(
      AutoTimesConfig config,
      String version,
      PinnedBackbone backbone,
      TimestampEmbeddings timestamps,
      Map<String, Weights.Tensor> weights) {
    this.config = config;
    this.version = version;
    this.backbone = backbone;
    this.network = new AutoTimesNetwork(config, backbone.decoder(), timestamps, weights);
    this.trainable = network.size();
  }

  /** The configuration. */
  public AutoTimesConfig config() {
    return config;
  }

  PinnedBackbone backbone() {
    return backbone;
  }

  AutoTimesNetwork network() {
    return network;
  }

  /**
   * How many timestamp texts went through the LLM so far; every other use was a cache hit.
   *
   * @return the count
   */
  public int timestampTextsComputed() {
    return network.timestamps().computed();
  }

  /** The trained parameters, in artifact order; copies. */
  public Map<String, Weights.Tensor> weights() {
    return network.weights();
  }

  @Override
  public String family() {
    return FAMILY;
  }

  @Override
  public String version() {
    return version;
  }

  @Override
  public int lookback() {
    return config.lookback();
  }

  @Override
  public int horizon() {
    return config.horizon();
  }

  /** Channel-independent: any number of channels. */
  @Override
  public int channels() {
    return 0;
  }

  /** One model for every horizon: it rolls its own output forward. */
  @Override
  public boolean autoregressive() {
    return true;
  }

  @Override
  public Map<String, String> hyperparameters() {
    return config.toMap();
  }

  @Override
  public long parametersTrainable() {
    return trainable;
  }

  /** The trainable parameters plus every backbone weight (the token table counted once). */
  @Override
  public long parametersTotal() {
    return trainable + backbone.parameters();
  }

  /**
   * {@inheritDoc}
   *
   * <p>Every channel of every window is one row; rows go through the network {@value
   * #PREDICT_ROWS} at a time, one full pass per 96 steps of the horizon.
   *
   * @throws IllegalStateException when the model writes calendar timestamps: use {@link
   *     #predict(double[][][], long[][], int)} with the windows' times
   */
  @Override
  public double[][][] predict(double[][][] windows, int horizon) {
    WindowModel.checkRequest(this, windows, horizon);
    requireRelative();
    return predictRows(windows, null, horizon, null);
  }

  /**
   * Forecasts windows whose rows carry calendar times: with {@code timestamps=calendar} each
   * segment's text is written from its rows' times (the rollout's predicted segments from the
   * times that follow); in the other modes the times are not used.
   *
   * @param windows shape (batch, channels, lookback)
   * @param times per window, its rows' times in epoch milliseconds, increasing; shape (batch,
   *     lookback); may be null unless the model writes calendar timestamps
   * @param horizon any positive number of steps
   * @return shape (batch, channels, horizon)
   * @throws IllegalArgumentException when a shape is wrong, times are missing in calendar mode,
   *     or some times do not increase
   */
  @Override
  public double[][][] predict(double[][][] windows, long[][] times, int horizon) {
    WindowModel.checkRequest(this, windows, horizon);
    checkTimes(windows, times);
    return predictRows(windows, config.calendar() ? times : null, horizon, null);
  }

  /**
   * In-context forecasting with one prompt for every window and channel, before the whole
   * context; see {@link #predictInContext}.
   *
   * @param windows shape (batch, channels, lookback)
   * @param horizon any positive number of steps
   * @param prompt the related series, a positive multiple of the segment length; shape (P * S),
   *     standardised by its own statistics; not null
   * @return shape (batch, channels, horizon)
   * @throws IllegalArgumentException when the prompt is empty, not whole segments, or would pass
   *     the backbone's maximum sequence length
   * @throws IllegalStateException when the model writes calendar timestamps (the prompt has no
   *     times here)
   */
  public double[][][] predictWithPrompt(double[][][] windows, int horizon, double[] prompt) {
    double[][][] values = new double[windows.length][][];
    for (int b = 0; b < windows.length; b++) {
      values[b] = new double[windows[b].length][];
      Arrays.fill(values[b], prompt);
    }
    requireRelative();
    return predictInContext(windows, null, horizon, new InContextPrompt(values, null, InContextPrompt.Placement.EXTEND));
  }

  /**
   * In-context forecasting (the paper's section 4.3): segments of a related series placed before
   * every context as a prompt ({@link InContextPrompt}), each standardised by its own statistics
   * (the context keeps its own, as without a prompt). The prompt stays in place through the
   * rollout; the context slides after it. With relative timestamps the prompt takes the first
   * positions and the context follows; with calendar timestamps every token's text is written
   * from its own times, the prompt's included.
   *
   * @param windows shape (batch, channels, lookback)
   * @param times per window its rows' times, shape (batch, lookback); required in calendar mode
   *     (with the prompt's times), else may be null
   * @param horizon any positive number of steps
   * @param prompt the prompt; not null
   * @return shape (batch, channels, horizon)
   * @throws IllegalArgumentException when a shape is wrong, the prompt is not whole segments, a
   *     fixed placement leaves no context segment, the sequence would pass the backbone's maximum
   *     length, or times are missing in calendar mode
   */
  public double[][][] predictInContext(double[][][] windows, long[][] times, int horizon, InContextPrompt prompt) {
    WindowModel.checkRequest(this, windows, horizon);
    int[] channels = new int[windows.length];
    for (int b = 0; b < windows.length; b++) {
      channels[b] = windows[b].length;
    }
    int p = prompt.segments(windows.length, channels, config.segmentLength());
    int t = config.segments();
    if (prompt.placement() == InContextPrompt.Placement.FIXED && p >= t) {
      throw new IllegalArgumentException(
          "a fixed placement keeps " + t + " tokens: the prompt must be shorter than " + t + " segments, got " + p);
    }
    int tokens = prompt.placement() == InContextPrompt.Placement.FIXED ? t : p + t;
    if (config.llm() && tokens > backbone.decoder().config().maxSeqLen()) {
      throw new IllegalArgumentException(
          "prompt and context make " + tokens + " tokens, more than the backbone's maxSeqLen "
              + backbone.decoder().config().maxSeqLen());
    }
    checkTimes(windows, times);
    if (config.calendar() && prompt.times() == null) {
      throw new IllegalArgumentException("autotimes with timestamps=calendar needs the prompt's times");
    }
    return predictRows(windows, config.calendar() ? times : null, horizon, prompt);
  }

  private void requireRelative() {
    if (config.calendar()) {
      throw new IllegalStateException(
          "autotimes with timestamps=calendar writes each segment's text from its times: call"
              + " predict(windows, times, horizon) with the windows' times");
    }
  }

  private void checkTimes(double[][][] windows, long[][] times) {
    if (times == null) {
      if (config.calendar()) {
        throw new IllegalArgumentException("autotimes with timestamps=calendar needs the windows' times");
      }
      return;
    }
    if (times.length != windows.length) {
      throw new IllegalArgumentException("expected times for " + windows.length + " windows, got " + times.length);
    }
    for (long[] w : times) {
      if (w.length != config.lookback()) {
        throw new IllegalArgumentException(
            "each window needs " + config.lookback() + " times (the lookback), got " + w.length);
      }
    }
  }

  /**
   * Flattens windows x channels into rows, cuts the contexts for a fixed placement, and rolls the
   * rows out {@value #PREDICT_ROWS} at a time.
   *
   * @param times per window, shape (batch, L); null unless calendar
   * @param prompt null for none
   */
  private double[][][] predictRows(double[][][] windows, long[][] times, int horizon, InContextPrompt prompt) {
    int rows = 0;
    for (double[][] w : windows) {
      rows += w.length;
    }
    int l = config.lookback();
    int keep = l;
    if (prompt != null && prompt.placement() == InContextPrompt.Placement.FIXED) {
      keep = l - prompt.values()[0][0].length;
    }
    double[][] x = new double[rows][];
    long[][] xt = times == null ? null : new long[rows][];
    double[][] px = prompt == null ? null : new double[rows][];
    long[][] pt = prompt == null || times == null ? null : new long[rows][];
    int r = 0;
    for (int b = 0; b < windows.length; b++) {
      for (int c = 0; c < windows[b].length; c++) {
        x[r] = keep == l ? windows[b][c] : Arrays.copyOfRange(windows[b][c], l - keep, l);
        if (xt != null) {
          xt[r] = keep == l ? times[b] : Arrays.copyOfRange(times[b], l - keep, l);
        }
        if (px != null) {
          px[r] = prompt.values()[b][c];
        }
        if (pt != null) {
          pt[r] = prompt.times()[b];
        }
        r++;
      }
    }
    double[][] y = new double[rows][];
    for (int first = 0; first < rows; first += PREDICT_ROWS) {
      int to = Math.min(rows, first + PREDICT_ROWS);
      SegmentSpans spans =
          xt == null
              ? null
              : SegmentSpans.of(Arrays.copyOfRange(xt, first, to), pt == null ? null : Arrays.copyOfRange(pt, first, to), config.segmentLength());
      double[][] out =
          rollout(Arrays.copyOfRange(x, first, to), horizon, px == null ? null : Arrays.copyOfRange(px, first, to), spans);
      System.arraycopy(out, 0, y, first, out.length);
    }
    double[][][] result = new double[windows.length][][];
    r = 0;
    for (int b = 0; b < windows.length; b++) {
      result[b] = new double[windows[b].length][];
      for (int c = 0; c < windows[b].length; c++) {
        result[b][c] = y[r++];
      }
    }
    return result;
  }

  /**
   * The reference's rollout: predict one segment, slide the context by it, standardise again,
   * repeat; trim to H.
   *
   * @param rows contexts on the data's scale, whole segments; shape (N, Lc), not modified
   * @param prompts per row a prompt placed before its context; shape (N, P S); null for none
   * @param spans the tokens' calendar spans (prompt first), null for relative texts
   * @return shape (N, horizon)
   */
  double[][] rollout(double[][] rows, int horizon, double[][] prompts, SegmentSpans spans) {
    int n = rows.length;
    int l = rows[0].length;
    int s = config.segmentLength();
    int steps = (horizon + s - 1) / s;
    double[][] context = new double[n][];
    for (int i = 0; i < n; i++) {
      context[i] = rows[i].clone();
    }
    double[][] out = new double[n][horizon];
    for (int step = 0; step < steps; step++) {
      double[][] next = nextSegment(context, prompts, spans); // (N, S) on the data's scale
      for (int i = 0; i < n; i++) {
        int from = step * s;
        System.arraycopy(next[i], 0, out[i], from, Math.min(s, horizon - from));
        // slide: drop the oldest segment, append the prediction
        double[] c = new double[l];
        System.arraycopy(context[i], s, c, 0, l - s);
        System.arraycopy(next[i], 0, c, l - s, s);
        context[i] = c;
      }
      spans = spans == null ? null : spans.slide();
    }
    return out;
  }

  /**
   * One full pass: the segment after each context.
   *
   * @param contexts on the data's scale, whole segments; shape (N, Lc), not modified
   * @param prompts per row a related series placed before its context; shape (N, P S); or null
   * @param spans the tokens' calendar spans (prompt first), null for relative texts
   * @return shape (N, S), on the data's scale
   */
  double[][] nextSegment(double[][] contexts, double[][] prompts, SegmentSpans spans) {
    int n = contexts.length;
    int s = config.segmentLength();
    double[][] x = new double[n][];
    for (int i = 0; i < n; i++) {
      x[i] = contexts[i].clone();
    }
    RevIn revIn = RevIn.normalise(x);
    float[] tokens = tokens(x, prompts);
    float[] last;
    String[] texts = spans == null ? null : spans.texts(); // (N, T)
    if (texts != null) {
      network.timestamps().embed(texts); // new texts' LLM passes outside the pass's scope
    }
    try (NDScope scope = new NDScope();
        DecoderState state = network.newState(n)) {
      NDArray y = // (N, 1, S): the newest token's prediction
          texts == null
              ? network.forward(network.manager(), tokens, n, 0, state, true)
              : network.forward(network.manager(), tokens, n, texts, state, true);
      last = y.toFloatArray();
    }
    double[][] out = new double[n][s];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < s; k++) {
        out[i][k] = last[i * s + k];
      }
      revIn.denormalise(i, out[i]);
    }
    return out;
  }

  /** Row-major (N, P + Lc / S, S) tokens: each row's standardised prompt (if any), then its context. */
  private static float[] tokens(double[][] normalised, double[][] prompts) {
    int n = normalised.length;
    int l = normalised[0].length;
    double[][] p = null;
    int pl = 0;
    if (prompts != null) {
      p = new double[n][];
      for (int i = 0; i < n; i++) {
        p[i] = prompts[i].clone();
      }
      RevIn.normalise(p);
      pl = p[0].length;
    }
    int width = pl + l;
    float[] out = new float[n * width];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < pl; k++) {
        out[i * width + k] = (float) p[i][k];
      }
      for (int k = 0; k < l; k++) {
        out[i * width + pl + k] = (float) normalised[i][k];
      }
    }
    return out;
  }

  /**
   * Opens a streaming session for one series: the decoder's KV cache over its segments, so that a
   * newly completed segment costs one token of decoding.
   *
   * @param values at least the lookback's worth of the newest observations; the last L are used
   * @return the session; the caller closes it
   * @throws IllegalArgumentException when there are fewer than L values
   */
  public AutoTimesSession openSession(double[] values) {
    return new AutoTimesSession(this, new double[][] {values}, null);
  }

  /**
   * Opens a streaming session for one series with the times of its values, which a model with
   * calendar timestamps needs (the other modes ignore them).
   *
   * @param values at least the lookback's worth of the newest observations; the last L are used
   * @param times the values' times, epoch milliseconds, increasing; shape (values.length); null
   *     unless calendar
   * @return the session; the caller closes it
   * @throws IllegalArgumentException when there are fewer than L values, or the times are missing
   *     in calendar mode
   */
  public AutoTimesSession openSession(double[] values, long[] times) {
    return new AutoTimesSession(this, new double[][] {values}, times);
  }

  /**
   * Opens a streaming session for several series that complete their segments together, decoded
   * as one batch.
   *
   * @param values per series at least the lookback's worth of the newest observations; shape
   *     (rows, n), the last L of each used
   * @return the session; the caller closes it
   * @throws IllegalArgumentException when there is no series or one has fewer than L values
   */
  public AutoTimesSession openSession(double[][] values) {
    return new AutoTimesSession(this, values, null);
  }

  @Override
  public String toString() {
    return "AutoTimes[L=" + lookback() + ", S=" + config.segmentLength() + ", llm=" + config.llm() + "]";
  }
}

package dev.sibyl.models.autotimes;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.sibyl.models.backbone.DecoderState;
import dev.sibyl.models.norm.RevIn;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
 * <p>Calendar timestamps ({@code timestamps=calendar}): the session keeps the times of its
 * segments beside their values, writes each token's text from its own first and last time, and
 * the rollout past the cached segment continues the clock by the context's mean spacing. In the
 * other modes times are not needed and, when given, ignored.
 *
 * <p>A session may hold several series that complete their segments together (sensors sampled
 * on one clock): they share one batched cache and each append decodes one token per series in one
 * pass. Sessions of different series can also be decoded together ({@link #appendEach}, {@link
 * #openEach}): their caches are stacked along the batch axis for the pass (left-padded where they
 * hold different numbers of segments) and handed back after it, so that a worker serving many
 * series decodes their new tokens in one decoder call. Not thread-safe (owned by its caller); {@link #close()}
 * frees the cache.
 */
public final class AutoTimesSession implements SegmentStreams.Session {

  private final AutoTimes model;
  private final AutoTimesConfig config;
  private final AutoTimesNetwork network;
  private final int rows;

  /** Raw segments in the cache, oldest first; each shape (rows, S). */
  private final Deque<double[][]> history = new ArrayDeque<>();

  /** The times of each segment in {@code history}, shape (S) each; null unless calendar. */
  private final Deque<long[]> clock;

  /** The KV cache of {@code history}, batch {@code rows}; null without the LLM. */
  private DecoderState state;

  private double[] mean; // (rows)
  private double[] std; // (rows)

  /** The standardised prediction of the segment after the newest one; row-major (rows, S). */
  private float[] next;

  private int rebuilds;

  /** Tokens staged for the next decode, standardised, row-major (rows, stagedCount, S); or null. */
  private float[] staged;

  private int stagedCount;

  /** The position of the first staged token (0 when the cache restarts). */
  private int stagedPosition;

  /** The staged tokens' calendar texts, row-major (rows, stagedCount); null for relative texts. */
  private String[] stagedTexts;

  /**
   * @param values per series at least L newest values; shape (rows, n)
   * @param times the series' shared clock, the times of the newest values (the last L used);
   *     null unless the model writes calendar timestamps
   */
  AutoTimesSession(AutoTimes model, double[][] values, long[] times) {
    this(model, values, times, true);
  }

  /** Opens a session; without {@code decode} its first pass is staged for {@link #decodeStaged}. */
  private AutoTimesSession(AutoTimes model, double[][] values, long[] times, boolean decode) {
    this.model = model;
    this.config = model.config();
    this.network = model.network();
    this.rows = values.length;
    this.clock = config.calendar() ? new ArrayDeque<>() : null;
    if (rows < 1) {
      throw new IllegalArgumentException("an autotimes session needs at least one series");
    }
    int l = config.lookback();
    double[][] window = new double[rows][];
    for (int r = 0; r < rows; r++) {
      if (values[r].length < l) {
        throw new IllegalArgumentException(
            "an autotimes session needs at least the lookback " + l + " values, got " + values[r].length);
      }
      window[r] = Arrays.copyOfRange(values[r], values[r].length - l, values[r].length);
    }
    long[] windowTimes = null;
    if (clock != null) {
      if (times == null || times.length < l) {
        throw new IllegalArgumentException(
            "autotimes with timestamps=calendar needs the times of the newest " + l + " values, got "
                + (times == null ? "none" : times.length));
      }
      windowTimes = Arrays.copyOfRange(times, times.length - l, times.length);
    }
    stageRebuild(window, windowTimes);
    if (decode) {
      decodeStaged(List.of(this));
    }
  }

  /**
   * Opens one session per entry and runs their first passes together: one decoder call over all
   * their rows (the sessions all start at position 0). Each session equals one opened alone.
   *
   * @param model the model; not null
   * @param values per session, its series' newest observations; each shape (rows_i, n), n &gt;= L
   * @param times per session the times of its newest values (null entries, or a null list,
   *     unless the model writes calendar timestamps)
   * @return the sessions, in order; the caller closes them
   * @throws IllegalArgumentException as {@link AutoTimes#openSession(double[][])}
   */
  static List<AutoTimesSession> openEach(AutoTimes model, List<double[][]> values, List<long[]> times) {
    List<AutoTimesSession> opened = new ArrayList<>(values.size());
    try {
      for (int i = 0; i < values.size(); i++) {
        opened.add(new AutoTimesSession(model, values.get(i), times == null ? null : times.get(i), false));
      }
      decodeStaged(opened);
    } catch (RuntimeException e) {
      for (AutoTimesSession s : opened) {
        s.close();
      }
      throw e;
    }
    return opened;
  }

  /**
   * Appends one newly completed segment to each session, as {@link #append(double[][])} would one
   * at a time, but decodes the new tokens of all of them in one decoder call (their caches stacked
   * along the batch axis, whatever their lengths), and the sessions that reach their bound in one
   * rebuild pass. A session may appear once.
   *
   * @param sessions open sessions of this model, each at most once; not null
   * @param segments per session its segments; each shape (rows_i, S)
   * @param times per session its segment's times, shape (S) (null entries, or a null list,
   *     unless the model writes calendar timestamps)
   * @throws IllegalArgumentException when the lists differ in size or a shape is wrong
   * @throws IllegalStateException when a session is closed; after a failure of the decoder the
   *     sessions are inconsistent and must be closed
   */
  static void appendEach(List<AutoTimesSession> sessions, List<double[][]> segments, List<long[]> times) {
    if (sessions.size() != segments.size()) {
      throw new IllegalArgumentException(
          sessions.size() + " sessions but " + segments.size() + " segment blocks");
    }
    for (int i = 0; i < sessions.size(); i++) {
      sessions.get(i).check(segments.get(i), times == null ? null : times.get(i));
    }
    for (int i = 0; i < sessions.size(); i++) {
      sessions.get(i).stageAppend(segments.get(i), times == null ? null : times.get(i));
    }
    decodeStaged(sessions);
  }

  /**
   * Appends a newly completed segment of a one-series session; see {@link #append(double[][])}.
   *
   * @param segment the segment's observations, oldest first; shape (S)
   */
  public void append(double[] segment) {
    append(new double[][] {segment});
  }

  /**
   * Appends a newly completed segment of a one-series session with its times; see {@link
   * #append(double[][], long[])}.
   *
   * @param segment the segment's observations, oldest first; shape (S)
   * @param times their times, epoch milliseconds; shape (S); null unless calendar
   */
  public void append(double[] segment, long[] times) {
    append(new double[][] {segment}, times);
  }

  /**
   * Appends a newly completed segment of every series: one token of decoding per series, or a
   * rebuild from the newest context when the cache is full.
   *
   * @param segments the segments' observations, oldest first; shape (rows, S)
   * @throws IllegalArgumentException when the shape is not (rows, S)
   * @throws IllegalStateException when the session is closed
   */
  public void append(double[][] segments) {
    append(segments, null);
  }

  /**
   * Appends a newly completed segment of every series with the times of its points, which a
   * model with calendar timestamps writes into the segment's text (the other modes ignore them).
   *
   * @param segments the segments' observations, oldest first; shape (rows, S)
   * @param times the segments' shared times, epoch milliseconds; shape (S); null unless calendar
   * @throws IllegalArgumentException when a shape is wrong or the times are missing in calendar
   *     mode
   * @throws IllegalStateException when the session is closed
   */
  public void append(double[][] segments, long[] times) {
    check(segments, times);
    stageAppend(segments, times);
    decodeStaged(List.of(this));
  }

  private void check(double[][] segments, long[] times) {
    int s = config.segmentLength();
    if (clock != null && (times == null || times.length != s)) {
      throw new IllegalArgumentException(
          "autotimes with timestamps=calendar needs the " + s + " times of the segment, got "
              + (times == null ? "none" : times.length));
    }
    if (segments.length != rows) {
      throw new IllegalArgumentException("the session holds " + rows + " series, got " + segments.length + " segments");
    }
    for (double[] segment : segments) {
      if (segment.length != s) {
        throw new IllegalArgumentException("a segment has " + s + " values, got " + segment.length);
      }
    }
    if (next == null) {
      throw new IllegalStateException("the autotimes session is closed");
    }
  }

  /** Stages one segment per series, or a rebuild from the newest context at the bound. */
  private void stageAppend(double[][] segments, long[] times) {
    int s = config.segmentLength();
    if (history.size() >= config.streamMaxSegments()) {
      // evict: the newest context, positions from 0 again
      int keep = config.segments() - 1;
      double[][] window = new double[rows][];
      for (int r = 0; r < rows; r++) {
        double[] w = new double[config.lookback()];
        System.arraycopy(newestRow(r, keep * s), 0, w, 0, keep * s);
        System.arraycopy(segments[r], 0, w, keep * s, s);
        window[r] = w;
      }
      long[] windowTimes = null;
      if (clock != null) {
        windowTimes = new long[config.lookback()];
        System.arraycopy(newestTimes(keep * s), 0, windowTimes, 0, keep * s);
        System.arraycopy(times, 0, windowTimes, keep * s, s);
      }
      stageRebuild(window, windowTimes);
      rebuilds++;
      return;
    }
    int position = history.size();
    double[][] copy = new double[rows][];
    float[] tokens = new float[rows * s];
    for (int r = 0; r < rows; r++) {
      copy[r] = segments[r].clone();
      for (int k = 0; k < s; k++) {
        tokens[r * s + k] = (float) ((segments[r][k] - mean[r]) / std[r]);
      }
    }
    history.addLast(copy);
    staged = tokens;
    stagedCount = 1;
    stagedPosition = position;
    stagedTexts = null;
    if (clock != null) {
      clock.addLast(times.clone());
      stagedTexts = texts(List.of(times));
    }
  }

  /**
   * Forecasts a one-series session; see {@link #forecastAll(int)}.
   *
   * @param horizon steps, positive
   * @return shape (horizon), on the data's scale
   */
  public double[] forecast(int horizon) {
    if (rows != 1) {
      throw new IllegalStateException("the session holds " + rows + " series: use forecastAll");
    }
    return forecastAll(horizon)[0];
  }

  /**
   * Forecasts after the newest segment of every series: the cached next segment, then (beyond S
   * steps) the reference rollout from the newest context with that segment appended.
   *
   * @param horizon steps, positive
   * @return shape (rows, horizon), on the data's scale
   */
  public double[][] forecastAll(int horizon) {
    return forecastEach(List.of(this), new int[] {horizon}).get(0);
  }

  /**
   * {@link #forecastAll} of several sessions, with the rollouts beyond the cached segment of all
   * of them in shared passes ({@link AutoTimes#PREDICT_ROWS} rows at a time).
   *
   * @param sessions open sessions of one model; not null
   * @param horizons per session its horizon, each positive
   * @return per session shape (rows_i, horizons[i]), on the data's scale
   * @throws IllegalArgumentException when a horizon is not positive or the sizes differ
   * @throws IllegalStateException when a session is closed
   */
  static List<double[][]> forecastEach(List<AutoTimesSession> sessions, int[] horizons) {
    if (sessions.size() != horizons.length) {
      throw new IllegalArgumentException(sessions.size() + " sessions but " + horizons.length + " horizons");
    }
    List<double[][]> out = new ArrayList<>(sessions.size());
    List<double[]> contexts = new ArrayList<>();
    List<long[]> contextTimes = new ArrayList<>(); // calendar only
    int longest = 0;
    for (int i = 0; i < sessions.size(); i++) {
      AutoTimesSession x = sessions.get(i);
      int horizon = horizons[i];
      if (horizon < 1) {
        throw new IllegalArgumentException("horizon must be >= 1, got " + horizon);
      }
      if (x.next == null) {
        throw new IllegalStateException("the autotimes session is closed");
      }
      int s = x.config.segmentLength();
      int l = x.config.lookback();
      double[][] first = x.destandardise(x.next);
      double[][] f = new double[x.rows][];
      for (int r = 0; r < x.rows; r++) {
        f[r] = Arrays.copyOf(first[r], horizon);
        if (horizon > s) {
          // beyond the cached segment: the reference rollout from the newest context with it
          double[] context = new double[l];
          System.arraycopy(x.newestRow(r, l - s), 0, context, 0, l - s);
          System.arraycopy(first[r], 0, context, l - s, s);
          contexts.add(context);
          if (x.clock != null) {
            contextTimes.add(x.rolledTimes());
          }
          longest = Math.max(longest, horizon - s);
        }
      }
      out.add(f);
    }
    if (contexts.isEmpty()) {
      return out;
    }
    AutoTimes model = sessions.get(0).model;
    int s = model.config().segmentLength();
    double[][] rest = new double[contexts.size()][];
    for (int from = 0; from < rest.length; from += AutoTimes.PREDICT_ROWS) {
      int to = Math.min(rest.length, from + AutoTimes.PREDICT_ROWS);
      SegmentSpans spans =
          contextTimes.isEmpty() ? null : SegmentSpans.of(contextTimes.subList(from, to).toArray(new long[0][]), null, s);
      double[][] part = model.rollout(contexts.subList(from, to).toArray(new double[0][]), longest, null, spans);
      System.arraycopy(part, 0, rest, from, part.length);
    }
    int c = 0;
    for (int i = 0; i < sessions.size(); i++) {
      if (horizons[i] > s) {
        for (double[] f : out.get(i)) {
          System.arraycopy(rest[c++], 0, f, s, horizons[i] - s);
        }
      }
    }
    return out;
  }

  /**
   * The next segment of a one-series session by full recomputation; see {@link #recomputedAll()}.
   *
   * @return shape (S), on the data's scale
   */
  public double[] recomputed() {
    return recomputedAll()[0];
  }

  /**
   * The next segment of every series by a full recomputation over the same tokens and statistics,
   * with a fresh cache: what {@link #forecastAll} with horizon S must equal.
   *
   * @return shape (rows, S), on the data's scale
   */
  public double[][] recomputedAll() {
    int s = config.segmentLength();
    int t = history.size();
    float[] tokens = new float[rows * t * s];
    int j = 0;
    for (double[][] h : history) {
      for (int r = 0; r < rows; r++) {
        for (int k = 0; k < s; k++) {
          tokens[(r * t + j) * s + k] = (float) ((h[r][k] - mean[r]) / std[r]);
        }
      }
      j++;
    }
    // every token's output, as training computes them, the newest token's kept: the sessions'
    // passes compute that token alone in the last block, so this checks them too
    String[] texts = clock == null ? null : texts(clock);
    try (DecoderState fresh = network.newState(rows);
        NDManager inputs = network.manager().newSubManager()) {
      float[] all = // (rows, t, S)
          (texts == null
                  ? network.forward(inputs, tokens, new int[rows], fresh, false)
                  : network.forward(inputs, tokens, rows, texts, fresh, false))
              .toFloatArray();
      float[] last = new float[rows * s];
      for (int r = 0; r < rows; r++) {
        System.arraycopy(all, (r * t + t - 1) * s, last, r * s, s);
      }
      return destandardise(last);
    }
  }

  /** Series in the session. */
  public int rows() {
    return rows;
  }

  /** Segments in the cache (the next token's position). */
  public int segments() {
    return history.size();
  }

  /** The KV cache, for tests; null without the LLM. */
  DecoderState decoderState() {
    return state;
  }

  /** How many times the bound forced a rebuild. */
  public int rebuilds() {
    return rebuilds;
  }

  /** The newest {@code count} raw values of series {@code r}; shape (count). */
  private double[] newestRow(int r, int count) {
    int s = config.segmentLength();
    double[] all = new double[history.size() * s];
    int i = 0;
    for (double[][] h : history) {
      System.arraycopy(h[r], 0, all, i++ * s, s);
    }
    return Arrays.copyOfRange(all, all.length - count, all.length);
  }

  /** The newest {@code count} times of the clock; shape (count). */
  private long[] newestTimes(int count) {
    int s = config.segmentLength();
    long[] all = new long[clock.size() * s];
    int i = 0;
    for (long[] c : clock) {
      System.arraycopy(c, 0, all, i++ * s, s);
    }
    return Arrays.copyOfRange(all, all.length - count, all.length);
  }

  /**
   * The times of the rollout's first context: the newest observed times slid by the cached
   * segment, which lies one mean step after the newest point; shape (L).
   */
  private long[] rolledTimes() {
    int s = config.segmentLength();
    int l = config.lookback();
    long[] observed = newestTimes(l);
    long step = (observed[l - 1] - observed[0]) / (l - 1);
    long[] times = new long[l];
    System.arraycopy(observed, s, times, 0, l - s);
    for (int k = 0; k < s; k++) {
      times[l - s + k] = observed[l - 1] + (k + 1) * step;
    }
    return times;
  }

  /** The calendar texts of some segments, the same for every series; row-major (rows, count). */
  private String[] texts(Collection<long[]> segments) {
    int s = config.segmentLength();
    int count = segments.size();
    String[] out = new String[rows * count];
    int j = 0;
    for (long[] c : segments) {
      String text = TimestampPrompt.calendar(c[0], c[s - 1]);
      for (int r = 0; r < rows; r++) {
        out[r * count + j] = text;
      }
      j++;
    }
    return out;
  }

  /**
   * Resets the statistics and history to {@code window} and stages its full pass.
   *
   * @param windowTimes the window's times, shape (L); null unless calendar
   */
  private void stageRebuild(double[][] window, long[] windowTimes) {
    int s = config.segmentLength();
    int l = config.lookback();
    int t = l / s;
    closeState();
    history.clear();
    if (clock != null) {
      clock.clear();
      for (int j = 0; j < t; j++) {
        clock.addLast(Arrays.copyOfRange(windowTimes, j * s, (j + 1) * s));
      }
    }
    double[][] x = new double[rows][];
    for (int r = 0; r < rows; r++) {
      x[r] = window[r].clone();
    }
    RevIn revIn = RevIn.normalise(x);
    mean = new double[rows];
    std = new double[rows];
    float[] tokens = new float[rows * l];
    for (int r = 0; r < rows; r++) {
      mean[r] = revIn.mean(r);
      std[r] = revIn.std(r);
      for (int k = 0; k < l; k++) {
        tokens[r * l + k] = (float) x[r][k];
      }
    }
    for (int j = 0; j < t; j++) {
      double[][] seg = new double[rows][];
      for (int r = 0; r < rows; r++) {
        seg[r] = Arrays.copyOfRange(window[r], j * s, (j + 1) * s);
      }
      history.addLast(seg);
    }
    staged = tokens;
    stagedCount = t;
    stagedPosition = 0;
    stagedTexts = clock == null ? null : texts(clock);
  }

  /**
   * Sessions whose staged passes share one decoder call: the appends (one token per series, at
   * whatever position: {@link DecoderState#concat} pads the shorter caches), and apart from them
   * the full passes of the sessions that (re)start at position 0 with a fresh cache.
   */
  private record Pass(boolean fresh, int count) {}

  /**
   * Runs the staged passes of the sessions, one decoder call per {@link Pass} over their stacked
   * caches, then hands each session its rows of the output and of the cache.
   *
   * <p>Why appends at different positions share a call: a worker's series advance independently,
   * so their caches hold every number of segments between the context and the bound; decoded one
   * call per position, a batch of 64 series cost 7 small calls, each paying the per-call cost
   * again (measured: 53-72 ms against 29-34 ms for the same 64 appends at one position).
   */
  private static void decodeStaged(List<AutoTimesSession> sessions) {
    Map<Pass, List<AutoTimesSession>> passes = new LinkedHashMap<>();
    for (AutoTimesSession s : sessions) {
      if (s.staged != null) {
        passes.computeIfAbsent(new Pass(s.stagedPosition == 0, s.stagedCount), g -> new ArrayList<>()).add(s);
      }
    }
    for (List<AutoTimesSession> pass : passes.values()) {
      // equal positions side by side: concat pads once per run of one position
      pass.sort(Comparator.comparingInt(x -> x.stagedPosition));
      decodePass(pass);
    }
  }

  private static void decodePass(List<AutoTimesSession> group) {
    AutoTimesSession first = group.get(0);
    AutoTimesNetwork network = first.network;
    int s = first.config.segmentLength();
    int count = first.stagedCount;
    boolean fresh = first.stagedPosition == 0;
    // 1. Release the caches that restart; one session alone keeps its own state
    for (AutoTimesSession x : group) {
      if (fresh) {
        x.closeState();
        x.state = network.newState(x.rows);
      }
    }
    // 2. Stack the rows: tokens (sum rows, count, S) row-major, each row's first position, caches
    //    along the batch axis
    int total = 0;
    for (AutoTimesSession x : group) {
      total += x.rows;
    }
    float[] tokens = new float[total * count * s];
    int[] positions = new int[total];
    String[] texts = first.stagedTexts == null ? null : new String[total * count];
    List<DecoderState> states = new ArrayList<>(group.size());
    int at = 0;
    int row = 0;
    int textAt = 0;
    for (AutoTimesSession x : group) {
      System.arraycopy(x.staged, 0, tokens, at, x.staged.length);
      at += x.staged.length;
      Arrays.fill(positions, row, row + x.rows, x.stagedPosition);
      row += x.rows;
      if (texts != null) {
        System.arraycopy(x.stagedTexts, 0, texts, textAt, x.stagedTexts.length);
        textAt += x.stagedTexts.length;
      }
      states.add(x.state);
    }
    if (group.size() == 1) {
      first.next = decode(network, tokens, positions, first.state, texts);
      first.staged = null;
      first.stagedTexts = null;
      return;
    }
    boolean llm = first.state != null;
    try (DecoderState stacked = llm ? (fresh ? network.newState(total) : DecoderState.concat(states)) : null) {
      // 3. One pass for every series of the group
      float[] last = decode(network, tokens, positions, stacked, texts);
      // 4. Each session's rows back: its next segment and its cache
      at = 0;
      for (AutoTimesSession x : group) {
        x.next = Arrays.copyOfRange(last, at, at + x.rows * s);
        at += x.rows * s;
        x.staged = null;
        x.stagedTexts = null;
      }
      if (llm) {
        stacked.splitInto(states);
      }
    }
  }

  /**
   * Runs {@code count} tokens per series, each series from its own position.
   *
   * @param tokens standardised, row-major (rows, count, S)
   * @param positions per series the position of its first token; shape (rows)
   * @param texts the tokens' calendar texts, row-major (rows, count); null for relative texts
   * @return the last token's output per series, standardised; row-major (rows, S)
   */
  private static float[] decode(
      AutoTimesNetwork network, float[] tokens, int[] positions, DecoderState cache, String[] texts) {
    int rows = positions.length;
    try (NDManager inputs = network.manager().newSubManager()) {
      NDArray y = // (rows, 1, S): the newest token's prediction
          texts == null
              ? network.forward(inputs, tokens, positions, cache, true)
              : network.forward(inputs, tokens, rows, texts, cache, true);
      return y.toFloatArray();
    }
  }

  /** Row-major (rows, S) standardised values back on the data's scale. */
  private double[][] destandardise(float[] z) {
    int s = config.segmentLength();
    double[][] y = new double[rows][s];
    for (int r = 0; r < rows; r++) {
      for (int k = 0; k < s; k++) {
        y[r][k] = z[r * s + k] * std[r] + mean[r];
      }
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

package dev.sibyl.models.timellm;

import dev.sibyl.models.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Prompt-as-Prefix of Time-LLM (Jin et al., ICLR 2024; reference {@code models/TimeLLM.py}): the
 * domain description, the task and the input statistics of one normalised window as text, then
 * token ids of a fixed length.
 *
 * <p>The statistics follow the reference: min, max and median of the normalised window, the trend
 * as the sign of the sum of first differences, and the five lags with the largest circular
 * autocorrelation ({@code calcute_lags}: the inverse FFT of {@code |FFT(x)|^2}, lag 0 included, as
 * {@code torch.topk} ranks them). Departures: numbers are written with three decimals (the
 * reference prints full float tensors) so that a prompt is short; a prompt is two parts of fixed
 * length, the text every window shares (BOS, domain, task, "Input statistics:") and the window's
 * statistics, left-padded with the tokenizer's space token, so that every window of a model has
 * the same prefix (the decoder's pass over it is computed once per model, not once per window and
 * channel: it was the costliest step of training) and the patches sit at the same positions (the
 * reference pads a whole prompt per batch and masks nothing either); a fixed length shorter than
 * the prompt keeps its last tokens, cutting the shared part first.
 */
public final class PromptBuilder {

  /** The number of lags in the prompt. */
  public static final int TOP_LAGS = 5;

  private final Tokenizer tokenizer;
  private final String domain;
  private final int lookback;
  private final int horizon;
  private final int pad;
  private final Map<String, int[]> words = new ConcurrentHashMap<>();
  private final int[] shared; // (sharedLength): BOS and the text every window shares, maybe cut
  private final int statisticsLength;

  /** The most words cached (numbers make the vocabulary of prompts open-ended). */
  private static final int WORD_CACHE = 200_000;

  /**
   * Creates a builder.
   *
   * @param tokenizer the backbone's tokenizer; not null
   * @param domain the data set's description; not null
   * @param lookback L
   * @param horizon H
   * @param length token count of every prompt, or 0 to size it for the longest possible statistics
   */
  public PromptBuilder(Tokenizer tokenizer, String domain, int lookback, int horizon, int length) {
    this.tokenizer = tokenizer;
    this.domain = domain;
    this.lookback = lookback;
    this.horizon = horizon;
    int[] space = tokenizer.encode(" ", false, false);
    this.pad = space.length == 1 ? space[0] : 0;
    int[] head = encode(head(), true);
    int[] worst = new int[TOP_LAGS];
    Arrays.fill(worst, lookback - 1);
    // a few tokens of slack: merges differ with the digits
    int natural = encode(statistics(-99.999, -99.999, -99.999, false, worst), false).length + 4;
    if (length <= 0 || length >= head.length + natural) {
      this.statisticsLength = length <= 0 ? natural : length - head.length;
      this.shared = head;
    } else if (length >= natural) {
      this.statisticsLength = natural;
      this.shared = Arrays.copyOfRange(head, head.length - (length - natural), head.length);
    } else {
      this.statisticsLength = length;
      this.shared = new int[0];
    }
  }

  /** The fixed token count of a prompt: {@link #sharedIds()} and {@link #statisticsLength()}. */
  public int length() {
    return shared.length + statisticsLength;
  }

  /** The fixed token count of a window's own part of the prompt (its statistics, padded). */
  public int statisticsLength() {
    return statisticsLength;
  }

  /**
   * The ids every window's prompt starts with: BOS, domain and task (cut from the left when the
   * fixed length is short; possibly empty).
   *
   * @return a copy; shape (length() - statisticsLength())
   */
  public int[] sharedIds() {
    return shared.clone();
  }

  /**
   * The prompt of one normalised window.
   *
   * @param x the window; shape (L)
   * @return the text
   */
  public String prompt(double[] x) {
    return head() + " " + statistics(x);
  }

  private String head() {
    return String.format(
        Locale.ROOT,
        "Dataset description: %s. Task description: forecast the next %d steps given the previous"
            + " %d steps information; Input statistics:",
        domain, horizon, lookback);
  }

  private static String statistics(double min, double max, double median, boolean up, int[] lags) {
    StringBuilder l = new StringBuilder();
    for (int i = 0; i < lags.length; i++) {
      l.append(i == 0 ? "" : ", ").append(lags[i]);
    }
    return String.format(
        Locale.ROOT,
        "min value %.3f, max value %.3f, median value %.3f, the trend of input is %s, top 5 lags are"
            + " : %s",
        min, max, median, up ? "upward" : "downward", l);
  }

  /**
   * The token ids of a window's whole prompt: {@link #sharedIds()}, then {@link #statisticsIds}.
   *
   * @param x the normalised window; shape (L)
   * @return shape ({@link #length()})
   */
  public int[] ids(double[] x) {
    int[] own = statisticsIds(x);
    int[] out = Arrays.copyOf(shared, length());
    System.arraycopy(own, 0, out, shared.length, own.length);
    return out;
  }

  /**
   * The token ids of a window's statistics, padded on the left (or cut from the left) to {@link
   * #statisticsLength()}.
   *
   * @param x the normalised window; shape (L)
   * @return shape ({@link #statisticsLength()})
   */
  public int[] statisticsIds(double[] x) {
    int[] ids = encode(statistics(x), false);
    int[] out = new int[statisticsLength];
    Arrays.fill(out, pad);
    int n = Math.min(ids.length, statisticsLength);
    System.arraycopy(ids, ids.length - n, out, statisticsLength - n, n);
    return out;
  }

  private String statistics(double[] x) {
    double[] sorted = x.clone();
    Arrays.sort(sorted);
    // torch.median returns the lower of the two middle values
    double median = sorted[(sorted.length - 1) / 2];
    return statistics(sorted[0], sorted[sorted.length - 1], median, trendUp(x), lags(x, TOP_LAGS));
  }

  /**
   * The tokenizer's encoding (with BOS when asked), word by word through a cache.
   *
   * <p>Why: the llama2.c encoder is quadratic in the text length (about 10 ms for a 300-character
   * prompt, more than the backbone's pass at this size), yet almost every word of a prompt recurs.
   * SentencePiece pieces never span a space, and the dummy-prefix space that the encoder puts
   * before a text is the space before a word inside a text, so encoding word by word gives the same
   * ids as encoding the whole prompt (the tests check it).
   */
  private int[] encode(String text, boolean bos) {
    String[] words = text.split(" ", -1);
    int[][] parts = new int[words.length][];
    int n = bos ? 1 : 0;
    for (int i = 0; i < words.length; i++) {
      parts[i] = words[i].isEmpty() ? new int[] {pad} : cachedWord(words[i]);
      n += parts[i].length;
    }
    int[] ids = new int[n];
    int o = 0;
    if (bos) {
      ids[o++] = tokenizer.bosId();
    }
    for (int[] p : parts) {
      System.arraycopy(p, 0, ids, o, p.length);
      o += p.length;
    }
    return ids;
  }

  private int[] cachedWord(String word) {
    int[] ids = words.get(word);
    if (ids == null) {
      ids = tokenizer.encode(word, false, false);
      if (words.size() < WORD_CACHE) {
        words.put(word, ids);
      }
    }
    return ids;
  }

  /** Whether the sum of first differences is positive (the reference's {@code trends > 0}). */
  static boolean trendUp(double[] x) {
    // the sum of first differences telescopes to last - first
    double sum = 0;
    for (int t = 1; t < x.length; t++) {
      sum += x[t] - x[t - 1];
    }
    return sum > 0;
  }

  /**
   * The lags with the largest circular autocorrelation, largest first (ties: the smaller lag).
   *
   * <p>Computed directly, {@code r(k) = sum_t x(t) x((t + k) mod L)}, which equals the reference's
   * {@code irfft(rfft(x) * conj(rfft(x)))}; O(L^2) is a fraction of a millisecond at L = 512.
   *
   * @param x the window; shape (L)
   * @param k how many lags
   * @return shape (k)
   */
  static int[] lags(double[] x, int k) {
    int n = x.length;
    double[] r = new double[n];
    for (int lag = 0; lag < n; lag++) {
      double s = 0;
      for (int t = 0; t < n; t++) {
        int u = t + lag;
        s += x[t] * x[u < n ? u : u - n];
      }
      r[lag] = s;
    }
    int[] top = new int[Math.min(k, n)];
    boolean[] used = new boolean[n];
    for (int i = 0; i < top.length; i++) {
      int best = -1;
      for (int lag = 0; lag < n; lag++) {
        if (!used[lag] && (best < 0 || r[lag] > r[best])) {
          best = lag;
        }
      }
      used[best] = true;
      top[i] = best;
    }
    return top;
  }
}

package dev.sibyl.models.anomaly;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The Numenta Anomaly Benchmark score (Lavin &amp; Ahmad, "Evaluating real-time anomaly detection
 * algorithms: the Numenta Anomaly Benchmark", ICMLA 2015), reimplemented to give the same numbers as
 * NAB's reference scorer.
 *
 * <p>Source of the details: NAB's {@code nab/sweeper.py} (v1.x, read for this class), its {@code
 * nab/optimizer.py} and {@code nab/runner.py} (from the published description and the sweeper's
 * interface; not re-read):
 *
 * <ul>
 *   <li>Probation: rows with index {@code < min(floor(0.15 n), 0.15 * 5000)} are unscored (the
 *       5000-row cap is NAB's, so files over 5000 rows have 750 probation rows). A window counts
 *       only if at least one of its rows is past probation, as in {@code calcScoreByThreshold},
 *       which names windows from the scorable rows.
 *   <li>Per row, the weight a detection there would earn: inside a window of width W (rows, both
 *       ends included) ending at row R, {@code scaledSigmoid(-(R - i + 1) / W) * A_TP /
 *       scaledSigmoid(-1)} (so a detection at the window's first row earns exactly A_TP); outside,
 *       after a window ending at R of width W, {@code scaledSigmoid(|R - i| / (W - 1)) * A_FP}, and
 *       before any window {@code -A_FP}. {@code scaledSigmoid(y) = 2 / (1 + exp(5 y)) - 1}, and -1
 *       for y &gt;= 3 (as {@code nab/sweeper.py}; NAB's older {@code scorer.py} had y &gt; 3, which
 *       differs only at exactly 3, by 3e-7).
 *   <li>At a threshold t, rows with score &gt;= t are detections: each window scores the maximum of
 *       {@code -A_FN} and its detections' weights (the earliest detection is the largest), and every
 *       detection outside windows adds its (negative) weight.
 *   <li>The threshold is the one with the best corpus total among every distinct score (and 1.1,
 *       no detection), the exact sweep of {@code calcScoreByThreshold}; ties keep the higher
 *       threshold.
 *   <li>Normalised score {@code 100 (raw - null) / (perfect - null)}: null = every window missed =
 *       {@code -A_FN * windows}, perfect = {@code A_TP * windows}.
 * </ul>
 *
 * <p>Scores must lie in [0, 1] as NAB requires.
 */
public final class NabScorer {

  /** NAB's probation fraction. */
  public static final double PROBATION_PERCENT = 0.15;

  /** NAB's cap on probation: at most this fraction of 5000 rows. */
  static final int PROBATION_CAP_ROWS = 5000;

  /** The threshold above every score: nothing detected. */
  public static final double NO_DETECTION = 1.1;

  /**
   * An application profile: NAB's cost matrix.
   *
   * @param name the key in reports ({@code standard}, {@code low_fp}, {@code low_fn})
   * @param tpWeight A_TP
   * @param fpWeight A_FP
   * @param fnWeight A_FN
   */
  public record Profile(String name, double tpWeight, double fpWeight, double fnWeight) {}

  /** NAB's standard profile. */
  public static final Profile STANDARD = new Profile("standard", 1.0, 0.11, 1.0);

  /** NAB's reward_low_FP_rate profile. */
  public static final Profile LOW_FP = new Profile("low_fp", 1.0, 0.22, 1.0);

  /** NAB's reward_low_FN_rate profile. */
  public static final Profile LOW_FN = new Profile("low_fn", 1.0, 0.11, 2.0);

  /** The three profiles, in report order. */
  public static final List<Profile> PROFILES = List.of(STANDARD, LOW_FP, LOW_FN);

  /**
   * A labelled window in row indices.
   *
   * @param start first row, non-negative
   * @param end last row, included, {@code >= start}
   */
  public record Window(int start, int end) {
    /** Checks the order. */
    public Window {
      if (start < 0 || end < start) {
        throw new IllegalArgumentException("window must have 0 <= start <= end, got [" + start + ", " + end + "]");
      }
    }
  }

  /**
   * One file's anomaly scores and windows.
   *
   * @param name the file's name (e.g. {@code realTraffic/speed_6005.csv}); not null
   * @param scores the detector's score per row, in [0, 1]; shape (rows)
   * @param windows the windows, sorted, disjoint, inside the file
   */
  public record FileInput(String name, double[] scores, List<Window> windows) {
    /** Checks scores and windows. */
    public FileInput {
      Objects.requireNonNull(name, "name must not be null");
      for (int i = 0; i < scores.length; i++) {
        if (!(scores[i] >= 0 && scores[i] <= 1)) {
          throw new IllegalArgumentException(
              name + ": score at row " + i + " must be in [0, 1], got " + scores[i]);
        }
      }
      windows = List.copyOf(windows);
      int prevEnd = -1;
      for (Window w : windows) {
        if (w.start() <= prevEnd || w.end() >= scores.length) {
          throw new IllegalArgumentException(
              name + ": windows must be sorted, disjoint and inside the " + scores.length
                  + " rows, got " + w);
        }
        prevEnd = w.end();
      }
    }
  }

  /**
   * One file's figures at a threshold.
   *
   * @param name the file
   * @param raw its raw NAB score (its share of the corpus total)
   * @param windows windows counted
   * @param detected windows with a detection
   * @param flags detections past probation
   * @param truePositiveFlags detections inside windows
   */
  public record FileResult(
      String name, double raw, int windows, int detected, int flags, int truePositiveFlags) {}

  /**
   * A profile's corpus result.
   *
   * @param profile the profile
   * @param threshold the threshold applied (optimised or given)
   * @param raw the corpus raw score
   * @param nullScore the raw score of a detector that never fires
   * @param perfect the raw score of a detection at every window's first row
   * @param score the normalised score, 100 perfect, 0 null
   * @param precision detections inside windows over all detections past probation (0 when none)
   * @param recall windows detected over windows counted
   * @param files per-file figures, in input order
   */
  public record Result(
      Profile profile,
      double threshold,
      double raw,
      double nullScore,
      double perfect,
      double score,
      double precision,
      double recall,
      List<FileResult> files) {}

  private NabScorer() {}

  /** NAB's {@code scaledSigmoid}: {@code 2 / (1 + exp(5 y)) - 1}, and -1 for y &gt;= 3. */
  public static double scaledSigmoid(double y) {
    if (y >= 3.0) {
      return -1.0;
    }
    return 2 / (1 + Math.exp(5 * y)) - 1;
  }

  /** Rows of probation for a file of n rows: {@code min(floor(0.15 n), 750)}. */
  public static int probationLength(int rows) {
    return (int) Math.ceil(Math.min(Math.floor(PROBATION_PERCENT * rows), PROBATION_PERCENT * PROBATION_CAP_ROWS));
  }

  /** Window index of a probation row. */
  private static final int PROBATIONARY = -2;

  /** Window index of a row outside windows. */
  private static final int OUTSIDE = -1;

  /**
   * One file's rows as NAB's sweeper sees them.
   *
   * @param weight what a detection at each row earns; shape (rows)
   * @param window the window index of each row, {@link #OUTSIDE} or {@link #PROBATIONARY}; shape
   *     (rows)
   * @param counted which windows count (have a scorable row); shape (windows)
   */
  private record Sweep(double[] weight, int[] window, boolean[] counted) {
    int countedWindows() {
      int c = 0;
      for (boolean b : counted) {
        c += b ? 1 : 0;
      }
      return c;
    }
  }

  /** NAB's {@code calcSweepScore}: the weight and window of each row. */
  private static Sweep sweep(FileInput f, Profile p) {
    int n = f.scores().length;
    double maxTp = scaledSigmoid(-1.0);
    int probation = probationLength(n);
    double[] weight = new double[n];
    int[] window = new int[n];
    boolean[] counted = new boolean[f.windows().size()];
    int next = 0; // next window to enter
    int cur = -1; // window we are in
    int prevRight = -1;
    double prevWidth = 0;
    for (int i = 0; i < n; i++) {
      if (cur < 0 && next < f.windows().size() && f.windows().get(next).start() == i) {
        cur = next++;
      }
      if (cur >= 0) {
        Window w = f.windows().get(cur);
        double width = w.end() - w.start() + 1;
        weight[i] = scaledSigmoid(-(w.end() - i + 1) / width) * p.tpWeight() / maxTp;
      } else if (prevRight < 0) {
        weight[i] = -1.0 * p.fpWeight();
      } else {
        // NAB divides by (W - 1): a window of one row makes this infinite (sigmoid -1) in NAB too
        double position = Math.abs(prevRight - i) / (prevWidth - 1);
        weight[i] = scaledSigmoid(position) * p.fpWeight();
      }
      if (i >= probation) {
        window[i] = cur >= 0 ? cur : OUTSIDE;
        if (cur >= 0) {
          counted[cur] = true;
        }
      } else {
        window[i] = PROBATIONARY;
      }
      if (cur >= 0 && f.windows().get(cur).end() == i) {
        prevRight = i;
        prevWidth = f.windows().get(cur).end() - f.windows().get(cur).start() + 1;
        cur = -1;
      }
    }
    return new Sweep(weight, window, counted);
  }

  /**
   * The threshold with the best corpus raw score for a profile, by NAB's exact sweep over every
   * distinct score (ties keep the higher threshold).
   *
   * @param files the corpus; not null
   * @param p the profile; not null
   * @return the best threshold, {@link #NO_DETECTION} when no detection helps
   */
  public static double optimiseThreshold(List<FileInput> files, Profile p) {
    // 1. Every scorable row of the corpus with its weight and a corpus-wide window id
    List<double[]> rows = new ArrayList<>(); // {score, weight, windowId}
    int windowBase = 0;
    List<Double> windowScore = new ArrayList<>();
    for (FileInput f : files) {
      Sweep s = sweep(f, p);
      for (int i = 0; i < f.scores().length; i++) {
        if (s.window()[i] != PROBATIONARY) {
          int id = s.window()[i] == OUTSIDE ? -1 : windowBase + s.window()[i];
          rows.add(new double[] {f.scores()[i], s.weight()[i], id});
        }
      }
      for (boolean c : s.counted()) {
        // uncounted windows never receive a row, so they stay out of the total
        windowScore.add(c ? -p.fnWeight() : 0.0);
      }
      windowBase += s.counted().length;
    }
    // 2. Descending scores; lower the threshold one distinct score at a time
    rows.sort(Comparator.comparingDouble((double[] r) -> r[0]).reversed());
    double[] parts = new double[windowScore.size()];
    double total = 0;
    for (int w = 0; w < parts.length; w++) {
      parts[w] = windowScore.get(w);
      total += parts[w];
    }
    double fp = 0;
    double best = total;
    double bestThreshold = NO_DETECTION;
    int i = 0;
    while (i < rows.size()) {
      double threshold = rows.get(i)[0];
      for (; i < rows.size() && rows.get(i)[0] == threshold; i++) {
        double[] r = rows.get(i);
        int id = (int) r[2];
        if (id < 0) {
          fp += r[1];
        } else if (r[1] > parts[id]) {
          total += r[1] - parts[id];
          parts[id] = r[1];
        }
      }
      if (total + fp > best) {
        best = total + fp;
        bestThreshold = threshold;
      }
    }
    return bestThreshold;
  }

  /**
   * Scores the corpus at a threshold.
   *
   * @param files the corpus; not null
   * @param p the profile; not null
   * @param threshold rows with score {@code >= threshold} are detections
   * @return the result, with per-file figures
   */
  public static Result score(List<FileInput> files, Profile p, double threshold) {
    double raw = 0;
    int windows = 0;
    int detected = 0;
    int flags = 0;
    int tpFlags = 0;
    List<FileResult> perFile = new ArrayList<>(files.size());
    for (FileInput f : files) {
      Sweep s = sweep(f, p);
      double[] parts = new double[s.counted().length];
      Arrays.fill(parts, -p.fnWeight());
      boolean[] hit = new boolean[parts.length];
      double fileRaw = 0;
      int fileFlags = 0;
      int fileTp = 0;
      for (int i = 0; i < f.scores().length; i++) {
        if (s.window()[i] == PROBATIONARY || f.scores()[i] < threshold) {
          continue;
        }
        fileFlags++;
        int w = s.window()[i];
        if (w == OUTSIDE) {
          fileRaw += s.weight()[i];
        } else {
          fileTp++;
          hit[w] = true;
          parts[w] = Math.max(parts[w], s.weight()[i]);
        }
      }
      int fileWindows = 0;
      int fileDetected = 0;
      for (int w = 0; w < parts.length; w++) {
        if (s.counted()[w]) {
          fileRaw += parts[w];
          fileWindows++;
          fileDetected += hit[w] ? 1 : 0;
        }
      }
      perFile.add(new FileResult(f.name(), fileRaw, fileWindows, fileDetected, fileFlags, fileTp));
      raw += fileRaw;
      windows += fileWindows;
      detected += fileDetected;
      flags += fileFlags;
      tpFlags += fileTp;
    }
    double nullScore = -p.fnWeight() * windows;
    double perfect = p.tpWeight() * windows;
    double normalised = windows == 0 ? 0 : 100 * (raw - nullScore) / (perfect - nullScore);
    double precision = flags == 0 ? 0 : (double) tpFlags / flags;
    double recall = windows == 0 ? 0 : (double) detected / windows;
    return new Result(p, threshold, raw, nullScore, perfect, normalised, precision, recall, List.copyOf(perFile));
  }

  /**
   * Optimises the threshold for each profile and scores the corpus there, as NAB's optimise and
   * score steps do.
   *
   * @param files the corpus; not null
   * @return profile name to result, in {@link #PROFILES} order
   */
  public static Map<String, Result> evaluate(List<FileInput> files) {
    Map<String, Result> out = new LinkedHashMap<>();
    for (Profile p : PROFILES) {
      out.put(p.name(), score(files, p, optimiseThreshold(files, p)));
    }
    return out;
  }
}

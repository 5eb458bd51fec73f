package dev.sibyl.models.anomaly;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class NabScorerTest {

  /** 100 rows (probation 15), one window on rows 40..49 (width 10). */
  private static NabScorer.FileInput file(double[] scores) {
    return new NabScorer.FileInput("cat/f.csv", scores, List.of(new NabScorer.Window(40, 49)));
  }

  private static double[] scores(int... flagged) {
    double[] s = new double[100];
    for (int i : flagged) {
      s[i] = 1.0;
    }
    return s;
  }

  @Test
  void scaledSigmoidMatchesNabDocstring() {
    // NAB: -1 -> 0.98661, -0.5 -> 0.84828, 0 -> 0, 1 -> -0.98661, beyond 3 -> -1
    assertThat(NabScorer.scaledSigmoid(-1.0)).isCloseTo(0.98661, within(1e-5));
    assertThat(NabScorer.scaledSigmoid(-0.5)).isCloseTo(0.84828, within(1e-5));
    assertThat(NabScorer.scaledSigmoid(0.0)).isCloseTo(0.0, within(1e-12));
    assertThat(NabScorer.scaledSigmoid(1.0)).isCloseTo(-0.98661, within(1e-5));
    assertThat(NabScorer.scaledSigmoid(3.5)).isEqualTo(-1.0);
    // nab/sweeper.py: -1 from exactly 3 on (the formula would give -0.9999997)
    assertThat(NabScorer.scaledSigmoid(3.0)).isEqualTo(-1.0);
    // 2 / (1 + exp(5y)) - 1 is -tanh(2.5 y)
    assertThat(NabScorer.scaledSigmoid(0.3)).isCloseTo(-Math.tanh(0.75), within(1e-12));
  }

  @Test
  void probationIsFifteenPercentCappedAt750() {
    assertThat(NabScorer.probationLength(100)).isEqualTo(15);
    assertThat(NabScorer.probationLength(4032)).isEqualTo(604);
    assertThat(NabScorer.probationLength(20000)).isEqualTo(750);
  }

  @Test
  void perfectDetectorScores100AndNullScores0() {
    List<NabScorer.FileInput> perfect = List.of(file(scores(40)));
    List<NabScorer.FileInput> none = List.of(file(scores()));
    for (NabScorer.Profile p : NabScorer.PROFILES) {
      NabScorer.Result r = NabScorer.score(perfect, p, NabScorer.optimiseThreshold(perfect, p));
      assertThat(r.score()).as(p.name()).isCloseTo(100.0, within(1e-9));
      assertThat(r.recall()).isEqualTo(1.0);
      NabScorer.Result n = NabScorer.score(none, p, NabScorer.optimiseThreshold(none, p));
      assertThat(n.score()).as(p.name()).isCloseTo(0.0, within(1e-9));
      assertThat(n.threshold()).isEqualTo(NabScorer.NO_DETECTION);
    }
  }

  @Test
  void earlyTruePositiveAndOneFalsePositiveByHand() {
    // TP at row 42: position -(49 - 42 + 1) / 10 = -0.8, weight tanh(2) / tanh(2.5) (A_TP = 1).
    // FP at row 70: position |49 - 70| / (10 - 1) = 21/9, weight -tanh(2.5 * 21/9) * A_FP.
    // Flag at row 5 is in probation: ignored.
    double tp = Math.tanh(2.0) / Math.tanh(2.5);
    double fpUnweighted = -Math.tanh(2.5 * 21.0 / 9.0);
    List<NabScorer.FileInput> files = List.of(file(scores(5, 42, 70)));

    NabScorer.Result standard = NabScorer.score(files, NabScorer.STANDARD, 0.5);
    double raw = tp + 0.11 * fpUnweighted;
    assertThat(standard.raw()).isCloseTo(raw, within(1e-12));
    assertThat(standard.score()).isCloseTo(100 * (raw + 1) / 2, within(1e-9));
    assertThat(standard.score()).isCloseTo(93.356, within(1e-3));
    assertThat(standard.precision()).isEqualTo(0.5);
    assertThat(standard.recall()).isEqualTo(1.0);
    assertThat(standard.files().get(0).flags()).isEqualTo(2);

    NabScorer.Result lowFn = NabScorer.score(files, NabScorer.LOW_FN, 0.5);
    assertThat(lowFn.score()).isCloseTo(100 * (tp + 0.11 * fpUnweighted + 2) / 3, within(1e-9));
    NabScorer.Result lowFp = NabScorer.score(files, NabScorer.LOW_FP, 0.5);
    assertThat(lowFp.score()).isCloseTo(100 * (tp + 0.22 * fpUnweighted + 1) / 2, within(1e-9));
  }

  @Test
  void onlyTheEarliestDetectionInAWindowCounts() {
    double one = NabScorer.score(List.of(file(scores(42))), NabScorer.STANDARD, 0.5).raw();
    double two = NabScorer.score(List.of(file(scores(42, 45, 48))), NabScorer.STANDARD, 0.5).raw();
    assertThat(two).isEqualTo(one);
  }

  @Test
  void falsePositiveBeforeAnyWindowCostsFullFpWeight() {
    NabScorer.Result r = NabScorer.score(List.of(file(scores(20))), NabScorer.STANDARD, 0.5);
    assertThat(r.raw()).isCloseTo(-0.11 - 1.0, within(1e-12));
    assertThat(r.precision()).isEqualTo(0.0);
  }

  @Test
  void probationRowsAreIgnored() {
    NabScorer.Result r = NabScorer.score(List.of(file(scores(0, 7, 14))), NabScorer.STANDARD, 0.5);
    assertThat(r.score()).isCloseTo(0.0, within(1e-12));
    assertThat(r.files().get(0).flags()).isZero();
  }

  @Test
  void optimiserPicksTheBestThresholdOverTheCorpus() {
    double[] s = new double[100];
    s[42] = 0.9; // early TP
    s[70] = 0.6; // FP, only above the lower threshold
    s[30] = 0.3; // FP before the window
    List<NabScorer.FileInput> files = List.of(file(s));
    assertThat(NabScorer.optimiseThreshold(files, NabScorer.STANDARD)).isEqualTo(0.9);
    // the optimum is no worse than any other threshold
    double best = NabScorer.score(files, NabScorer.STANDARD, 0.9).raw();
    for (double t : new double[] {1.1, 0.6, 0.3, 0.0}) {
      assertThat(NabScorer.score(files, NabScorer.STANDARD, t).raw()).isLessThanOrEqualTo(best);
    }
  }

  @Test
  void rejectsScoresOutsideUnitIntervalAndOverlappingWindows() {
    assertThatThrownBy(() -> new NabScorer.FileInput("x", new double[] {1.5}, List.of()))
        .hasMessageContaining("must be in [0, 1], got 1.5");
    assertThatThrownBy(
            () ->
                new NabScorer.FileInput(
                    "x",
                    new double[10],
                    List.of(new NabScorer.Window(2, 5), new NabScorer.Window(5, 7))))
        .hasMessageContaining("sorted, disjoint");
  }
}

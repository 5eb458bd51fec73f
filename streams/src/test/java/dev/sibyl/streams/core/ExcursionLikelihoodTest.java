package dev.sibyl.streams.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The pipeline's anomaly score on white noise against its 95% interval (half-width 1.96), with and
 * without a lasting level shift, scored with the default weights and the default minimum score.
 */
class ExcursionLikelihoodTest {

  private static final double HALF_WIDTH = 1.96;
  private static final double MIN_SCORE = 0.5;
  private static final int WARMUP = 100;
  private static final int POINTS = 3000;
  private static final int SHIFT_AT = 1000;

  /** Indices of the flagged observations after the warm-up; {@code excursions[0]} counts the excursions. */
  private static List<Integer> flags(long seed, double shift, int[] excursions) {
    Random random = new Random(seed);
    ExcursionLikelihood scorer = new ExcursionLikelihood();
    List<Integer> flagged = new ArrayList<>();
    for (int i = 0; i < POINTS; i++) {
      double observed = random.nextGaussian() + (i >= SHIFT_AT ? shift : 0);
      double distance = AnomalyScore.distance(observed, 0, -HALF_WIDTH, HALF_WIDTH);
      double score =
          scorer.update(distance, ExcursionLikelihood.DEFAULT_LIKELIHOOD_ALPHA);
      if (i >= WARMUP && distance > 0) {
        excursions[0]++;
        if (score >= MIN_SCORE) {
          flagged.add(i);
        }
      }
    }
    return flagged;
  }

  @Test
  void aNoisySeriesWithRoutineExcursionsStaysQuietAfterWarmUp() {
    for (long seed = 1; seed <= 5; seed++) {
      int[] excursions = new int[1];
      List<Integer> flagged = flags(seed, 0, excursions);
      // about 5% of the 2900 points leave the interval; the raw score 1 - exp(-d) alone would
      // cross 0.5 for every excursion beyond 0.69 half-widths, i.e. dozens of them
      assertThat(excursions[0]).isBetween(90, 200);
      assertThat(flagged).as("seed %d", seed).hasSizeLessThanOrEqualTo(3);
    }
  }

  @Test
  void aSustainedLevelShiftIsFlaggedEarlyThenBecomesTheNewNormal() {
    for (long seed = 1; seed <= 5; seed++) {
      int[] excursions = new int[1];
      List<Integer> flagged = flags(seed, 3, excursions);
      // a shift of 3 standard deviations puts most points outside the interval
      assertThat(flagged).as("seed %d", seed).anySatisfy(i -> assertThat(i).isBetween(SHIFT_AT, SHIFT_AT + 5));
      // once the shift has lasted a few hundred points, it is what the series does
      assertThat(flagged.stream().filter(i -> i >= SHIFT_AT + 500)).as("seed %d", seed).isEmpty();
    }
  }

  @Test
  void theLikelihoodFallsBackAsAnExcursionLasts() {
    // one point in twenty 0.2 half-widths out, never two in a row; then every point 1 half-width out
    ExcursionLikelihood scorer = new ExcursionLikelihood();
    for (int i = 0; i < 500; i++) {
      scorer.update(i % 20 == 0 ? 0.2 : 0, 0.01);
    }
    double[] scores = new double[1000];
    for (int i = 0; i < scores.length; i++) {
      scores[i] = scorer.update(1.0, 0.01);
    }
    // 0.05 e^-5 alone (0.35), then a run the series has never made: flagged by the third point
    assertThat(scores[0]).isBetween(0.3, 0.5);
    assertThat(scores[2]).isGreaterThan(0.5);
    // a thousand points later it is what the series does
    assertThat(scores[999]).isLessThan(0.1);
    assertThat(scorer.outsideRate()).isGreaterThan(0.99);
    assertThat(scorer.continuationRate()).isGreaterThan(0.99);
    assertThat(scorer.meanDistance()).isGreaterThan(0.99);
  }

  @Test
  void aRunOfModerateExcursionsScoresAboveAOneOffOfTheSameSize() {
    ExcursionLikelihood oneOff = learnt();
    ExcursionLikelihood lasting = learnt();
    double moderate = 0.1;
    double single = oneOff.update(moderate, 0.01);
    double repeated = 0;
    for (int i = 0; i < 4; i++) {
      repeated = lasting.update(moderate, 0.01);
    }
    // a routine-sized excursion alone is not flagged; four in a row, where none came in runs before, are
    assertThat(single).isLessThan(0.5);
    assertThat(repeated).isGreaterThan(0.5);
    assertThat(lasting.run()).isEqualTo(4);
    assertThat(oneOff.update(0, 0.01)).isZero();
    assertThat(oneOff.run()).isZero();
  }

  @Test
  void aFarExcursionOnAQuietSeriesScoresOne() {
    assertThat(learnt().update(10, 0.01)).isEqualTo(1.0);
  }

  @Test
  void insideTheIntervalTheScoreIsZeroButTheRatesLearn() {
    ExcursionLikelihood scorer = new ExcursionLikelihood();
    scorer.update(0.5, 0.01);
    assertThat(scorer.update(0, 0.01)).isZero();
    assertThat(scorer.count()).isEqualTo(2);
    assertThat(scorer.outsideCount()).isEqualTo(1);
    assertThat(scorer.followers()).isEqualTo(1);
    assertThat(scorer.outsideRate()).isEqualTo(0.5); // the first samples weigh 1/n
    assertThat(scorer.continuationRate()).isZero();
    assertThat(scorer.meanDistance()).isEqualTo(0.5);
  }

  /** A scorer that has seen 1000 points of which one in twenty outside the interval, by up to 0.2 half-widths. */
  private static ExcursionLikelihood learnt() {
    ExcursionLikelihood scorer = new ExcursionLikelihood();
    Random random = new Random(3);
    for (int i = 0; i < 1000; i++) {
      scorer.update(i % 20 == 0 ? 0.2 * random.nextDouble() : 0, 0.01);
    }
    return scorer;
  }
}

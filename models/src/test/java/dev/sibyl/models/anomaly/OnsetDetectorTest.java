package dev.sibyl.models.anomaly;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OnsetDetectorTest {

  /** Five minutes, NAB's usual step: 288 rows a day. */
  private static final long STEP = 300_000L;

  private static final OnsetDetector DETECTOR = new OnsetDetector(OnsetConfig.defaults());

  /** Streams a series at a 5-minute step; returns the scores. */
  private static double[] scores(double[] values) {
    OnsetDetector.State s = DETECTOR.newState();
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = DETECTOR.update(s, i * STEP, values[i]).score();
    }
    return out;
  }

  private static int detections(double[] scores) {
    int n = 0;
    for (double x : scores) {
      n += x >= OnsetConfig.defaults().holdLevel() ? 1 : 0;
    }
    return n;
  }

  private static double[] noise(int n, long seed) {
    Random rnd = new Random(seed);
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = 10 + rnd.nextGaussian();
    }
    return v;
  }

  @Test
  void levelShiftIsDetectedOnceAtItsOnset() {
    double[] v = noise(2000, 1);
    for (int i = 1500; i < v.length; i++) {
      v[i] += 8;
    }
    double[] s = scores(v);
    assertThat(detections(Arrays.copyOf(s, 1500))).isZero();
    assertThat(s[1500]).isGreaterThanOrEqualTo(0.85);
    // the hold silences the rows after the detection, where the z-score alone stays high
    for (int i = 1501; i <= 1500 + OnsetConfig.defaults().holdRows(); i++) {
      assertThat(s[i]).isZero();
    }
  }

  @Test
  void spikeIsDetectedAtItsRow() {
    double[] v = noise(1200, 2);
    v[900] += 12;
    double[] s = scores(v);
    assertThat(s[900]).isGreaterThanOrEqualTo(0.85);
    assertThat(detections(s)).isEqualTo(1);
  }

  @Test
  void stationaryNoiseStaysQuiet() {
    double[] s = scores(noise(6000, 3));
    assertThat(detections(s)).isLessThanOrEqualTo(1);
    for (double x : s) {
      assertThat(x).isBetween(0.0, 1.0);
    }
  }

  @Test
  void brokenDailyShapeInsideTheUsualRangeIsDetectedBySeasonalDifference() {
    // a daily sine; on day 8 it goes flat at its mean for half a day, never leaving the usual range
    Random rnd = new Random(4);
    int day = 288;
    double[] v = new double[10 * day];
    for (int i = 0; i < v.length; i++) {
      v[i] = 50 + 20 * Math.sin(2 * Math.PI * i / day) + 0.5 * rnd.nextGaussian();
    }
    int onset = 8 * day + day / 4; // at the daily peak, so the flat value is far from the usual
    for (int i = onset; i < onset + day / 2; i++) {
      v[i] = 50 + 0.5 * rnd.nextGaussian();
    }
    double[] s = scores(v);
    assertThat(detections(Arrays.copyOf(s, onset))).isZero();
    int first = -1;
    for (int i = onset; i < onset + day / 2 && first < 0; i++) {
      first = s[i] >= 0.85 ? i : -1;
    }
    assertThat(first).isBetween(onset, onset + 20);

    // the value alone sees nothing: the same series without the seasonal component
    ZScoreDetector plain = new ZScoreDetector(256, 30, 0.85);
    RollingWindow st = plain.newState();
    int plainFlags = 0;
    for (int i = 0; i < v.length; i++) {
      plainFlags += plain.update(st, i * STEP, v[i]).anomalous() ? 1 : 0;
    }
    assertThat(plainFlags).isZero();
  }

  @Test
  void seasonIsOneDayAtTheMedianStep() {
    OnsetDetector.State s = DETECTOR.newState();
    for (int i = 0; i < 40; i++) {
      DETECTOR.update(s, i * 3_600_000L, i);
    }
    assertThat(s.season()).isEqualTo(24);
    long[] hours = new long[40];
    for (int i = 0; i < hours.length; i++) {
      hours[i] = i * 3_600_000L;
    }
    assertThat(OnsetDetector.seasonOf(hours, OnsetConfig.defaults())).isEqualTo(24);
    assertThat(SeasonalDifference.seasonOf(new long[] {7_000, 7_000, 7_000}, 300)).isEqualTo(-1);
    // one-minute steps give 1440 rows a day, longer than the ring allows
    assertThat(SeasonalDifference.seasonOf(new long[] {60_000, 60_000}, 300)).isEqualTo(-1);
  }

  @Test
  void nonFiniteValueIsWarmUpAndNotLearnt() {
    OnsetDetector.State s = DETECTOR.newState();
    double[] v = noise(100, 5);
    for (int i = 0; i < v.length; i++) {
      DETECTOR.update(s, i * STEP, v[i]);
    }
    DetectorOutput nan = DETECTOR.update(s, 100 * STEP, Double.NaN);
    assertThat(nan.warmUp()).isTrue();
    DetectorOutput next = DETECTOR.update(s, 101 * STEP, 10.0);
    assertThat(next.warmUp()).isFalse();
    assertThat(next.score()).isLessThan(0.85);
  }

  @Test
  void configRejectsOutOfRangeValues() {
    assertThatThrownBy(() -> new OnsetConfig(256, 30, 32, 300, 0.2, 1.0, 100))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("holdLevel");
    assertThatThrownBy(() -> new OnsetConfig(256, 300, 32, 300, 0.2, 0.85, 100))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("warmUp");
    assertThatThrownBy(() -> new OnsetConfig(256, 30, 32, 300, 0.2, 0.85, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("holdRows");
  }
}

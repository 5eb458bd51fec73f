package dev.sibyl.models.anomaly;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sibyl.models.api.ForecastResult;
import dev.sibyl.models.api.Forecaster;
import dev.sibyl.models.api.ForecasterRegistry;
import dev.sibyl.models.api.SeriesWindow;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DetectorTest {

  /** A forecaster that always predicts 0, so residuals are the values themselves. */
  private static final Forecaster ZERO =
      new Forecaster() {
        @Override
        public String family() {
          return "zero";
        }

        @Override
        public String version() {
          return "1";
        }

        @Override
        public int minHistory() {
          return 1;
        }

        @Override
        public ForecastResult forecast(SeriesWindow window, int horizon) {
          double[] z = new double[horizon];
          return new ForecastResult(z, z.clone(), z.clone(), 0.5);
        }
      };

  private static Forecaster holt() {
    return ForecasterRegistry.create("holt-winters", Map.of("season.length", "1"));
  }

  @Test
  void likelihoodIsInUnitIntervalAndRisesOnBurstAfterCalm() {
    AnomalyLikelihood l = new AnomalyLikelihood(10, 8640, 100, 100);
    Random rnd = new Random(1);
    double maxCalm = 0;
    for (int i = 0; i < 1000; i++) {
      double v = l.update(0.1 * rnd.nextDouble());
      assertThat(v).isBetween(0.0, 1.0);
      if (i > 200) {
        maxCalm = Math.max(maxCalm, v);
      }
    }
    double last = 0;
    for (int i = 0; i < 10; i++) {
      last = l.update(0.9);
      assertThat(last).isBetween(0.0, 1.0);
    }
    assertThat(maxCalm).isLessThan(0.9999);
    assertThat(last).isGreaterThan(0.9999);
  }

  @Test
  void warmUpYieldsNoFlagsEvenOnSpikes() {
    ForecastAnomalyDetector d = new ForecastAnomalyDetector(holt(), DetectorConfig.defaults());
    ForecastAnomalyDetector.State s = d.newState();
    Random rnd = new Random(2);
    int warm = 0;
    for (int i = 0; i < 400; i++) {
      double v = rnd.nextGaussian() + (i % 50 == 10 ? 100 : 0);
      DetectorOutput o = d.update(s, i * 60_000L, v);
      if (o.warmUp()) {
        warm++;
        assertThat(o.anomalous()).isFalse();
        assertThat(o.score()).isZero();
      }
    }
    // minCalibration (30) + likelihood learning (150) points at least, then scoring starts
    assertThat(warm).isBetween(180, 190);
  }

  @Test
  void conformalCoverageIsNearNominalOnStationaryGaussian() {
    for (double coverage : new double[] {0.8, 0.9, 0.95}) {
      DetectorConfig c = DetectorConfig.defaults().withCoverage(coverage);
      ForecastAnomalyDetector d = new ForecastAnomalyDetector(ZERO, c);
      ForecastAnomalyDetector.State s = d.newState();
      Random rnd = new Random(3);
      int covered = 0;
      int n = 0;
      for (int i = 0; i < 20_000; i++) {
        double y = rnd.nextGaussian();
        if (i > 10 && s.calibrationCount(0) >= c.minCalibration()) {
          n++;
          covered += Math.abs(y) <= s.halfWidth(0, coverage) ? 1 : 0;
        }
        d.update(s, i, y);
      }
      assertThat((double) covered / n).as("coverage %s", coverage).isBetween(coverage - 0.015, coverage + 0.015);
    }
  }

  @Test
  void conformalCoverageWithHoltWintersIsNearNominal() {
    DetectorConfig c = DetectorConfig.defaults().withCoverage(0.9).withWindow(64, 1);
    ForecastAnomalyDetector d = new ForecastAnomalyDetector(holt(), c);
    ForecastAnomalyDetector.State s = d.newState();
    Random rnd = new Random(4);
    int covered = 0;
    int n = 0;
    for (int i = 0; i < 5000; i++) {
      double y = 10 + rnd.nextGaussian();
      double f = s.nextForecast();
      if (!Double.isNaN(f) && s.calibrationCount(0) >= c.minCalibration()) {
        n++;
        covered += Math.abs(y - f) <= s.halfWidth(0, 0.9) ? 1 : 0;
      }
      d.update(s, i, y);
    }
    assertThat(n).isGreaterThan(4900);
    assertThat((double) covered / n).isBetween(0.88, 0.92);
  }

  @Test
  void levelShiftFiresWithinAFewPointsAndNotBefore() {
    // A long window keeps Holt's smoothing low on a stationary stretch, so the shift shows as a run
    // of residuals; with short windows the refitted grid adapts within a point or two.
    ForecastAnomalyDetector d =
        new ForecastAnomalyDetector(holt(), DetectorConfig.defaults().withWindow(256, 1));
    ForecastAnomalyDetector.State s = d.newState();
    Random rnd = new Random(5);
    int shiftAt = 1500;
    int firstAfter = -1;
    int falseAlarms = 0;
    for (int i = 0; i < 1600; i++) {
      double y = rnd.nextGaussian() + (i >= shiftAt ? 6 : 0);
      DetectorOutput o = d.update(s, i * 300_000L, y);
      if (o.levelShift()) {
        if (i < shiftAt) {
          falseAlarms++;
        } else if (firstAfter < 0) {
          firstAfter = i;
        }
      }
    }
    assertThat(falseAlarms).isZero();
    assertThat(firstAfter).isBetween(shiftAt, shiftAt + 4);
  }

  @Test
  void zScoreControlScoresSpikes() {
    ZScoreDetector z = new ZScoreDetector(100, 20, 0.8);
    RollingWindow s = z.newState();
    Random rnd = new Random(6);
    for (int i = 0; i < 200; i++) {
      z.update(s, i, rnd.nextGaussian());
    }
    DetectorOutput o = z.update(s, 200, 10);
    assertThat(o.anomalous()).isTrue();
    assertThat(o.score()).isBetween(0.8, 1.0);
  }

  @Test
  void configRejectsBadValuesNamingThem() {
    DetectorConfig d = DetectorConfig.defaults();
    assertThatThrownBy(() -> d.withCoverage(1.0)).hasMessageContaining("coverage must be in (0, 1), got 1.0");
    assertThatThrownBy(() -> d.withWindow(256, 0)).hasMessageContaining("cadence must be in [1, window=256], got 0");
    assertThatThrownBy(() -> d.withWindow(2, 1)).hasMessageContaining("window must be >= 4, got 2");
  }

  @Test
  void rollingWindowStaysBoundedAndExact() {
    RollingWindow w = new RollingWindow(3);
    for (double x : new double[] {1, 2, 3, 4, 5}) {
      w.add(x);
    }
    assertThat(w.size()).isEqualTo(3);
    assertThat(w.mean()).isEqualTo(4.0);
    assertThat(w.variance()).isCloseTo(2.0 / 3.0, org.assertj.core.api.Assertions.within(1e-12));
    assertThat(w.kthSmallest(1)).isEqualTo(3.0);
    // ceil(4 * 0.5) = 2nd smallest
    assertThat(w.conformalQuantile(0.5)).isEqualTo(4.0);
  }
}

package dev.sibyl.models.arphmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class HealthIndicatorsTest {

  @Test
  void fd001KeepsTheFourteenInformativeSensorsAndRisesToFailure() {
    List<Cmapss.Unit> train = Cmapss.readUnits(Fd001.dir().resolve("train_FD001.txt"));
    assertThat(train).hasSize(100);
    assertThat(train.stream().mapToInt(Cmapss.Unit::cycles).sum()).isEqualTo(20631);

    HealthIndicators.Fitted hi = HealthIndicators.fit(train);

    // 0-based columns of sensors 2, 3, 4, 7, 8, 9, 11, 12, 13, 14, 15, 17, 20, 21.
    assertThat(hi.sensors()).containsExactly(1, 2, 3, 6, 7, 8, 10, 11, 12, 13, 14, 16, 19, 20);
    double first = 0;
    double last = 0;
    for (Cmapss.Unit u : train) {
      double[] h = hi.indicator(u.sensors());
      first += h[Math.min(30, h.length - 1)] / train.size();
      last += h[h.length - 1] / train.size();
    }
    assertThat(first).isCloseTo(0.0, within(0.15));
    assertThat(last).isGreaterThan(0.7);
    // Deterministic: a second fit gives the same map.
    assertThat(HealthIndicators.fit(train).weights()).containsExactly(hi.weights());
  }

  @Test
  void softLabelsAreHealthyAtTheStartAndFailedAtTheEnd() {
    double[][] pl = SoftLabels.runToFailure(200, 6, 125); // (200, 6)
    assertThat(argmax(pl[0])).isZero();
    assertThat(argmax(pl[74])).isZero();
    assertThat(argmax(pl[199])).isEqualTo(5);
    assertThat(argmax(pl[135])).isEqualTo(2);
    for (double[] row : pl) {
      for (double v : row) {
        assertThat(v).isGreaterThanOrEqualTo(SoftLabels.DEFAULT_FLOOR);
      }
    }
    assertThatThrownBy(() -> SoftLabels.runToFailure(10, 1, 125))
        .hasMessageContaining("states must be >= 2, got 1");
  }

  @Test
  void targetIsZeroWhileHealthyAndOneAtFailure() {
    double[] h = HealthIndicators.degradationTarget(200, 125);
    assertThat(h[0]).isZero();
    assertThat(h[74]).isZero();
    assertThat(h[199]).isEqualTo(1.0);
    assertThat(h[137]).isCloseTo(1 - 62 / 125.0, within(1e-12));
  }

  private static int argmax(double[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }
}

package dev.sibyl.models.arphmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ArphmmRulTest {

  /** 2 states, AR(1) drifting upwards in state 1; A_00 = 0.9, exit rate 0.25. */
  private static Arphmm twoStateChain() {
    return new Arphmm(new Arphmm.Config(2, 1, 1, 0, 5L), new Arphmm.Weights(
        new double[] {1, 0},
        new double[][] {{0.9, 0.1}, {0, 1}},
        new double[][] {{1.0}, {1.0}},
        new double[] {0.0, 0.05},
        new double[] {1e-4, 1e-4},
        0.25));
  }

  @Test
  void chainMeanIsTheFundamentalMatrixTimeToFailure() {
    ArphmmRul rul = new ArphmmRul(twoStateChain(), 1.0, ArphmmRul.Options.defaults());

    // t_1 = 1 / 0.25 = 4 steps; t_0 = 1 / 0.1 + t_1 = 14 steps; RUL = steps - 1.
    assertThat(rul.chain(new double[] {1, 0}).mean()).isCloseTo(13.0, within(1e-9));
    assertThat(rul.chain(new double[] {0, 1}).mean()).isCloseTo(3.0, within(1e-9));
    assertThat(rul.chain(new double[] {0.5, 0.5}).mean()).isCloseTo(8.0, within(1e-9));
    // From state 1 the RUL is geometric: P(RUL <= r) = 1 - 0.75^(r+1); 10% at r = 0, 90% at r = 8.
    ArphmmRul.Estimate e = rul.chain(new double[] {0, 1});
    assertThat(e.lower()).isEqualTo(0.0);
    assertThat(e.upper()).isEqualTo(8.0);
  }

  @Test
  void rolloutOfADeterministicDriftHitsTheThresholdOnTime() {
    Arphmm m = twoStateChain();
    // Already in state 1 at value 0; +0.05 per cycle reaches 1.0 after 20 cycles.
    Arphmm.State s = new Arphmm.State(new double[] {0, 1}, new double[] {0.0}, 5);
    ArphmmRul.Estimate e = new ArphmmRul(m, 0.999, ArphmmRul.Options.defaults()).rollout(s);
    assertThat(e.mean()).isCloseTo(20.0, within(0.5));
  }

  @Test
  void rulIsNonNegativeAndTheIntervalContainsTheMean() {
    List<double[]> data = SyntheticArphmm.dataset(20, 150, 3L);
    List<double[][]> priors = new ArrayList<>();
    for (double[] y : data) {
      priors.add(SoftLabels.runToFailure(y.length, 3, 100));
    }
    Arphmm model = Arphmm.train(data, priors, new Arphmm.Config(3, 2, 40, 1e-9, 1L)).model();
    ArphmmRul rul = new ArphmmRul(model, 5.0, new ArphmmRul.Options(0.1, 0.9, 300, 300));
    Random rng = new Random(4);
    for (int i = 0; i < 10; i++) {
      double[] y = SyntheticArphmm.series(40 + rng.nextInt(100), 60, rng);
      Arphmm.State s = model.newState();
      for (double v : y) {
        s = model.update(s, v);
      }
      for (ArphmmRul.Method method : ArphmmRul.Method.values()) {
        ArphmmRul.Estimate e = rul.estimate(method, s);
        assertThat(e.mean()).as("%s mean", method).isGreaterThanOrEqualTo(0);
        assertThat(e.lower()).as("%s lower", method).isGreaterThanOrEqualTo(0);
        assertThat(e.mean()).as("%s mean in interval", method).isBetween(e.lower(), e.upper());
      }
    }
  }

  @Test
  void badValuesAreNamed() {
    assertThatThrownBy(() -> new ArphmmRul.Options(0.9, 0.1, 10, 10))
        .hasMessageContaining("quantiles must satisfy 0 < lower < upper < 1, got 0.9, 0.1");
    assertThatThrownBy(() -> new ArphmmRul.Options(0.1, 0.9, 0, 10))
        .hasMessageContaining("paths must be >= 1, got 0");
    assertThatThrownBy(
            () -> new ArphmmRul(twoStateChain(), Double.NaN, ArphmmRul.Options.defaults()))
        .hasMessageContaining("threshold must be finite, got NaN");
    assertThatThrownBy(() -> new ArphmmRul(twoStateChain(), 1, ArphmmRul.Options.defaults())
            .chain(new double[3]))
        .hasMessageContaining("filtered must have 2 states, got 3");
  }
}

package dev.sibyl.models.arphmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ArphmmTest {

  /** A hand-set 2-state AR(1) model with a full (not left-to-right) transition matrix. */
  private static Arphmm tinyModel() {
    Arphmm.Config config = new Arphmm.Config(2, 1, 1, 0, 1L);
    Arphmm.Weights w = new Arphmm.Weights(
        new double[] {0.8, 0.2},
        new double[][] {{0.7, 0.3}, {0.4, 0.6}},
        new double[][] {{0.5}, {-0.3}},
        new double[] {0.1, 1.0},
        new double[] {0.25, 0.5},
        0.5);
    return new Arphmm(config, w);
  }

  private static double density(Arphmm m, int k, double y, double previous) {
    Arphmm.Weights w = m.weights();
    double mu = w.ar()[k][0] * previous + w.bias()[k];
    double v = w.variance()[k];
    return Math.exp(-0.5 * (y - mu) * (y - mu) / v) / Math.sqrt(2 * Math.PI * v);
  }

  @Test
  void forwardBackwardEqualsEnumerationOfAllStatePaths() {
    Arphmm m = tinyModel();
    double[] y = {0.3, 0.5, 0.9, 0.1, 1.2}; // (T): emissions at t = 1..4
    double[][] prior = {{1, 1}, {0.9, 0.2}, {0.5, 0.5}, {0.3, 1.0}, {0.1, 0.7}}; // (T, K)
    int n = y.length - 1;
    double total = 0;
    double[][] gamma = new double[n][2]; // (n, K) unnormalised path sums
    double[][] prefix = new double[n][2]; // (n, K) filtered-law numerators
    for (int path = 0; path < (1 << n); path++) {
      double weight = 1;
      int prev = -1;
      for (int s = 0; s < n; s++) {
        int k = (path >> s) & 1;
        double step = s == 0 ? m.weights().initial()[k] : m.weights().transition()[prev][k];
        weight *= step * prior[s + 1][k] * density(m, k, y[s + 1], y[s]);
        prev = k;
        // Filtered numerator at s: sum over prefixes (each prefix counted once: suffix all zeros).
        if ((path >> (s + 1)) == 0) {
          prefix[s][k] += weight;
        }
      }
      total += weight;
      for (int s = 0; s < n; s++) {
        gamma[s][(path >> s) & 1] += weight;
      }
    }

    Arphmm.Posterior post = m.posterior(y, prior);

    assertThat(post.logLikelihood()).isCloseTo(Math.log(total), within(1e-12));
    for (int s = 0; s < n; s++) {
      double f = prefix[s][0] + prefix[s][1];
      for (int k = 0; k < 2; k++) {
        assertThat(post.smoothed()[s][k]).as("gamma t=%d k=%d", s, k)
            .isCloseTo(gamma[s][k] / total, within(1e-12));
        assertThat(post.filtered()[s][k]).as("filtered t=%d k=%d", s, k)
            .isCloseTo(prefix[s][k] / f, within(1e-12));
      }
    }
  }

  @Test
  void emLogLikelihoodNeverDecreases() {
    List<double[]> data = SyntheticArphmm.dataset(20, 150, 5L);
    List<double[][]> priors = new ArrayList<>();
    for (double[] y : data) {
      priors.add(SoftLabels.runToFailure(y.length, 4, 100));
    }
    Arphmm.Fit fit = Arphmm.train(data, priors, new Arphmm.Config(4, 2, 60, 0, 3L));

    double[] trace = fit.logLikelihoods();
    assertThat(trace.length).isGreaterThan(5);
    for (int i = 1; i < trace.length; i++) {
      assertThat(trace[i]).as("iteration %d", i)
          .isGreaterThanOrEqualTo(trace[i - 1] - 1e-9 * Math.abs(trace[i - 1]));
    }
  }

  @Test
  void scaledRecursionsAreStableOverTwoThousandSteps() {
    double[] y = SyntheticArphmm.series(2000, 900, new Random(11));
    y[1500] += 1e3; // an outlier far outside every state's noise
    Arphmm.Fit fit = Arphmm.train(List.of(y), null, new Arphmm.Config(6, 2, 5, 0, 1L));

    Arphmm.Posterior post = fit.model().posterior(y, null);

    assertThat(post.logLikelihood()).isFinite();
    for (double[][] law : new double[][][] {post.smoothed(), post.filtered()}) {
      for (double[] row : law) {
        double sum = 0;
        for (double v : row) {
          assertThat(v).isFinite().isBetween(0.0, 1.0);
          sum += v;
        }
        assertThat(sum).isCloseTo(1.0, within(1e-9));
      }
    }
  }

  @Test
  void emRecoversTheArCoefficientsOfASwitchingSeries() {
    List<double[]> data = SyntheticArphmm.dataset(40, 200, 7L);

    Arphmm.Fit fit = Arphmm.train(data, null, new Arphmm.Config(2, 2, 100, 1e-9, 1L));

    Arphmm.Weights w = fit.model().weights();
    for (int k = 0; k < 2; k++) {
      for (int i = 0; i < 2; i++) {
        assertThat(w.ar()[k][i]).as("a(%d,%d)", k, i)
            .isCloseTo(SyntheticArphmm.AR[k][i], within(0.05));
      }
      assertThat(w.bias()[k]).as("b(%d)", k).isCloseTo(SyntheticArphmm.BIAS[k], within(0.25));
      assertThat(Math.sqrt(w.variance()[k])).as("sigma(%d)", k)
          .isCloseTo(SyntheticArphmm.SD[k], within(0.02));
    }
    assertThat(w.transition()[1][0]).isZero();
    assertThat(w.initial()[0]).isGreaterThan(0.99);
  }

  @Test
  void streamingUpdatesEqualTheBatchFilter() {
    List<double[]> data = SyntheticArphmm.dataset(10, 120, 9L);
    Arphmm model = Arphmm.train(data, null, new Arphmm.Config(3, 2, 30, 1e-9, 1L)).model();
    double[] y = SyntheticArphmm.series(150, 70, new Random(21));

    double[][] batch = model.filter(y); // (T - p, K)
    Arphmm.State state = model.newState();
    for (int t = 0; t < y.length; t++) {
      state = model.update(state, y[t]);
      if (t >= 2) {
        assertThat(state.warm()).isTrue();
        for (int k = 0; k < 3; k++) {
          assertThat(state.filtered()[k]).as("t=%d k=%d", t, k)
              .isCloseTo(batch[t - 2][k], within(1e-12));
        }
      } else {
        assertThat(state.warm()).isFalse();
      }
    }
    assertThat(state.lags()).containsExactly(y[149], y[148]);
  }

  @Test
  void badValuesAreNamed() {
    assertThatThrownBy(() -> new Arphmm.Config(1, 7, 10, 0, 1))
        .hasMessageContaining("states must be >= 2, got 1");
    assertThatThrownBy(() -> new Arphmm.Config(6, -1, 10, 0, 1))
        .hasMessageContaining("order must be >= 0, got -1");
    assertThatThrownBy(() -> new Arphmm.Config(6, 7, 0, 0, 1))
        .hasMessageContaining("iterations must be >= 1, got 0");
    assertThatThrownBy(() -> tinyModel().posterior(new double[] {1.0}, null))
        .hasMessageContaining("sequence length must be > order 1, got 1");
    assertThatThrownBy(() -> tinyModel().update(tinyModel().newState(), Double.NaN))
        .hasMessageContaining("y must be finite, got NaN");
    assertThatThrownBy(() -> tinyModel().posterior(new double[] {1, 2, 3}, new double[2][2]))
        .hasMessageContaining("prior must have 3 rows (one per value), got 2");
  }
}

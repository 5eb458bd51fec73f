package dev.sibyl.models.controls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.sibyl.models.api.TrainingData;
import dev.sibyl.models.api.TrainingListener;
import dev.sibyl.models.api.TrainingResult;
import dev.sibyl.models.testing.Synthetic;
import dev.sibyl.models.testing.Tiny;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DlinearTest {

  private final DlinearFamily family = new DlinearFamily();

  @Test
  void movingAverageReplicatesTheEdges() {
    double[][] a = Dlinear.movingAverage(5, 3);
    // row 0: (x0 + x0 + x1) / 3 with the first value repeated once
    assertThat(a[0][0]).isCloseTo(2.0 / 3, within(1e-12));
    assertThat(a[0][1]).isCloseTo(1.0 / 3, within(1e-12));
    assertThat(a[4][4]).isCloseTo(2.0 / 3, within(1e-12));
    for (double[] row : a) {
      assertThat(java.util.Arrays.stream(row).sum()).isCloseTo(1, within(1e-12));
    }
  }

  @Test
  void foldedPredictEqualsTheTwoBranchForward() {
    Dlinear model = family.create(Map.of(), 48, 12, 3);
    double[] x = Synthetic.trendSeason(48, 1, 0.1, 2, 24, 0.3, 5);

    double[] folded = model.predict(new double[][][] {{x}}, 12)[0][0];

    double[] naive = model.forwardTwoBranch(x);
    for (int k = 0; k < 12; k++) {
      assertThat(folded[k]).isCloseTo(naive[k], within(1e-9));
    }
    assertThat(model.predict(new double[][][] {{x, x}}, 5)[0][1]).hasSize(5);
    assertThat(model.parametersTrainable()).isEqualTo(2 * (48 * 12 + 12));
  }

  @Test
  void refusesOtherHorizonsAndShapes() {
    Dlinear model = family.create(Map.of(), 48, 12, 3);
    double[][][] x = {{new double[48]}};

    assertThatThrownBy(() -> model.predict(x, 13))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("trained for horizon 12 and does not roll forward; asked for horizon 13");
    assertThatThrownBy(() -> model.predict(new double[][][] {{new double[40]}}, 12))
        .hasMessageContaining("needs windows of lookback 48, got 40");
    assertThatThrownBy(() -> family.create(Map.of("kernel.size", "4"), 48, 12, 1))
        .hasMessageContaining("'kernel.size' must be an odd integer >= 1, got '4'");
    assertThatThrownBy(() -> family.create(Map.of("individual", "true"), 48, 12, 1))
        .hasMessageContaining("unknown dlinear hyperparameter 'individual'");
  }

  @Test
  void trainingLowersTheValidationLossAndKeepsTheBestEpoch() {
    TrainingData data = Tiny.seasonal(600, 48, 12, 11);
    List<Double> validation = new ArrayList<>();
    List<Boolean> best = new ArrayList<>();
    TrainingListener listener =
        new TrainingListener() {
          @Override
          public void onEpochEnd(int epoch, double trainLoss, double validationLoss, boolean b) {
            validation.add(validationLoss);
            best.add(b);
          }
        };

    TrainingResult result = family.train(data, Tiny.options(6), listener);

    assertThat(validation).isNotEmpty();
    double min = validation.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    assertThat(result.validationMetrics().get("mse")).isEqualTo(min);
    assertThat(best.get(result.bestEpoch() - 1)).isTrue();
    // a noisy sine with sigma 0.1 around amplitudes 1 and 0.5: the fit gets close to the noise
    assertThat(min).isLessThan(0.05);
    assertThat(result.model().horizon()).isEqualTo(12);
  }
}

package dev.sibyl.models.controls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.sibyl.models.api.PointModel;
import dev.sibyl.models.api.TrainingData;
import dev.sibyl.models.api.TrainingListener;
import dev.sibyl.models.api.TrainingOptions;
import dev.sibyl.models.api.TrainingResult;
import dev.sibyl.models.testing.Tiny;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ArForecasterTest {

  /** y_t = 0.6 y_(t-1) - 0.3 y_(t-2) + 0.5 + e. */
  private static double[] ar2(int n, long seed) {
    Random r = new Random(seed);
    double[] y = new double[n];
    for (int t = 2; t < n; t++) {
      y[t] = 0.6 * y[t - 1] - 0.3 * y[t - 2] + 0.5 + 0.1 * r.nextGaussian();
    }
    return y;
  }

  @Test
  void leastSquaresRecoversTheCoefficients() {
    double[] y = ar2(5000, 1);
    double[][] gram = new double[3][3];
    double[] xty = new double[3];
    int rows = ArForecaster.accumulate(y, 2, gram, xty);
    ArForecaster.symmetrise(gram);

    double[] beta = ArForecaster.solve(gram, xty, 2, 0);

    assertThat(rows).isEqualTo(4998);
    assertThat(beta[0]).isCloseTo(0.5, within(0.02));
    assertThat(beta[1]).isCloseTo(0.6, within(0.02));
    assertThat(beta[2]).isCloseTo(-0.3, within(0.02));
  }

  @Test
  void rollsForwardAnyHorizon() {
    ArForecaster m = new ArForecaster(4, 2, 1, new double[] {0.5}, "1", Map.of());

    double[] f = m.predict(new double[][][] {{{0, 0, 0, 2}}}, 3)[0][0];

    assertThat(f).containsExactly(2.0, 2.0, 2.0); // the fixed point of y = 1 + 0.5 y
    assertThat(m.autoregressive()).isTrue();
  }

  @Test
  void windowFittedModelForecastsTheProcessMean() {
    PointModel m = ArForecaster.windowFitted(2, 1e-3);
    double[] y = ar2(400, 2);

    double[] f = m.forecast(y, 50);

    assertThat(m.minHistory()).isEqualTo(7);
    assertThat(f[49]).isCloseTo(0.5 / (1 - 0.6 + 0.3), within(0.05));
    assertThatThrownBy(() -> m.forecast(Arrays.copyOf(y, 6), 1)).hasMessageContaining("at least 7");
  }

  @Test
  void trainingSelectsAnOrderOnValidation() {
    TrainingData data = Tiny.seasonal(800, 48, 24, 3);
    TrainingOptions options =
        new TrainingOptions(1, 1, 1, 1, 1, null, Map.of(ArFamily.ORDERS, "1,2,24,48"));

    TrainingResult r = new ArFamily().train(data, options, TrainingListener.NONE);

    ArForecaster m = (ArForecaster) r.model();
    // a period-24 cycle needs the lag 24 to be forecast a day ahead
    assertThat(m.order()).isGreaterThanOrEqualTo(24);
    assertThat(r.validationMetrics().get("mse")).isLessThan(0.1);
    assertThat(m.hyperparameters()).containsEntry(ArFamily.ORDER, Integer.toString(m.order()));
  }
}

package dev.sibyl.models.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.sibyl.models.api.TrainingListener;
import dev.sibyl.models.api.TrainingOptions;
import dev.sibyl.models.artifact.Weights;
import dev.sibyl.models.runtime.ModelRuntime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The loop the frozen-backbone families share, on one real parameter fitted to a constant. */
class EpochLoopTest {

  private static TrainingOptions options(int epochs, int batchSize, int patience) {
    return new TrainingOptions(epochs, batchSize, 0.1, patience, 7, null, Map.of());
  }

  /** Loss (w - 3)^2, its gradient left on w. */
  private static double fitTowardsThree(NDArray w) {
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      NDArray loss = w.sub(ModelRuntime.scalar(w.getManager(), 3f)).square().sum();
      collector.backward(loss);
      return loss.getFloat();
    }
  }

  @Test
  void everyStrideThWindowOncePerEpochANonFiniteBatchDroppedAndTheBestKept() {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray w = ModelRuntime.owned(manager, new float[] {0f}, new Shape(1));
      List<int[]> seen = new ArrayList<>();
      List<Double> trainLosses = new ArrayList<>();
      int[] calls = {0};
      // loss (w - 3)^2; the second batch of the run reports NaN and must not move w
      EpochLoop.BatchStep step = starts -> {
        seen.add(starts);
        double loss = fitTowardsThree(w);
        return calls[0]++ == 1 ? Double.NaN : loss;
      };
      TrainingListener listener = new TrainingListener() {
        @Override
        public void onEpochEnd(int epoch, double trainLoss, double validationLoss, boolean best) {
          trainLosses.add(trainLoss);
        }
      };
      double[] wAtValidation = new double[3];
      int[] epoch = {0};
      EpochLoop.Fit fit = EpochLoop.run(
          "test", manager, List.of(w), () -> Map.of("w", new Weights.Tensor(w.toFloatArray(), new long[] {1})),
          20, 3, options(3, 2, 5), (e, i, steps) -> 0.1, step,
          () -> {
            double v = w.getFloat(0);
            wAtValidation[epoch[0]++] = v;
            return new double[] {Math.abs(3 - v), 0};
          },
          listener);

      // windows 0..19 at stride 3 from an offset in [0, 3): 6 or 7 a epoch, starts = offset + 3k
      int[] firstEpoch = seen.stream().limit(3).flatMapToInt(java.util.Arrays::stream).sorted().toArray();
      assertThat(firstEpoch.length).isBetween(6, 7);
      for (int s : firstEpoch) {
        assertThat(s % 3).isEqualTo(firstEpoch[0] % 3);
        assertThat(s).isBetween(0, 19);
      }
      assertThat(firstEpoch).doesNotHaveDuplicates();
      // w moves towards 3 and the best (last) epoch's weights are kept
      assertThat(wAtValidation[2]).isGreaterThan(wAtValidation[0]).isLessThan(3.0);
      assertThat(fit.epochsRun()).isEqualTo(3);
      assertThat(fit.stopping().bestEpoch()).isEqualTo(3);
      assertThat(fit.best().get("w").data()[0]).isCloseTo((float) wAtValidation[2], offset(1e-6f));
      // the NaN batch is out of epoch 1's mean: its other batches' losses were finite
      assertThat(trainLosses.get(0)).isFinite();
    }
  }

  @Test
  void aRunWhoseValidationIsNeverFiniteSaysSoByFamily() {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray w = ModelRuntime.owned(manager, new float[] {0f}, new Shape(1));
      assertThatThrownBy(() -> EpochLoop.run(
              "smetimes", manager, List.of(w), Map::of, 8, 1, options(2, 4, 1), (e, i, steps) -> 0.1,
              starts -> fitTowardsThree(w), () -> new double[] {Double.NaN, Double.NaN},
              TrainingListener.NONE))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("smetimes validation loss was never finite (diverged); lower the learning rate");
    }
  }
}

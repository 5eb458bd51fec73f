package dev.sibyl.models.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.sibyl.models.runtime.ModelRuntime;
import dev.sibyl.models.testing.FreedBuffers;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class TrainLoopTest {

  @Test
  void earlyStoppingWaitsPatienceEpochs() {
    EarlyStopping s = new EarlyStopping(3);

    assertThat(s.update(1, 1.0)).isTrue();
    assertThat(s.update(2, 0.5)).isTrue();
    assertThat(s.update(3, 0.6)).isFalse();
    assertThat(s.update(4, 0.5)).isFalse(); // equal is not better
    assertThat(s.shouldStop()).isFalse();
    assertThat(s.update(5, 0.7)).isFalse();

    assertThat(s.shouldStop()).isTrue();
    assertThat(s.bestEpoch()).isEqualTo(2);
    assertThat(s.best()).isEqualTo(0.5);
    assertThatThrownBy(() -> new EarlyStopping(0)).hasMessageContaining("patience must be >= 1, got 0");
  }

  @Test
  void type1ScheduleHalvesFromTheThirdEpoch() {
    assertThat(EarlyStopping.type1(0.004, 1)).isEqualTo(0.004);
    assertThat(EarlyStopping.type1(0.004, 2)).isEqualTo(0.004);
    assertThat(EarlyStopping.type1(0.004, 3)).isEqualTo(0.002);
    assertThat(EarlyStopping.type1(0.004, 5)).isEqualTo(0.0005);
  }

  @Test
  void batchesArePermutedAndTheRemainderDropped() {
    int[][] b = Batches.shuffled(10, 3, new Random(1));

    assertThat(b).hasNumberOfRows(3);
    int[] all = Arrays.stream(b).flatMapToInt(Arrays::stream).sorted().toArray();
    assertThat(all).doesNotHaveDuplicates().hasSize(9);
    assertThat(Batches.shuffled(2, 32, new Random(1))).hasNumberOfRows(1);
  }

  @Test
  void aStepWithANonFiniteGradientIsDroppedAndTheNextOneCounts() {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray p = manager.create(new float[] {1f, 2f});
      p.setRequiresGradient(true);
      Adam adam = new Adam(manager, List.of(p));
      // d/dp sum(sqrt(p - 1.5)) is NaN for the first element: the whole step must be dropped
      double loss = backward(p, x -> x.sub(1.5f).sqrt().sum());
      assertThat(adam.stepIfFinite(0.1, loss)).isFalse();
      assertThat(p.toFloatArray()).containsExactly(1f, 2f);
      assertThat(p.getGradient().toFloatArray()).containsExactly(0f, 0f);

      loss = backward(p, x -> x.square().sum());
      assertThat(adam.stepIfFinite(0.1, loss)).isTrue();
      // Adam's first step moves each parameter by the learning rate against its gradient's sign
      assertThat(p.toFloatArray()[0]).isCloseTo(0.9f, offset(1e-5f));
      assertThat(p.toFloatArray()[1]).isCloseTo(1.9f, offset(1e-5f));
      assertThat(adam.stepIfFinite(0.1, Double.NaN)).isFalse();
    }
  }

  /**
   * The dropped step's zeroing must write into the gradient's own memory: replacing its storage
   * with a Java buffer (as {@code NDArray.set(float[])} does on the CPU) leaves the parameter's
   * gradient pointing into that buffer once the temporary NDArray is closed and the buffer freed,
   * and the next backward pass then accumulates into freed memory (the native heap corruption of
   * the SMETimes trainings).
   */
  @Test
  void aDroppedStepZeroesTheGradientInItsOwnMemory() throws InterruptedException {
    int n = 4096;
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray p = ModelRuntime.owned(manager, new float[n], new Shape(n));
      p.setRequiresGradient(true);
      Adam adam = new Adam(manager, List.of(p));
      long before = FreedBuffers.directMemoryUsed();
      double loss = backward(p, x -> x.sqrt().sum()); // d sqrt(x) / dx at 0: infinite
      assertThat(adam.stepIfFinite(0.1, loss)).isFalse();
      long during = FreedBuffers.directMemoryUsed();
      List<ByteBuffer> reused = FreedBuffers.reclaimAndReuse(Math.max(before, during), n * Float.BYTES);

      assertThat(p.getGradient().toFloatArray()).containsOnly(0f);
      backward(p, x -> x.mul(2f).sum());
      assertThat(p.getGradient().toFloatArray()).containsOnly(2f);
      assertThat(reused).hasSize(16);
    }
  }

  private static double backward(NDArray p, UnaryOperator<NDArray> f) {
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      NDArray loss = f.apply(p);
      collector.backward(loss);
      return loss.getFloat();
    }
  }
}

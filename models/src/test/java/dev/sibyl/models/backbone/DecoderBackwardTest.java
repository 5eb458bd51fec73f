package dev.sibyl.models.backbone;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.sibyl.models.runtime.ModelRuntime;
import dev.sibyl.models.testing.FreedBuffers;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The gradient through the frozen decoder does not depend on when the JVM collects garbage: every
 * constant autograd saves in the forward pass (the attention's sqrt(head_size), SiLU's factor)
 * lives in memory libtorch owns. With DJL's {@code div(Number)} and {@code swish(x, 1f)} those
 * constants sat in Java buffers freed once collected, and the backward pass read whatever reused
 * the memory: wrong gradients, or non-finite ones that made the optimiser drop the step.
 */
class DecoderBackwardTest {

  @Test
  void inputGradientIsTheSameWhenBuffersAreCollectedBeforeBackward() throws IOException, InterruptedException {
    try (LlamaDecoder decoder = Llama2cCheckpoint.load(TinyLm.file(TinyLm.CHECKPOINT), Device.cpu());
        NDManager manager = NDManager.newBaseManager(Device.cpu())) {
      int dim = decoder.config().dim();
      float[] x = new float[2 * 5 * dim];
      Random random = new Random(7);
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) random.nextGaussian();
      }
      float[] quiet = gradient(decoder, manager, x, false);
      float[] collected = gradient(decoder, manager, x, true);

      assertThat(quiet).doesNotContain(0f);
      assertThat(collected).containsExactly(quiet);
    }
  }

  /** d sum(decoder(x)^2) / dx over (2, 5, dim) inputs, optionally collecting between the passes. */
  private static float[] gradient(LlamaDecoder decoder, NDManager manager, float[] x, boolean collect)
      throws InterruptedException {
    try (NDManager scope = manager.newSubManager();
        DecoderState state = decoder.newState(2)) {
      NDArray input = ModelRuntime.owned(scope, x, new Shape(2, 5, decoder.config().dim()));
      input.setRequiresGradient(true);
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        long before = FreedBuffers.directMemoryUsed();
        NDArray loss = decoder.forward(input, state).square().sum();
        List<ByteBuffer> reused = collect ? FreedBuffers.reclaimAndReuse(before + 4, 4) : List.of();
        collector.backward(loss);
        assertThat(reused).hasSizeLessThanOrEqualTo(16);
      }
      return input.getGradient().toFloatArray();
    }
  }
}

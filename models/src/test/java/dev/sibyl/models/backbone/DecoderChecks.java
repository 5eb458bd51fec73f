package dev.sibyl.models.backbone;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;

/** Checks every {@link Decoder} must pass: shapes, and the KV cache equals full recomputation. */
final class DecoderChecks {

  private DecoderChecks() {}

  /** Runs 2 sequences of 10 random tokens at once and in pieces (7, 1, 2); returns the hidden. */
  static void shapesAndCacheEquivalence(Decoder decoder, long seed) {
    DecoderConfig c = decoder.config();
    try (NDManager scope = NDManager.newBaseManager(decoder.device())) {
      Random random = new Random(seed);
      int[] ids = new int[2 * 10];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = random.nextInt(c.vocabSize());
      }
      NDArray emb = decoder.tokenEmbeddings(scope.create(ids, new Shape(2, 10)));
      assertThat(emb.getShape()).isEqualTo(new Shape(2, 10, c.dim()));
      NDArray full;
      try (DecoderState state = decoder.newState(2)) {
        full = decoder.forward(emb, state); // (2, 10, dim)
        assertThat(state.position()).isEqualTo(10);
      }
      assertThat(full.getShape()).isEqualTo(new Shape(2, 10, c.dim()));
      assertThat(decoder.logits(full).getShape()).isEqualTo(new Shape(2, 10, c.vocabSize()));
      try (DecoderState state = decoder.newState(2)) {
        NDArray a = decoder.forward(emb.get(":, 0:7, :"), state);
        NDArray b = decoder.forward(emb.get(":, 7:8, :"), state);
        NDArray d = decoder.forward(emb.get(":, 8:, :"), state);
        NDArray cached = a.concat(b, 1).concat(d, 1);
        assertThat(LlamaDecoderTest.maxAbsDiff(full, cached)).isLessThan(1e-4f);
      }
      try (DecoderState state = decoder.newState(2)) {
        NDArray first = decoder.forward(emb, state, 1);
        assertThat(first.getShape()).isEqualTo(new Shape(2, 10, c.dim()));
        if (c.nLayers() > 1) {
          assertThat(LlamaDecoderTest.maxAbsDiff(full, first)).isGreaterThan(1e-4f);
        }
      }
    }
  }

  /** Hidden states of one random sequence of {@code n} tokens, flattened {@code (n * dim)}. */
  static float[] hidden(Decoder decoder, long seed, int n) {
    try (NDManager scope = NDManager.newBaseManager(decoder.device());
        DecoderState state = decoder.newState(1)) {
      Random random = new Random(seed);
      int[] ids = new int[n];
      for (int i = 0; i < n; i++) {
        ids[i] = random.nextInt(decoder.config().vocabSize());
      }
      NDArray emb = decoder.tokenEmbeddings(scope.create(ids, new Shape(1, n)));
      return decoder.forward(emb, state).toFloatArray();
    }
  }

  static float[] random(Random random, int n, float scale, float offset) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = offset + scale * (float) random.nextGaussian();
    }
    return out;
  }
}

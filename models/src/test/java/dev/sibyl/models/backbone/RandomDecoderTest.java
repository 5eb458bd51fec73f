package dev.sibyl.models.backbone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Shapes through every block on random weights and inputs, for the variants the llama2.c file does
 * not exercise: HALF RoPE, q/k/v biases, an untied classifier, several query heads per kv head.
 */
class RandomDecoderTest {

  private static DecoderConfig config(RopeStyle rope) {
    return new DecoderConfig(32, 48, 3, 8, 2, 50, 16, 1e-5f, 10000f, rope, false);
  }

  @ParameterizedTest
  @EnumSource(value = RopeStyle.class, names = {"INTERLEAVED", "HALF"})
  void shapesAndCacheEquivalence(RopeStyle rope) {
    DecoderConfig c = config(rope);
    try (LlamaDecoder decoder = randomDecoder(c, true, 7);
        NDManager scope = NDManager.newBaseManager(Device.cpu())) {
      Random random = new Random(11);
      int[] ids = new int[3 * 10];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = random.nextInt(c.vocabSize());
      }
      NDArray emb = decoder.tokenEmbeddings(scope.create(ids, new Shape(3, 10)));
      assertThat(emb.getShape()).isEqualTo(new Shape(3, 10, 32));

      NDArray full;
      try (DecoderState state = decoder.newState(3)) {
        full = decoder.forward(emb, state);
        assertThat(full.getShape()).isEqualTo(new Shape(3, 10, 32));
      }
      assertThat(decoder.logits(full).getShape()).isEqualTo(new Shape(3, 10, 50));

      try (DecoderState state = decoder.newState(3)) {
        NDArray first = decoder.forward(emb.get(":, 0:7, :"), state);
        NDArray rest = decoder.forward(emb.get(":, 7:, :"), state);
        assertThat(rest.getShape()).isEqualTo(new Shape(3, 3, 32));
        NDArray cached = first.concat(rest, 1);
        assertThat(LlamaDecoderTest.maxAbsDiff(full, cached)).isLessThan(1e-4f);
      }

      try (DecoderState state = decoder.newState(3)) {
        NDArray one = decoder.forward(emb, state, 1);
        assertThat(one.getShape()).isEqualTo(new Shape(3, 10, 32));
        assertThat(LlamaDecoderTest.maxAbsDiff(full, one)).isGreaterThan(1e-3f);
      }
    }
  }

  @Test
  void ropeRotatesEachPairByPositionTimesFrequency() {
    DecoderConfig c = config(RopeStyle.INTERLEAVED);
    float[][] t = LlamaDecoder.ropeTables(c);
    int hs = c.headSize(); // 4: pairs (0, 1) with freq 1, (2, 3) with freq 10000^-0.5
    int pos = 3;
    float freq1 = (float) Math.pow(10000, -0.5);
    assertThat(t[0][pos * hs]).isEqualTo((float) Math.cos(3f));
    assertThat(t[1][pos * hs]).isEqualTo((float) -Math.sin(3f));
    assertThat(t[1][pos * hs + 1]).isEqualTo((float) Math.sin(3f));
    assertThat(t[0][pos * hs + 2]).isCloseTo((float) Math.cos(3 * freq1), within());
    DecoderConfig half = config(RopeStyle.HALF);
    float[][] h = LlamaDecoder.ropeTables(half);
    // HALF pairs (0, 2) and (1, 3): feature 1 belongs to the second pair
    assertThat(h[0][pos * hs + 1]).isCloseTo((float) Math.cos(3 * freq1), within());
    assertThat(h[1][pos * hs + 2]).isEqualTo((float) Math.sin(3f));
  }

  @Test
  void rejectsWeightsOfTheWrongShape() {
    DecoderConfig c = config(RopeStyle.HALF);
    DecoderConfig wider =
        new DecoderConfig(48, 48, 3, 8, 2, 50, 16, 1e-5f, 1e4f, RopeStyle.HALF, false);
    try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
      DecoderWeights w = weights(manager, c, false, new Random(1));
      assertThatThrownBy(() -> new LlamaDecoder(wider, w, manager))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("tokenEmbedding must have shape (50, 48), got (50, 32)");
    }
  }

  @Test
  void configRejectsInconsistentHeads() {
    assertThatThrownBy(
            () -> new DecoderConfig(30, 48, 3, 4, 2, 50, 16, 1e-5f, 1e4f, RopeStyle.HALF, true))
        .hasMessageContaining("dim / nHeads must be an even integer, got dim=30, nHeads=4");
    assertThatThrownBy(
            () -> new DecoderConfig(32, 48, 3, 8, 3, 50, 16, 1e-5f, 1e4f, RopeStyle.HALF, true))
        .hasMessageContaining("nKvHeads must divide nHeads, got nHeads=8, nKvHeads=3");
    assertThatThrownBy(
            () -> new DecoderConfig(32, 0, 3, 8, 2, 50, 16, 1e-5f, 1e4f, RopeStyle.HALF, true))
        .hasMessageContaining("hiddenDim must be >= 1, got 0");
    assertThatThrownBy(
            () -> new DecoderConfig(32, 48, 3, 8, 2, 50, 16, 0f, 1e4f, RopeStyle.HALF, true))
        .hasMessageContaining("normEps must be positive and finite, got 0.0");
    DecoderConfig ok = config(RopeStyle.HALF);
    assertThat(ok.headSize()).isEqualTo(4);
    assertThat(ok.kvDim()).isEqualTo(8);
    assertThat(ok.groupSize()).isEqualTo(4);
  }

  private static org.assertj.core.data.Offset<Float> within() {
    return org.assertj.core.data.Offset.offset(1e-6f);
  }

  /** A decoder with N(0, 0.2) weights (norm weights near 1), seeded. */
  static LlamaDecoder randomDecoder(DecoderConfig c, boolean biases, long seed) {
    NDManager manager = NDManager.newBaseManager(Device.cpu());
    return new LlamaDecoder(c, weights(manager, c, biases, new Random(seed)), manager);
  }

  private static DecoderWeights weights(
      NDManager m, DecoderConfig c, boolean biases, Random random) {
    int dim = c.dim();
    int qkv = dim + 2 * c.kvDim();
    int hidden = c.hiddenDim();
    List<LayerWeights> layers = new ArrayList<>();
    for (int l = 0; l < c.nLayers(); l++) {
      layers.add(
          new LayerWeights(
              norm(m, dim, random),
              random(m, random, qkv, dim),
              biases ? random(m, random, qkv) : null,
              random(m, random, dim, dim),
              norm(m, dim, random),
              random(m, random, 2 * hidden, dim),
              random(m, random, dim, hidden)));
    }
    NDArray table = random(m, random, c.vocabSize(), dim);
    NDArray classifier = c.sharedClassifier() ? table : random(m, random, c.vocabSize(), dim);
    return new DecoderWeights(table, layers, norm(m, dim, random), classifier);
  }

  private static NDArray random(NDManager m, Random random, long... shape) {
    Shape s = new Shape(shape);
    float[] data = new float[(int) s.size()];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) (0.2 * random.nextGaussian());
    }
    return m.create(data, s);
  }

  private static NDArray norm(NDManager m, int dim, Random random) {
    float[] data = new float[dim];
    for (int i = 0; i < dim; i++) {
      data[i] = 1f + (float) (0.1 * random.nextGaussian());
    }
    return m.create(data, new Shape(dim));
  }
}

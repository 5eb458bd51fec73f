package dev.sibyl.models.backbone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The DJL decoder against its naive twin, its own full recomputation, and its contracts. */
class LlamaDecoderTest {

  /** Arbitrary token ids of the 512-token vocabulary, BOS first. */
  private static final int[] TOKENS = {
    1, 403, 407, 261, 378, 430, 66, 271, 406, 393, 424, 271, 334, 46, 409, 273, 482, 284, 260, 370,
    348, 260, 325, 395, 46, 366, 342, 44, 328, 306, 260, 449
  };

  private static LlamaDecoder decoder;
  private static NDManager manager;

  @BeforeAll
  static void load() throws Exception {
    decoder = Llama2cCheckpoint.load(TinyLm.file(TinyLm.CHECKPOINT), Device.cpu());
    manager = NDManager.newBaseManager(Device.cpu());
  }

  @AfterAll
  static void close() {
    if (manager != null) {
      manager.close();
    }
    if (decoder != null) {
      decoder.close();
    }
  }

  @Test
  void configComesFromTheHeader() {
    assertThat(decoder.config())
        .isEqualTo(
            new DecoderConfig(
                64, 172, 5, 8, 4, 512, 512, 1e-5f, 10000f, RopeStyle.INTERLEAVED, true));
    assertThat(decoder.embeddingTable().getShape()).isEqualTo(new Shape(512, 64));
  }

  @Test
  void logitsMatchTheNaiveRunCPortWithin1e4() throws Exception {
    NaiveLlama2c naive = new NaiveLlama2c(TinyLm.file(TinyLm.CHECKPOINT));
    try (NDManager scope = manager.newSubManager();
        DecoderState state = decoder.newState(1)) {
      NDArray ids = scope.create(TOKENS, new Shape(1, TOKENS.length));
      NDArray logits = decoder.logits(decoder.forward(decoder.tokenEmbeddings(ids), state));
      float[] djl = logits.toFloatArray(); // (1, seq, vocab)
      for (int pos = 0; pos < TOKENS.length; pos++) {
        float[] reference = naive.forward(TOKENS[pos], pos);
        for (int v = 0; v < reference.length; v++) {
          assertThat(djl[pos * reference.length + v])
              .as("logit %d at position %d", v, pos)
              .isCloseTo(reference[v], offset(1e-4f));
        }
      }
    }
  }

  @Test
  void kvCacheHiddenStatesEqualFullRecomputationWithin1e4() {
    try (NDManager scope = manager.newSubManager()) {
      NDArray ids = scope.create(TOKENS, new Shape(1, TOKENS.length));
      NDArray embeddings = decoder.tokenEmbeddings(ids);
      NDArray full;
      try (DecoderState state = decoder.newState(1)) {
        full = decoder.forward(embeddings, state);
      }
      // the same sequence in uneven chunks, single tokens included
      int[] chunks = {1, 5, 1, 1, 9, 15};
      List<NDArray> parts = new ArrayList<>();
      try (DecoderState state = decoder.newState(1)) {
        int at = 0;
        for (int len : chunks) {
          parts.add(decoder.forward(embeddings.get(":, {}:{}, :", at, at + len), state));
          at += len;
        }
        assertThat(state.position()).isEqualTo(TOKENS.length);
        assertThat(state.remaining()).isEqualTo(512 - TOKENS.length);
      }
      NDArray cached = NDArrays.concat(new NDList(parts), 1);
      assertThat(cached.getShape()).isEqualTo(new Shape(1, TOKENS.length, 64));
      assertThat(maxAbsDiff(full, cached)).isLessThan(1e-4f);
    }
  }

  @Test
  void batchRowsMatchSingleSequences() {
    try (NDManager scope = manager.newSubManager()) {
      int[] a = Arrays.copyOfRange(TOKENS, 0, 12);
      int[] b = Arrays.copyOfRange(TOKENS, 12, 24);
      int[] both = new int[24];
      System.arraycopy(a, 0, both, 0, 12);
      System.arraycopy(b, 0, both, 12, 12);
      NDArray batched;
      try (DecoderState state = decoder.newState(2)) {
        NDArray emb = decoder.tokenEmbeddings(scope.create(both, new Shape(2, 12)));
        batched = decoder.forward(emb.get(":, 0:8, :"), state);
        batched = batched.concat(decoder.forward(emb.get(":, 8:, :"), state), 1);
      }
      for (int row = 0; row < 2; row++) {
        try (DecoderState state = decoder.newState(1)) {
          int[] ids = row == 0 ? a : b;
          NDArray single =
              decoder.forward(decoder.tokenEmbeddings(scope.create(ids, new Shape(1, 12))), state);
          assertThat(maxAbsDiff(single, batched.get("{}:{}", row, row + 1))).isLessThan(1e-4f);
        }
      }
    }
  }

  @Test
  void firstKLayersChangeTheOutputAndKeepTheShape() {
    try (NDManager scope = manager.newSubManager();
        DecoderState all = decoder.newState(1);
        DecoderState two = decoder.newState(1)) {
      NDArray emb = decoder.tokenEmbeddings(scope.create(TOKENS, new Shape(1, TOKENS.length)));
      NDArray hAll = decoder.forward(emb, all, 5);
      NDArray hTwo = decoder.forward(emb, two, 2);
      assertThat(hTwo.getShape()).isEqualTo(new Shape(1, TOKENS.length, 64));
      assertThat(two.layersCached()).isEqualTo(2);
      assertThat(maxAbsDiff(hAll, hTwo)).isGreaterThan(1e-2f);
      assertThat(decoder.logits(hTwo).getShape()).isEqualTo(new Shape(1, TOKENS.length, 512));
      assertThatThrownBy(() -> decoder.forward(emb.get(":, 0:1, :"), two, 3))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("useLayers must stay 2 for this state, got 3");
    }
  }

  @Test
  void temporariesAreFreedAndTheCacheStaysInTheState() {
    NDManager weights = decoder.embeddingTable().getManager();
    int before = weights.getManagedArrays().size();
    try (NDManager scope = manager.newSubManager()) {
      NDArray emb = decoder.tokenEmbeddings(scope.create(TOKENS, new Shape(1, TOKENS.length)));
      int callerBefore = scope.getManagedArrays().size();
      try (DecoderState state = decoder.newState(1)) {
        decoder.forward(emb.get(":, 0:4, :"), state);
        decoder.forward(emb.get(":, 4:5, :"), state);
        // the caller got the 2 slices and the 2 results; the state holds one k and v per layer
        assertThat(scope.getManagedArrays()).hasSize(callerBefore + 4);
        assertThat(weights.getManagedArrays()).hasSize(before + 2 * 5);
      }
      assertThat(weights.getManagedArrays()).hasSize(before);
    }
  }

  @Test
  void gradientsFlowToTheInputsButNotTheFrozenWeights() {
    try (NDManager scope = manager.newSubManager();
        DecoderState state = decoder.newState(1);
        GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      int[] ids = Arrays.copyOf(TOKENS, 6);
      NDArray emb = decoder.tokenEmbeddings(scope.create(ids, new Shape(1, 6)));
      NDArray input = emb.duplicate();
      input.setRequiresGradient(true);
      NDArray hidden = decoder.forward(input, state, 3);
      collector.backward(hidden.square().sum());
      NDArray grad = input.getGradient();
      assertThat(grad.getShape()).isEqualTo(new Shape(1, 6, 64));
      assertThat(grad.abs().sum().getFloat()).isGreaterThan(0f);
      assertThat(decoder.embeddingTable().hasGradient()).isFalse();
    }
  }

  @Test
  void rejectsBadShapesAndOverflow() {
    try (NDManager scope = manager.newSubManager();
        DecoderState state = decoder.newState(1)) {
      assertThatThrownBy(() -> decoder.forward(scope.zeros(new Shape(1, 3, 32)), state, 5))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("inputEmbeddings must have shape (batch, seq >= 1, dim=64)");
      assertThatThrownBy(() -> decoder.forward(scope.zeros(new Shape(2, 3, 64)), state, 5))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("batch must equal the state's batch 1");
      assertThatThrownBy(() -> decoder.forward(scope.zeros(new Shape(1, 3, 64)), state, 6))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("useLayers must be in [1, 5], got 6");
      assertThatThrownBy(() -> decoder.forward(scope.zeros(new Shape(1, 513, 64)), state, 5))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("sequence would exceed maxSeqLen=512: position 0 + 513");
      assertThatThrownBy(() -> decoder.tokenEmbeddings(scope.zeros(new Shape(3))))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("ids must have shape (batch, seq)");
      assertThatThrownBy(() -> decoder.logits(scope.zeros(new Shape(1, 3, 8))))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("hidden must have shape (batch, seq, dim=64)");
      assertThatThrownBy(() -> decoder.newState(0))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("batch must be >= 1, got 0");
    }
  }

  static float maxAbsDiff(NDArray a, NDArray b) {
    return a.sub(b).abs().max().getFloat();
  }
}

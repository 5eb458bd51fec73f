package dev.sibyl.models.backbone;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
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
      // forwardLast: the last position's hidden state, and a cache complete for what follows
      try (DecoderState state = decoder.newState(2)) {
        NDArray a = decoder.forwardLast(emb.get(":, 0:7, :"), state, c.nLayers());
        assertThat(a.getShape()).isEqualTo(new Shape(2, 1, c.dim()));
        assertThat(state.position()).isEqualTo(7);
        assertThat(LlamaDecoderTest.maxAbsDiff(full.get(":, 6:7, :"), a)).isLessThan(1e-4f);
        NDArray b = decoder.forward(emb.get(":, 7:8, :"), state);
        assertThat(LlamaDecoderTest.maxAbsDiff(full.get(":, 7:8, :"), b)).isLessThan(1e-4f);
        NDArray d = decoder.forwardLast(emb.get(":, 8:, :"), state, c.nLayers());
        assertThat(LlamaDecoderTest.maxAbsDiff(full.get(":, 9:10, :"), d)).isLessThan(1e-4f);
      }
      try (DecoderState state = decoder.newState(2)) {
        NDArray first = decoder.forward(emb, state, 1);
        assertThat(first.getShape()).isEqualTo(new Shape(2, 10, c.dim()));
        if (c.nLayers() > 1) {
          assertThat(LlamaDecoderTest.maxAbsDiff(full, first)).isGreaterThan(1e-4f);
        }
        // the residual stream before the final norm: the norm of it is the hidden output
        try (DecoderState again = decoder.newState(2)) {
          NDArray residual = decoder.forwardResidual(emb, again, 1);
          assertThat(again.position()).isEqualTo(10);
          assertThat(LlamaDecoderTest.maxAbsDiff(first, residual)).isGreaterThan(1e-2f);
          NDArray normed = ((TransformerDecoder) decoder).finalNorm(residual);
          assertThat(LlamaDecoderTest.maxAbsDiff(first, normed)).isLessThan(1e-5f);
        }
        // the last block used is the one that queries the last position alone
        try (DecoderState again = decoder.newState(2)) {
          NDArray last = decoder.forwardLast(emb, again, 1);
          assertThat(LlamaDecoderTest.maxAbsDiff(first.get(":, 9:10, :"), last)).isLessThan(1e-4f);
        }
      }
    }
    raggedRowsDecodeAsAlone(decoder, seed);
  }

  /**
   * Sequences at different positions stacked into one state ({@link DecoderState#concat} pads the
   * shorter) decode as they do alone: a pass of one token, then of two (causal within the pass and
   * masked padding), then of two through {@link Decoder#forwardLast}, then, split back, one more
   * token each on their own states.
   */
  static void raggedRowsDecodeAsAlone(Decoder decoder, long seed) {
    DecoderConfig c = decoder.config();
    int[] prefix = {3, 6}; // tokens already cached: sequence a (1 row), sequence b (2 rows)
    int[] batch = {1, 2};
    int extra = 6; // 1 + 2 + 2 stacked, then 1 alone
    try (NDManager scope = NDManager.newBaseManager(decoder.device())) {
      Random random = new Random(seed);
      NDArray[] emb = new NDArray[2];
      NDArray[] alone = new NDArray[2]; // the reference: each sequence in one pass, (rows, n, dim)
      for (int s = 0; s < 2; s++) {
        int n = prefix[s] + extra;
        int[] ids = new int[batch[s] * n];
        for (int i = 0; i < ids.length; i++) {
          ids[i] = random.nextInt(c.vocabSize());
        }
        emb[s] = decoder.tokenEmbeddings(scope.create(ids, new Shape(batch[s], n)));
        try (DecoderState state = decoder.newState(batch[s])) {
          alone[s] = decoder.forward(emb[s], state);
        }
      }
      try (DecoderState a = decoder.newState(1);
          DecoderState b = decoder.newState(2)) {
        List<DecoderState> states = List.of(a, b);
        for (int s = 0; s < 2; s++) {
          decoder.forward(emb[s].get(":, 0:{}, :", prefix[s]), states.get(s));
        }
        int[] done = prefix.clone();
        for (int seq : new int[] {1, 2, -2}) { // -2: two tokens through forwardLast
          boolean lastOnly = seq < 0;
          seq = Math.abs(seq);
          NDArray in = emb[0].get(":, {}:{}, :", done[0], done[0] + seq)
              .concat(emb[1].get(":, {}:{}, :", done[1], done[1] + seq), 0);
          try (DecoderState stacked = DecoderState.concat(states)) {
            assertThat(stacked.padding(0)).isEqualTo(3);
            assertThat(stacked.padding(1)).isZero();
            NDArray out = lastOnly ? decoder.forwardLast(in, stacked, c.nLayers()) : decoder.forward(in, stacked);
            stacked.splitInto(states);
            for (int s = 0; s < 2; s++) {
              NDArray rows = s == 0 ? out.get("0:1") : out.get("1:3");
              NDArray ref = alone[s].get(":, {}:{}, :", lastOnly ? done[s] + seq - 1 : done[s], done[s] + seq);
              assertThat(LlamaDecoderTest.maxAbsDiff(ref, rows)).isLessThan(1e-4f);
              done[s] += seq;
              assertThat(states.get(s).position()).isEqualTo(done[s]);
              assertThat(states.get(s).padding(0)).isZero();
            }
          }
        }
        for (int s = 0; s < 2; s++) {
          NDArray out = decoder.forward(emb[s].get(":, {}:{}, :", done[s], done[s] + 1), states.get(s));
          NDArray ref = alone[s].get(":, {}:{}, :", done[s], done[s] + 1);
          assertThat(LlamaDecoderTest.maxAbsDiff(ref, out)).isLessThan(1e-4f);
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

package dev.sibyl.models.backbone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import dev.sibyl.models.tokenizer.Llama2cTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Contrastive search on stories260K: alpha 0 is greedy; alpha 0.6 differs and is deterministic. */
class ContrastiveSearchTest {

  private static LlamaDecoder decoder;

  @BeforeAll
  static void load() throws Exception {
    decoder = Llama2cCheckpoint.load(TinyLm.file(TinyLm.CHECKPOINT), Device.cpu());
  }

  @AfterAll
  static void close() {
    if (decoder != null) {
      decoder.close();
    }
  }

  @Test
  void alphaZeroIsGreedy() {
    int[] bos = {Llama2cTokenizer.BOS};
    GenerationOptions options = GenerationOptions.llama2c(40);
    int[] greedy = new Generator(decoder).generate(bos, options, Sampler.greedy());
    List<Integer> streamed = new ArrayList<>();
    int[] contrastive =
        new ContrastiveSearch(decoder)
            .generate(bos, options, new ContrastiveOptions(0f, 4), streamed::add);
    assertThat(contrastive).containsExactly(greedy);
    assertThat(streamed).containsExactlyElementsOf(Arrays.stream(greedy).boxed().toList());
  }

  @Test
  void penaltyChangesTheTextDeterministically() {
    int[] prompt = {Llama2cTokenizer.BOS, 400, 300};
    GenerationOptions options = new GenerationOptions(40, true, -1);
    ContrastiveSearch search = new ContrastiveSearch(decoder);
    int[] a = search.generate(prompt, options, new ContrastiveOptions(0.6f, 5), t -> {});
    int[] b = search.generate(prompt, options, new ContrastiveOptions(0.6f, 5), t -> {});
    int[] greedy = new Generator(decoder).generate(prompt, options, Sampler.greedy());
    assertThat(a).hasSize(38).containsExactly(b);
    assertThat(a).isNotEqualTo(greedy);
  }

  @Test
  void topKKeepsTheLargestLowerIndexFirst() {
    double[] v = {0.1, 0.5, 0.5, 0.9, 0.2};
    assertThat(ContrastiveSearch.topK(v, 3)).containsExactly(3, 1, 2);
    assertThat(ContrastiveSearch.topK(v, 5)).containsExactly(3, 1, 2, 4, 0);
    assertThat(ContrastiveSearch.topK(v, 1)).containsExactly(3);
  }

  @Test
  void rejectsBadSettings() {
    ContrastiveSearch search = new ContrastiveSearch(decoder);
    assertThatThrownBy(() -> new ContrastiveOptions(1.5f, 4))
        .hasMessageContaining("alpha must be in [0, 1], got 1.5");
    assertThatThrownBy(() -> new ContrastiveOptions(0.5f, 0))
        .hasMessageContaining("k must be >= 1, got 0");
    assertThatThrownBy(
            () ->
                search.generate(
                    new int[] {1}, GenerationOptions.llama2c(512), new ContrastiveOptions(0.5f, 4), t -> {}))
        .hasMessageContaining("steps must be < maxSeqLen=512 for contrastive search, got 512");
  }

  @Test
  void reorderRowsCopiesTheChosenRow() {
    try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager(Device.cpu());
        DecoderState state = decoder.newState(3)) {
      int[] ids = {1, 50, 60, 1, 70, 80, 1, 90, 100};
      decoder.forward(
          decoder.tokenEmbeddings(m.create(ids, new ai.djl.ndarray.types.Shape(3, 3))), state);
      state.reorderRows(new int[] {2, 2, 2});
      float[] next;
      try (DecoderState single = decoder.newState(1)) {
        decoder.forward(
            decoder.tokenEmbeddings(m.create(new int[] {1, 90, 100}, new ai.djl.ndarray.types.Shape(1, 3))),
            single);
        next =
            decoder
                .forward(
                    decoder.tokenEmbeddings(m.create(new int[] {7}, new ai.djl.ndarray.types.Shape(1, 1))),
                    single)
                .toFloatArray();
      }
      float[] rows =
          decoder
              .forward(
                  decoder.tokenEmbeddings(m.create(new int[] {7, 7, 7}, new ai.djl.ndarray.types.Shape(3, 1))),
                  state)
              .toFloatArray();
      for (int r = 0; r < 3; r++) {
        for (int d = 0; d < next.length; d++) {
          assertThat(rows[r * next.length + d]).isCloseTo(next[d], org.assertj.core.data.Offset.offset(1e-4f));
        }
      }
      assertThatThrownBy(() -> state.reorderRows(new int[] {0, 3, 1}))
          .hasMessageContaining("row must be in [0, 3), got 3");
    }
  }
}

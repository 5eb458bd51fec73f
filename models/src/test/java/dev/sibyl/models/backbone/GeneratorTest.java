package dev.sibyl.models.backbone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import dev.sibyl.models.tokenizer.Llama2cTokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Generation from a multi-token prompt, sampling, and the argument checks. */
class GeneratorTest {

  private static LlamaDecoder decoder;
  private static Llama2cTokenizer tokenizer;

  @BeforeAll
  static void load() throws Exception {
    tokenizer = Llama2cTokenizer.load(TinyLm.file(TinyLm.TOKENIZER));
    decoder = Llama2cCheckpoint.load(TinyLm.file(TinyLm.CHECKPOINT), Device.cpu());
  }

  @AfterAll
  static void close() {
    if (decoder != null) {
      decoder.close();
    }
  }

  @Test
  void promptIsPrefilledAndContinuedTheSameWithAndWithoutCache() {
    Generator generator = new Generator(decoder);
    int[] prompt = tokenizer.encode("Lily and Ben went to the park", true, false);
    GenerationOptions options = GenerationOptions.llama2c(40);
    List<Integer> streamed = new ArrayList<>();
    int[] cached = generator.generate(prompt, options, Sampler.greedy(), streamed::add);
    int[] full = generator.generate(prompt, options.withKvCache(false), Sampler.greedy());

    assertThat(cached).hasSize(40 - prompt.length + 1).isEqualTo(full);
    assertThat(streamed).containsExactlyElementsOf(Arrays.stream(cached).boxed().toList());
    String text = new String(Generator.render(tokenizer, prompt, cached), StandardCharsets.UTF_8);
    assertThat(text).startsWith("Lily and Ben went to the park");
  }

  @Test
  void seededSamplingIsReproducibleAndTopKOneIsGreedy() {
    Generator generator = new Generator(decoder);
    int[] bos = {Llama2cTokenizer.BOS};
    GenerationOptions options = GenerationOptions.llama2c(60);
    int[] a = generator.generate(bos, options, Sampler.of(1.0f, 0, 0.9f, 42));
    int[] b = generator.generate(bos, options, Sampler.of(1.0f, 0, 0.9f, 42));
    int[] greedy = generator.generate(bos, options, Sampler.greedy());
    int[] topOne = generator.generate(bos, options, Sampler.of(0.8f, 1, 1f, 7));

    assertThat(a).isEqualTo(b);
    assertThat(a).isNotEqualTo(greedy);
    assertThat(topOne).isEqualTo(greedy);
  }

  @Test
  void rejectsBadArguments() {
    Generator generator = new Generator(decoder);
    assertThatThrownBy(
            () -> generator.generate(new int[0], GenerationOptions.llama2c(10), Sampler.greedy()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("prompt length must be in [1, steps=10], got 0");
    assertThatThrownBy(
            () ->
                generator.generate(new int[] {1}, GenerationOptions.llama2c(513), Sampler.greedy()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("steps must be <= maxSeqLen=512, got 513");
    assertThatThrownBy(() -> GenerationOptions.llama2c(0))
        .hasMessageContaining("steps must be >= 1, got 0");
  }
}

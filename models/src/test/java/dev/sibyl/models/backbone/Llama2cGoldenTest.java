package dev.sibyl.models.backbone;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.sibyl.models.tokenizer.Llama2cTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The golden end-to-end test (R7): greedy decoding of stories260K from BOS for 200 steps prints
 * exactly what llama2.c's {@code run stories260K.bin -z tok512.bin -t 0 -n 200} prints.
 */
class Llama2cGoldenTest {

  private static final int STEPS = 200;

  private static LlamaDecoder decoder;
  private static Llama2cTokenizer tokenizer;
  private static byte[] expected;

  @BeforeAll
  static void load() throws Exception {
    expected = Files.readAllBytes(TinyLm.file(TinyLm.EXPECTED));
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
  void greedyWithKvCacheReproducesLlama2c() {
    Generator generator = new Generator(decoder);
    int[] prompt = {Llama2cTokenizer.BOS};
    // a short warm-up, then the timed run
    generator.generate(prompt, GenerationOptions.llama2c(20), Sampler.greedy());
    long start = System.nanoTime();
    int[] tokens = generator.generate(prompt, GenerationOptions.llama2c(STEPS), Sampler.greedy());
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        "stories260K greedy with KV cache: %d tokens in %.3f s = %.1f tokens/s%n",
        tokens.length, seconds, tokens.length / seconds);

    assertThat(tokens).hasSize(STEPS);
    assertThat(text(prompt, tokens)).isEqualTo(new String(expected, StandardCharsets.UTF_8));
    assertThat(Generator.render(tokenizer, prompt, tokens)).isEqualTo(expected);
  }

  @Test
  void greedyWithFullRecomputationReproducesLlama2c() {
    Generator generator = new Generator(decoder);
    int[] prompt = {Llama2cTokenizer.BOS};
    int[] tokens =
        generator.generate(
            prompt, GenerationOptions.llama2c(STEPS).withKvCache(false), Sampler.greedy());

    assertThat(Generator.render(tokenizer, prompt, tokens)).isEqualTo(expected);
  }

  private static String text(int[] prompt, int[] tokens) {
    return new String(Generator.render(tokenizer, prompt, tokens), StandardCharsets.UTF_8);
  }
}

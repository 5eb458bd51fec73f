package dev.sibyl.models.backbone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Llama-3 RoPE scaling (Llama-3.1 / 3.2 {@code rope_scaling} with {@code rope_type "llama3"}): the
 * scaled inverse frequencies against transformers' {@code _compute_llama3_parameters} written out
 * independently here, a tiny Hugging Face Llama directory that uses it, and the rejection of other
 * rope types by name.
 */
class RopeScalingTest {

  @TempDir Path tmp;

  /** Llama-3.2's parameters, with a short original context so a small head hits every branch. */
  private static Map<String, Object> llama3(String typeKey, int originalContext) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put(typeKey, "llama3");
    s.put("factor", 32.0);
    s.put("low_freq_factor", 1.0);
    s.put("high_freq_factor", 4.0);
    s.put("original_max_position_embeddings", originalContext);
    return s;
  }

  /**
   * transformers {@code _compute_llama3_parameters}, element by element, in double: {@code inv_freq
   * = 1 / base^(arange(0, dim, 2) / dim)}, then by wavelength: divided by factor, kept, or smoothly
   * interpolated.
   */
  private static double[] expectedInvFreq(
      double base, int headSize, double factor, double low, double high, double oldContext) {
    double[] out = new double[headSize / 2];
    double lowFreqWavelen = oldContext / low;
    double highFreqWavelen = oldContext / high;
    for (int i = 0; i < out.length; i++) {
      double invFreq = 1.0 / Math.pow(base, (2.0 * i) / headSize);
      double wavelen = 2 * Math.PI / invFreq;
      if (wavelen > lowFreqWavelen) {
        out[i] = invFreq / factor;
      } else if (wavelen < highFreqWavelen) {
        out[i] = invFreq;
      } else {
        double smooth = (oldContext / wavelen - low) / (high - low);
        out[i] = (1 - smooth) * invFreq / factor + smooth * invFreq;
      }
    }
    return out;
  }

  @Test
  void scaledInverseFrequenciesMatchTransformersLlama3Rule() {
    // head size 16, theta 10000: wavelengths 2pi * 10000^(i/8) = 6.3, 19.9, 62.8, 199, 628, 1987,
    // 6283, 19869; with an original context of 2048 (high cut 512, low cut 2048) pairs 0-3 are
    // kept, 4-5 interpolated, 6-7 divided by the factor
    RopeScaling scaling = new RopeScaling(8.0, 1.0, 4.0, 2048);
    DecoderConfig c =
        new DecoderConfig(32, 48, 1, 2, 1, 10, 16, 1e-5f, 10000f, RopeStyle.HALF, false, scaling);
    float[] actual = LlamaDecoder.inverseFrequencies(c);
    double[] expected = expectedInvFreq(10000.0, 16, 8.0, 1.0, 4.0, 2048.0);
    assertThat(actual).hasSize(8);
    for (int i = 0; i < 8; i++) {
      assertThat((double) actual[i]).as("pair %d", i).isCloseTo(expected[i], within(1e-6 * expected[i]));
    }
    float[] plain =
        LlamaDecoder.inverseFrequencies(
            new DecoderConfig(32, 48, 1, 2, 1, 10, 16, 1e-5f, 10000f, RopeStyle.HALF, false));
    for (int i = 0; i < 4; i++) {
      assertThat(actual[i]).as("kept pair %d", i).isEqualTo(plain[i]);
    }
    for (int i = 4; i < 6; i++) {
      assertThat(actual[i]).as("interpolated pair %d", i).isLessThan(plain[i]);
      assertThat(actual[i]).as("interpolated pair %d", i).isGreaterThan(plain[i] / 8);
    }
    for (int i = 6; i < 8; i++) {
      assertThat((double) actual[i]).as("divided pair %d", i).isCloseTo(plain[i] / 8.0, within(1e-6 * plain[i]));
    }
    // the RoPE tables use the scaled frequencies: cos(pos * freq) at pos 5 of the last pair
    float[][] tables = LlamaDecoder.ropeTables(c);
    assertThat((double) tables[0][5 * 16 + 7]).isCloseTo(Math.cos(5 * expected[7]), within(1e-6));
  }

  @Test
  void llama3ScaledHfLlamaLoadsAndCacheMatchesRecomputation() throws IOException {
    // head size 8, theta 1e6: wavelengths 6.3, 199, 6283, 198691; original context 512 (cuts 128
    // and 512): pair 0 kept, pair 1 interpolated, pairs 2-3 divided by 32
    Map<String, Object> config = HfLlamaCheckpointTest.llamaConfig("llama", false);
    config.put("rope_scaling", llama3("rope_type", 512));
    Path dir = tmp.resolve("llama3");
    SafetensorsWriter.writeCheckpoint(
        dir, config, HfLlamaCheckpointTest.randomLlama(false, false, 7), "F32", 1);
    Map<String, Object> plainConfig = HfLlamaCheckpointTest.llamaConfig("llama", false);
    Path plainDir = tmp.resolve("plain");
    SafetensorsWriter.writeCheckpoint(
        plainDir, plainConfig, HfLlamaCheckpointTest.randomLlama(false, false, 7), "F32", 1);
    try (Decoder decoder = DecoderLoader.load(dir, Device.cpu(), 0);
        Decoder plain = DecoderLoader.load(plainDir, Device.cpu(), 0)) {
      assertThat(decoder.config().ropeScaling()).isEqualTo(new RopeScaling(32.0, 1.0, 4.0, 512));
      assertThat(plain.config().ropeScaling()).isNull();
      DecoderChecks.shapesAndCacheEquivalence(decoder, 11);
      // same weights, only the frequencies differ: the hidden states differ from position 1 on
      assertThat(DecoderChecks.hidden(decoder, 3, 12)).isNotEqualTo(DecoderChecks.hidden(plain, 3, 12));
    }
  }

  @Test
  void olderTypeKeyAndTransformers5RopeParametersAreRead() throws IOException {
    Map<String, Object> config = HfLlamaCheckpointTest.llamaConfig("llama", true);
    config.put("rope_scaling", llama3("type", 8192));
    Path dir = tmp.resolve("type-key");
    SafetensorsWriter.writeCheckpoint(
        dir, config, HfLlamaCheckpointTest.randomLlama(false, true, 1), "F32", 1);
    assertThat(HfConfig.llama(dir, 0).ropeScaling()).isEqualTo(new RopeScaling(32.0, 1.0, 4.0, 8192));

    Map<String, Object> tf5 = HfLlamaCheckpointTest.llamaConfig("llama", true);
    tf5.remove("rope_theta");
    tf5.remove("rope_scaling");
    Map<String, Object> params = llama3("rope_type", 8192);
    params.put("rope_theta", 500000.0);
    tf5.put("rope_parameters", params);
    Path dir5 = tmp.resolve("tf5");
    SafetensorsWriter.writeCheckpoint(
        dir5, tf5, HfLlamaCheckpointTest.randomLlama(false, true, 1), "F32", 1);
    DecoderConfig c = HfConfig.llama(dir5, 0);
    assertThat(c.ropeTheta()).isEqualTo(500000f);
    assertThat(c.ropeScaling()).isEqualTo(new RopeScaling(32.0, 1.0, 4.0, 8192));
  }

  @Test
  void unknownOrIncompleteRopeScalingIsRejectedByName() throws IOException {
    Map<String, Object> config = HfLlamaCheckpointTest.llamaConfig("llama", true);
    config.put("rope_scaling", Map.of("rope_type", "yarn", "factor", 4.0));
    Path a = tmp.resolve("yarn");
    SafetensorsWriter.writeCheckpoint(
        a, config, HfLlamaCheckpointTest.randomLlama(false, true, 1), "F32", 1);
    assertThatThrownBy(() -> HfLlamaCheckpoint.load(a, Device.cpu()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("rope_scaling rope_type yarn is not supported (default and llama3 are)");

    config.put("rope_scaling", Map.of("type", "linear", "factor", 2.0));
    SafetensorsWriter.writeCheckpoint(
        a, config, HfLlamaCheckpointTest.randomLlama(false, true, 1), "F32", 1);
    assertThatThrownBy(() -> HfConfig.llama(a, 0))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("rope_type linear is not supported");

    config.put("rope_scaling", Map.of("rope_type", "llama3", "factor", 32.0));
    SafetensorsWriter.writeCheckpoint(
        a, config, HfLlamaCheckpointTest.randomLlama(false, true, 1), "F32", 1);
    assertThatThrownBy(() -> HfConfig.llama(a, 0))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("rope_scaling llama3 is missing number low_freq_factor");

    Map<String, Object> inverted = llama3("rope_type", 8192);
    inverted.put("high_freq_factor", 0.5);
    config.put("rope_scaling", inverted);
    SafetensorsWriter.writeCheckpoint(
        a, config, HfLlamaCheckpointTest.randomLlama(false, true, 1), "F32", 1);
    assertThatThrownBy(() -> HfConfig.llama(a, 0))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("high_freq_factor must be > low_freq_factor=1.0, got 0.5");
  }
}

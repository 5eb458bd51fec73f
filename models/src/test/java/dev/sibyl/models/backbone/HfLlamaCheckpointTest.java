package dev.sibyl.models.backbone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import dev.sibyl.models.backbone.SafetensorsWriter.Tensor;
import dev.sibyl.models.tokenizer.Llama2cTokenizer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Hugging Face Llama-family loader on directories with real file layouts: random Qwen2 and
 * Llama checkpoints (biases, grouped-query attention, tied and untied, BF16, sharded), and
 * stories260K converted from llama2.c to the Hugging Face layout, which must decode exactly as the
 * llama2.c loader does.
 */
class HfLlamaCheckpointTest {

  @TempDir Path tmp;

  /** A random Llama-family checkpoint: dim 32, hidden 48, 2 layers, 4 heads, 2 kv heads. */
  static Map<String, Tensor> randomLlama(boolean biases, boolean tied, long seed) {
    int dim = 32;
    int kv = 16;
    int hidden = 48;
    int vocab = 40;
    Random r = new Random(seed);
    Map<String, Tensor> t = new LinkedHashMap<>();
    t.put("model.embed_tokens.weight", new Tensor(new long[] {vocab, dim}, DecoderChecks.random(r, vocab * dim, 0.5f, 0f)));
    for (int l = 0; l < 2; l++) {
      String p = "model.layers." + l + ".";
      t.put(p + "input_layernorm.weight", new Tensor(new long[] {dim}, DecoderChecks.random(r, dim, 0.1f, 1f)));
      t.put(p + "self_attn.q_proj.weight", new Tensor(new long[] {dim, dim}, DecoderChecks.random(r, dim * dim, 0.2f, 0f)));
      t.put(p + "self_attn.k_proj.weight", new Tensor(new long[] {kv, dim}, DecoderChecks.random(r, kv * dim, 0.2f, 0f)));
      t.put(p + "self_attn.v_proj.weight", new Tensor(new long[] {kv, dim}, DecoderChecks.random(r, kv * dim, 0.2f, 0f)));
      if (biases) {
        t.put(p + "self_attn.q_proj.bias", new Tensor(new long[] {dim}, DecoderChecks.random(r, dim, 0.5f, 0f)));
        t.put(p + "self_attn.k_proj.bias", new Tensor(new long[] {kv}, DecoderChecks.random(r, kv, 0.5f, 0f)));
        t.put(p + "self_attn.v_proj.bias", new Tensor(new long[] {kv}, DecoderChecks.random(r, kv, 0.5f, 0f)));
      }
      t.put(p + "self_attn.o_proj.weight", new Tensor(new long[] {dim, dim}, DecoderChecks.random(r, dim * dim, 0.2f, 0f)));
      t.put(p + "post_attention_layernorm.weight", new Tensor(new long[] {dim}, DecoderChecks.random(r, dim, 0.1f, 1f)));
      t.put(p + "mlp.gate_proj.weight", new Tensor(new long[] {hidden, dim}, DecoderChecks.random(r, hidden * dim, 0.2f, 0f)));
      t.put(p + "mlp.up_proj.weight", new Tensor(new long[] {hidden, dim}, DecoderChecks.random(r, hidden * dim, 0.2f, 0f)));
      t.put(p + "mlp.down_proj.weight", new Tensor(new long[] {dim, hidden}, DecoderChecks.random(r, dim * hidden, 0.2f, 0f)));
    }
    t.put("model.norm.weight", new Tensor(new long[] {dim}, DecoderChecks.random(r, dim, 0.1f, 1f)));
    if (!tied) {
      t.put("lm_head.weight", new Tensor(new long[] {vocab, dim}, DecoderChecks.random(r, vocab * dim, 0.3f, 0f)));
    }
    return t;
  }

  static Map<String, Object> llamaConfig(String type, boolean tied) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("architectures", java.util.List.of(type.equals("qwen2") ? "Qwen2ForCausalLM" : "LlamaForCausalLM"));
    c.put("model_type", type);
    c.put("hidden_size", 32);
    c.put("intermediate_size", 48);
    c.put("num_hidden_layers", 2);
    c.put("num_attention_heads", 4);
    c.put("num_key_value_heads", 2);
    c.put("vocab_size", 40);
    c.put("max_position_embeddings", 64);
    c.put("rms_norm_eps", 1e-6);
    c.put("rope_theta", 1000000.0);
    c.put("hidden_act", "silu");
    c.put("tie_word_embeddings", tied);
    c.put("rope_scaling", null);
    c.put("torch_dtype", "float32");
    return c;
  }

  @Test
  void qwen2WithBiasesUntiedLoadsAndCacheMatchesRecomputation() throws IOException {
    Path dir = tmp.resolve("qwen2");
    SafetensorsWriter.writeCheckpoint(dir, llamaConfig("qwen2", false), randomLlama(true, false, 1), "F32", 1);
    assertThat(DecoderLoader.detect(dir)).isEqualTo("qwen2");
    try (Decoder decoder = DecoderLoader.load(dir, Device.cpu(), 0)) {
      assertThat(decoder).isInstanceOf(LlamaDecoder.class);
      DecoderConfig c = decoder.config();
      assertThat(c.ropeStyle()).isEqualTo(RopeStyle.HALF);
      assertThat(c.sharedClassifier()).isFalse();
      assertThat(c.nKvHeads()).isEqualTo(2);
      assertThat(c.ropeTheta()).isEqualTo(1e6f);
      assertThat(c.maxSeqLen()).isEqualTo(64);
      DecoderChecks.shapesAndCacheEquivalence(decoder, 3);
    }
    // the biases matter: the same weights without them give other hidden states
    Path noBias = tmp.resolve("nobias");
    Map<String, Tensor> t = randomLlama(true, false, 1);
    t.keySet().removeIf(k -> k.endsWith(".bias"));
    SafetensorsWriter.writeCheckpoint(noBias, llamaConfig("llama", false), t, "F32", 1);
    try (Decoder a = HfLlamaCheckpoint.load(dir, Device.cpu(), 16);
        Decoder b = HfLlamaCheckpoint.load(noBias, Device.cpu())) {
      assertThat(a.config().maxSeqLen()).isEqualTo(16);
      float[] ha = DecoderChecks.hidden(a, 5, 6);
      float[] hb = DecoderChecks.hidden(b, 5, 6);
      assertThat(ha).isNotEqualTo(hb);
    }
  }

  @Test
  void bf16ShardedTiedLlamaEqualsItsF32Twin() throws IOException {
    Map<String, Tensor> t = randomLlama(false, true, 2);
    Path bf16 = tmp.resolve("bf16");
    SafetensorsWriter.writeCheckpoint(bf16, llamaConfig("llama", true), t, "BF16", 3);
    assertThat(Files.exists(bf16.resolve("model.safetensors.index.json"))).isTrue();
    // the F32 twin holds the values a BF16 round trip gives
    Map<String, Tensor> rounded = new LinkedHashMap<>();
    t.forEach((k, v) -> {
      float[] r = v.values().clone();
      for (int i = 0; i < r.length; i++) {
        r[i] = SafetensorsWriter.bf16(r[i]);
      }
      rounded.put(k, new Tensor(v.shape(), r));
    });
    Path f32 = tmp.resolve("f32");
    SafetensorsWriter.writeCheckpoint(f32, llamaConfig("llama", true), rounded, "F32", 1);
    try (Decoder a = HfLlamaCheckpoint.load(bf16, Device.cpu());
        Decoder b = HfLlamaCheckpoint.load(f32, Device.cpu())) {
      assertThat(a.config().sharedClassifier()).isTrue();
      DecoderChecks.shapesAndCacheEquivalence(a, 4);
      assertThat(DecoderChecks.hidden(a, 9, 8)).containsExactly(DecoderChecks.hidden(b, 9, 8));
    }
  }

  @Test
  void readsTransformers5RopeParameters() throws IOException {
    Map<String, Object> c = llamaConfig("llama", true);
    c.remove("rope_theta");
    c.remove("rope_scaling");
    c.put("rope_parameters", Map.of("rope_theta", 500000.0, "rope_type", "default"));
    Path dir = tmp.resolve("tf5");
    SafetensorsWriter.writeCheckpoint(dir, c, randomLlama(false, true, 1), "F32", 1);
    assertThat(HfConfig.llama(dir, 0).ropeTheta()).isEqualTo(500000f);
    assertThat(HfConfig.llama(dir, 0).ropeScaling()).isNull();
    c.put("rope_parameters", Map.of("rope_theta", 500000.0, "rope_type", "yarn", "factor", 4.0));
    SafetensorsWriter.writeCheckpoint(dir, c, randomLlama(false, true, 1), "F32", 1);
    assertThatThrownBy(() -> HfConfig.llama(dir, 0))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("rope_parameters rope_type yarn is not supported");
  }

  @Test
  void rejectsUnsupportedOrIncompleteCheckpoints() throws IOException {
    Map<String, Object> scaled = llamaConfig("llama", true);
    scaled.put("rope_scaling", Map.of("type", "dynamic", "factor", 2.0));
    Path a = tmp.resolve("scaled");
    SafetensorsWriter.writeCheckpoint(a, scaled, randomLlama(false, true, 1), "F32", 1);
    assertThatThrownBy(() -> HfLlamaCheckpoint.load(a, Device.cpu()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("rope_scaling rope_type dynamic is not supported");

    Path b = tmp.resolve("untied-without-head");
    SafetensorsWriter.writeCheckpoint(b, llamaConfig("llama", false), randomLlama(false, true, 1), "F32", 1);
    assertThatThrownBy(() -> HfLlamaCheckpoint.load(b, Device.cpu()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("tensor lm_head.weight is missing");

    Path c = tmp.resolve("mistral");
    SafetensorsWriter.writeCheckpoint(c, llamaConfig("mistral", true), randomLlama(false, true, 1), "F32", 1);
    assertThatThrownBy(() -> HfLlamaCheckpoint.load(c, Device.cpu()))
        .hasMessageContaining("model_type mistral is not a supported Llama-family type");
  }

  @Test
  void stories260KConvertedToHuggingFaceLayoutDecodesLikeLlama2c() throws IOException {
    Path bin = TinyLm.file(TinyLm.CHECKPOINT);
    Path dir = tmp.resolve("stories260K-hf");
    convertLlama2cToHf(bin, dir);
    int[] bos = {Llama2cTokenizer.BOS};
    GenerationOptions options = new GenerationOptions(200, true, -1);
    int[] expected;
    try (LlamaDecoder reference = Llama2cCheckpoint.load(bin, Device.cpu())) {
      expected = new Generator(reference).generate(bos, options, Sampler.greedy());
    }
    try (Decoder hf = DecoderLoader.load(dir, Device.cpu(), 0)) {
      assertThat(hf.config().ropeStyle()).isEqualTo(RopeStyle.HALF);
      int[] actual = new Generator(hf).generate(bos, options, Sampler.greedy());
      assertThat(actual).hasSize(200).containsExactly(expected);
    }
  }

  /**
   * Writes a llama2.c checkpoint as a Hugging Face Llama directory, permuting the q and k rows as
   * transformers' convert_llama_weights_to_hf.py does: {@code w.view(n_heads, dim1 // n_heads //
   * 2, 2, dim2).transpose(1, 2).reshape(dim1, dim2)}.
   */
  static void convertLlama2cToHf(Path bin, Path dir) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(bin)).order(ByteOrder.LITTLE_ENDIAN);
    int dim = bytes.getInt();
    int hidden = bytes.getInt();
    int layers = bytes.getInt();
    int heads = bytes.getInt();
    int kvHeads = bytes.getInt();
    int vocabRaw = bytes.getInt();
    int seqLen = bytes.getInt();
    int vocab = Math.abs(vocabRaw);
    int kv = dim / heads * kvHeads;
    FloatBuffer f = bytes.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    float[] emb = take(f, vocab * dim);
    float[][] attnNorm = takeLayers(f, layers, dim);
    float[][] wq = takeLayers(f, layers, dim * dim);
    float[][] wk = takeLayers(f, layers, kv * dim);
    float[][] wv = takeLayers(f, layers, kv * dim);
    float[][] wo = takeLayers(f, layers, dim * dim);
    float[][] ffnNorm = takeLayers(f, layers, dim);
    float[][] w1 = takeLayers(f, layers, hidden * dim);
    float[][] w2 = takeLayers(f, layers, dim * hidden);
    float[][] w3 = takeLayers(f, layers, hidden * dim);
    float[] norm = take(f, dim);
    Map<String, Tensor> t = new LinkedHashMap<>();
    t.put("model.embed_tokens.weight", new Tensor(new long[] {vocab, dim}, emb));
    for (int l = 0; l < layers; l++) {
      String p = "model.layers." + l + ".";
      t.put(p + "input_layernorm.weight", new Tensor(new long[] {dim}, attnNorm[l]));
      t.put(p + "self_attn.q_proj.weight", new Tensor(new long[] {dim, dim}, permute(wq[l], heads, dim, dim)));
      t.put(p + "self_attn.k_proj.weight", new Tensor(new long[] {kv, dim}, permute(wk[l], kvHeads, kv, dim)));
      t.put(p + "self_attn.v_proj.weight", new Tensor(new long[] {kv, dim}, wv[l]));
      t.put(p + "self_attn.o_proj.weight", new Tensor(new long[] {dim, dim}, wo[l]));
      t.put(p + "post_attention_layernorm.weight", new Tensor(new long[] {dim}, ffnNorm[l]));
      t.put(p + "mlp.gate_proj.weight", new Tensor(new long[] {hidden, dim}, w1[l]));
      t.put(p + "mlp.up_proj.weight", new Tensor(new long[] {hidden, dim}, w3[l]));
      t.put(p + "mlp.down_proj.weight", new Tensor(new long[] {dim, hidden}, w2[l]));
    }
    t.put("model.norm.weight", new Tensor(new long[] {dim}, norm));
    if (vocabRaw < 0) {
      f.position(f.position() + seqLen * (dim / heads));
      t.put("lm_head.weight", new Tensor(new long[] {vocab, dim}, take(f, vocab * dim)));
    }
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("model_type", "llama");
    c.put("hidden_size", dim);
    c.put("intermediate_size", hidden);
    c.put("num_hidden_layers", layers);
    c.put("num_attention_heads", heads);
    c.put("num_key_value_heads", kvHeads);
    c.put("vocab_size", vocab);
    c.put("max_position_embeddings", seqLen);
    c.put("rms_norm_eps", 1e-5);
    c.put("rope_theta", 10000.0);
    c.put("tie_word_embeddings", vocabRaw > 0);
    SafetensorsWriter.writeCheckpoint(dir, c, t, "F32", 1);
  }

  /** Row {@code (h, i, j)} of the interleaved layout goes to row {@code (h, j, i)}. */
  static float[] permute(float[] w, int heads, int dim1, int dim2) {
    int half = dim1 / heads / 2;
    float[] out = new float[w.length];
    for (int h = 0; h < heads; h++) {
      for (int i = 0; i < half; i++) {
        for (int j = 0; j < 2; j++) {
          int from = h * 2 * half + i * 2 + j;
          int to = h * 2 * half + j * half + i;
          System.arraycopy(w, from * dim2, out, to * dim2, dim2);
        }
      }
    }
    return out;
  }

  private static float[] take(FloatBuffer in, int n) {
    float[] out = new float[n];
    in.get(out);
    return out;
  }

  private static float[][] takeLayers(FloatBuffer in, int layers, int n) {
    float[][] out = new float[layers][];
    for (int l = 0; l < layers; l++) {
      out[l] = take(in, n);
    }
    return out;
  }
}

package dev.sibyl.models.backbone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import dev.sibyl.models.backbone.SafetensorsWriter.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GPT-2 on random checkpoint directories in the Hugging Face layout (Conv1D weights {@code (in,
 * out)}, with and without the {@code transformer.} prefix), checked against a loop-based reference
 * of GPT2Model's forward pass (R7).
 */
class Gpt2CheckpointTest {

  private static final int DIM = 16;
  private static final int HEADS = 4;
  private static final int LAYERS = 2;
  private static final int HIDDEN = 64;
  private static final int VOCAB = 30;
  private static final int POSITIONS = 24;

  @TempDir Path tmp;

  static Map<String, Tensor> randomGpt2(String prefix, long seed) {
    Random r = new Random(seed);
    Map<String, Tensor> t = new LinkedHashMap<>();
    t.put(prefix + "wte.weight", new Tensor(new long[] {VOCAB, DIM}, DecoderChecks.random(r, VOCAB * DIM, 0.5f, 0f)));
    t.put(prefix + "wpe.weight", new Tensor(new long[] {POSITIONS, DIM}, DecoderChecks.random(r, POSITIONS * DIM, 0.3f, 0f)));
    for (int l = 0; l < LAYERS; l++) {
      String p = prefix + "h." + l + ".";
      t.put(p + "ln_1.weight", new Tensor(new long[] {DIM}, DecoderChecks.random(r, DIM, 0.1f, 1f)));
      t.put(p + "ln_1.bias", new Tensor(new long[] {DIM}, DecoderChecks.random(r, DIM, 0.1f, 0f)));
      t.put(p + "attn.c_attn.weight", new Tensor(new long[] {DIM, 3 * DIM}, DecoderChecks.random(r, DIM * 3 * DIM, 0.3f, 0f)));
      t.put(p + "attn.c_attn.bias", new Tensor(new long[] {3 * DIM}, DecoderChecks.random(r, 3 * DIM, 0.1f, 0f)));
      t.put(p + "attn.c_proj.weight", new Tensor(new long[] {DIM, DIM}, DecoderChecks.random(r, DIM * DIM, 0.3f, 0f)));
      t.put(p + "attn.c_proj.bias", new Tensor(new long[] {DIM}, DecoderChecks.random(r, DIM, 0.1f, 0f)));
      t.put(p + "ln_2.weight", new Tensor(new long[] {DIM}, DecoderChecks.random(r, DIM, 0.1f, 1f)));
      t.put(p + "ln_2.bias", new Tensor(new long[] {DIM}, DecoderChecks.random(r, DIM, 0.1f, 0f)));
      t.put(p + "mlp.c_fc.weight", new Tensor(new long[] {DIM, HIDDEN}, DecoderChecks.random(r, DIM * HIDDEN, 0.3f, 0f)));
      t.put(p + "mlp.c_fc.bias", new Tensor(new long[] {HIDDEN}, DecoderChecks.random(r, HIDDEN, 0.1f, 0f)));
      t.put(p + "mlp.c_proj.weight", new Tensor(new long[] {HIDDEN, DIM}, DecoderChecks.random(r, HIDDEN * DIM, 0.2f, 0f)));
      t.put(p + "mlp.c_proj.bias", new Tensor(new long[] {DIM}, DecoderChecks.random(r, DIM, 0.1f, 0f)));
    }
    t.put(prefix + "ln_f.weight", new Tensor(new long[] {DIM}, DecoderChecks.random(r, DIM, 0.1f, 1f)));
    t.put(prefix + "ln_f.bias", new Tensor(new long[] {DIM}, DecoderChecks.random(r, DIM, 0.1f, 0f)));
    return t;
  }

  static Map<String, Object> gpt2Config() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("architectures", java.util.List.of("GPT2LMHeadModel"));
    c.put("model_type", "gpt2");
    c.put("activation_function", "gelu_new");
    c.put("n_embd", DIM);
    c.put("n_head", HEADS);
    c.put("n_layer", LAYERS);
    c.put("n_positions", POSITIONS);
    c.put("n_ctx", POSITIONS);
    c.put("n_inner", null);
    c.put("vocab_size", VOCAB);
    c.put("layer_norm_epsilon", 1e-5);
    return c;
  }

  @Test
  void loadsBothNamingsAndMatchesTheLoopReference() throws IOException {
    for (String prefix : new String[] {"", "transformer."}) {
      Map<String, Tensor> t = randomGpt2(prefix, 21);
      Path dir = tmp.resolve("gpt2" + prefix.length());
      SafetensorsWriter.writeCheckpoint(dir, gpt2Config(), t, "F32", 1);
      assertThat(DecoderLoader.detect(dir)).isEqualTo("gpt2");
      try (Decoder decoder = DecoderLoader.load(dir, Device.cpu(), 0)) {
        assertThat(decoder).isInstanceOf(Gpt2Decoder.class);
        assertThat(decoder.config().hiddenDim()).isEqualTo(HIDDEN);
        assertThat(decoder.config().maxSeqLen()).isEqualTo(POSITIONS);
        DecoderChecks.shapesAndCacheEquivalence(decoder, 5);
        float[] hidden = DecoderChecks.hidden(decoder, 13, 7);
        Random random = new Random(13);
        int[] ids = new int[7];
        for (int i = 0; i < ids.length; i++) {
          ids[i] = random.nextInt(VOCAB);
        }
        float[] expected = naiveForward(t, prefix, ids);
        assertThat(hidden).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
          assertThat(hidden[i]).as("hidden[" + i + "]").isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-4f));
        }
      }
    }
  }

  @Test
  void greedyGenerationRunsOnTheCache() throws IOException {
    Path dir = tmp.resolve("gen");
    SafetensorsWriter.writeCheckpoint(dir, gpt2Config(), randomGpt2("", 3), "BF16", 2);
    try (Decoder decoder = Gpt2Checkpoint.load(dir, Device.cpu())) {
      Generator g = new Generator(decoder);
      GenerationOptions o = new GenerationOptions(20, true, -1);
      int[] cached = g.generate(new int[] {1, 2}, o, Sampler.greedy());
      int[] full = g.generate(new int[] {1, 2}, o.withKvCache(false), Sampler.greedy());
      assertThat(cached).hasSize(19).containsExactly(full);
    }
  }

  @Test
  void rejectsExactGelu() throws IOException {
    Map<String, Object> c = gpt2Config();
    c.put("activation_function", "gelu");
    Path dir = tmp.resolve("erf");
    SafetensorsWriter.writeCheckpoint(dir, c, randomGpt2("", 1), "F32", 1);
    assertThatThrownBy(() -> Gpt2Checkpoint.load(dir, Device.cpu()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("activation_function gelu is not supported");
  }

  /** GPT2Model.forward in plain loops over the raw tensors; hidden states after ln_f (n * dim). */
  static float[] naiveForward(Map<String, Tensor> t, String prefix, int[] ids) {
    int n = ids.length;
    int hs = DIM / HEADS;
    float[][] x = new float[n][DIM];
    float[] wte = t.get(prefix + "wte.weight").values();
    float[] wpe = t.get(prefix + "wpe.weight").values();
    for (int i = 0; i < n; i++) {
      for (int d = 0; d < DIM; d++) {
        x[i][d] = wte[ids[i] * DIM + d] + wpe[i * DIM + d];
      }
    }
    for (int l = 0; l < LAYERS; l++) {
      String p = prefix + "h." + l + ".";
      float[][] qkv = new float[n][];
      for (int i = 0; i < n; i++) {
        float[] h = layerNorm(x[i], t.get(p + "ln_1.weight").values(), t.get(p + "ln_1.bias").values());
        qkv[i] = conv1d(h, t.get(p + "attn.c_attn.weight").values(), t.get(p + "attn.c_attn.bias").values(), 3 * DIM);
      }
      for (int i = 0; i < n; i++) {
        float[] y = new float[DIM];
        for (int head = 0; head < HEADS; head++) {
          double[] att = new double[i + 1];
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j <= i; j++) {
            double s = 0;
            for (int d = 0; d < hs; d++) {
              s += qkv[i][head * hs + d] * qkv[j][DIM + head * hs + d];
            }
            att[j] = s / Math.sqrt(hs);
            max = Math.max(max, att[j]);
          }
          double sum = 0;
          for (int j = 0; j <= i; j++) {
            att[j] = Math.exp(att[j] - max);
            sum += att[j];
          }
          for (int j = 0; j <= i; j++) {
            for (int d = 0; d < hs; d++) {
              y[head * hs + d] += (float) (att[j] / sum) * qkv[j][2 * DIM + head * hs + d];
            }
          }
        }
        float[] o = conv1d(y, t.get(p + "attn.c_proj.weight").values(), t.get(p + "attn.c_proj.bias").values(), DIM);
        for (int d = 0; d < DIM; d++) {
          x[i][d] += o[d];
        }
      }
      for (int i = 0; i < n; i++) {
        float[] h = layerNorm(x[i], t.get(p + "ln_2.weight").values(), t.get(p + "ln_2.bias").values());
        float[] fc = conv1d(h, t.get(p + "mlp.c_fc.weight").values(), t.get(p + "mlp.c_fc.bias").values(), HIDDEN);
        for (int k = 0; k < HIDDEN; k++) {
          double v = fc[k];
          fc[k] = (float) (0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))));
        }
        float[] o = conv1d(fc, t.get(p + "mlp.c_proj.weight").values(), t.get(p + "mlp.c_proj.bias").values(), DIM);
        for (int d = 0; d < DIM; d++) {
          x[i][d] += o[d];
        }
      }
    }
    float[] out = new float[n * DIM];
    for (int i = 0; i < n; i++) {
      float[] h = layerNorm(x[i], t.get(prefix + "ln_f.weight").values(), t.get(prefix + "ln_f.bias").values());
      System.arraycopy(h, 0, out, i * DIM, DIM);
    }
    return out;
  }

  /** Conv1D: {@code y = x @ W + b} with W {@code (in, out)}. */
  private static float[] conv1d(float[] x, float[] w, float[] b, int out) {
    float[] y = b.clone();
    for (int i = 0; i < x.length; i++) {
      for (int o = 0; o < out; o++) {
        y[o] += x[i] * w[i * out + o];
      }
    }
    return y;
  }

  private static float[] layerNorm(float[] x, float[] g, float[] b) {
    double mean = 0;
    for (float v : x) {
      mean += v;
    }
    mean /= x.length;
    double var = 0;
    for (float v : x) {
      var += (v - mean) * (v - mean);
    }
    var /= x.length;
    float[] y = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = (float) ((x[i] - mean) / Math.sqrt(var + 1e-5) * g[i] + b[i]);
    }
    return y;
  }
}

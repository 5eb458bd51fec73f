package dev.sibyl.models.backbone;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sibyl.models.runtime.ModelRuntime;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Loads a Hugging Face Llama-family checkpoint (Llama, Qwen2, SmolLM, TinyLlama) from a directory
 * with {@code config.json} and {@code model.safetensors} (or {@code model.safetensors.index.json}
 * and its shards), in F32, F16 or BF16, into a {@link LlamaDecoder}.
 *
 * <p>Tensor names (matrices {@code (out, in)}): {@code model.embed_tokens.weight (V, dim)}; per
 * layer {@code N}, {@code model.layers.N.input_layernorm.weight (dim)}, {@code
 * self_attn.q_proj.weight (dim, dim)}, {@code k_proj}, {@code v_proj} {@code (kvDim, dim)} (with
 * {@code .bias} for Qwen2), {@code o_proj (dim, dim)}, {@code post_attention_layernorm.weight},
 * {@code mlp.gate_proj (hidden, dim)}, {@code mlp.up_proj (hidden, dim)}, {@code mlp.down_proj
 * (dim, hidden)}; {@code model.norm.weight (dim)}; {@code lm_head.weight (V, dim)}, absent when
 * {@code tie_word_embeddings}. Hugging Face stores the q and k rows of each head in the order of
 * its {@code rotate_half} RoPE, so the decoder uses {@link RopeStyle#HALF} and no permutation.
 */
public final class HfLlamaCheckpoint {

  private HfLlamaCheckpoint() {}

  /**
   * Loads the checkpoint with the full {@code max_position_embeddings} as the cache bound.
   *
   * @param dir the checkpoint directory; never null
   * @param device the device for the weights; never null
   * @return the decoder; the caller closes it
   * @throws IOException when a file is missing or malformed, a setting unsupported, or a tensor
   *     absent or of the wrong shape
   */
  public static LlamaDecoder load(Path dir, Device device) throws IOException {
    return load(dir, device, 0);
  }

  /**
   * Loads the checkpoint.
   *
   * @param dir the checkpoint directory; never null
   * @param device the device for the weights; never null
   * @param maxSeqLen the longest sequence a state may hold (bounds the RoPE tables), or 0 for the
   *     configuration's {@code max_position_embeddings}
   * @return the decoder; the caller closes it
   * @throws IOException when a file is missing or malformed, a setting unsupported, or a tensor
   *     absent or of the wrong shape
   */
  public static LlamaDecoder load(Path dir, Device device, int maxSeqLen) throws IOException {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(device, "device");
    DecoderConfig c = HfConfig.llama(dir, maxSeqLen);
    Safetensors st = Safetensors.open(dir);
    NDManager manager = NDManager.newBaseManager(device);
    try {
      DecoderWeights weights = readWeights(st, c, manager, dir);
      return new LlamaDecoder(c, weights, manager);
    } catch (IOException | RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  private static DecoderWeights readWeights(
      Safetensors st, DecoderConfig c, NDManager manager, Path dir) throws IOException {
    int dim = c.dim();
    int kv = c.kvDim();
    int hidden = c.hiddenDim();
    TensorSource in = new TensorSource(st, dir);
    NDArray table =
        ModelRuntime.owned(manager, 
            in.read("model.embed_tokens.weight", c.vocabSize(), dim),
            new Shape(c.vocabSize(), dim)); // (V, dim)
    NDArray classifier;
    if (c.sharedClassifier()) {
      classifier = table;
    } else {
      classifier =
          ModelRuntime.owned(manager, 
              in.read("lm_head.weight", c.vocabSize(), dim), new Shape(c.vocabSize(), dim));
    }
    List<LayerWeights> layers = new ArrayList<>(c.nLayers());
    for (int l = 0; l < c.nLayers(); l++) {
      String p = "model.layers." + l + ".";
      boolean biased = st.contains(p + "self_attn.q_proj.bias");
      float[] wq = in.read(p + "self_attn.q_proj.weight", dim, dim); // (dim, dim)
      float[] wk = in.read(p + "self_attn.k_proj.weight", kv, dim); // (kvDim, dim)
      float[] wv = in.read(p + "self_attn.v_proj.weight", kv, dim); // (kvDim, dim)
      NDArray bqkv = null;
      if (biased) {
        float[] b =
            concat(
                in.read(p + "self_attn.q_proj.bias", dim),
                in.read(p + "self_attn.k_proj.bias", kv),
                in.read(p + "self_attn.v_proj.bias", kv));
        bqkv = ModelRuntime.owned(manager, b, new Shape(dim + 2L * kv)); // (dim + 2 kvDim)
      }
      if (st.contains(p + "self_attn.o_proj.bias") || st.contains(p + "mlp.down_proj.bias")) {
        throw new IOException(dir + ": layer " + l + " has o_proj or mlp biases: not supported");
      }
      float[] gate = in.read(p + "mlp.gate_proj.weight", hidden, dim); // (hidden, dim)
      float[] up = in.read(p + "mlp.up_proj.weight", hidden, dim); // (hidden, dim)
      layers.add(
          new LayerWeights(
              ModelRuntime.owned(manager, in.read(p + "input_layernorm.weight", dim), new Shape(dim)),
              ModelRuntime.owned(manager, concat(wq, wk, wv), new Shape(dim + 2L * kv, dim)),
              bqkv,
              ModelRuntime.owned(manager, in.read(p + "self_attn.o_proj.weight", dim, dim), new Shape(dim, dim)),
              ModelRuntime.owned(manager, in.read(p + "post_attention_layernorm.weight", dim), new Shape(dim)),
              ModelRuntime.owned(manager, concat(gate, up), new Shape(2L * hidden, dim)),
              ModelRuntime.owned(manager, 
                  in.read(p + "mlp.down_proj.weight", dim, hidden), new Shape(dim, hidden))));
    }
    NDArray norm = ModelRuntime.owned(manager, in.read("model.norm.weight", dim), new Shape(dim));
    return new DecoderWeights(table, layers, norm, classifier);
  }

  static float[] concat(float[]... parts) {
    int n = 0;
    for (float[] p : parts) {
      n += p.length;
    }
    float[] out = new float[n];
    int at = 0;
    for (float[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  /** Reads named tensors, checking each shape; messages name the directory and the tensor. */
  static final class TensorSource {
    private final Safetensors st;
    private final Path dir;

    TensorSource(Safetensors st, Path dir) {
      this.st = st;
      this.dir = dir;
    }

    float[] read(String name, long... shape) throws IOException {
      if (!st.contains(name)) {
        throw new IOException(dir + ": tensor " + name + " is missing");
      }
      long[] actual = st.shape(name);
      if (!Arrays.equals(actual, shape)) {
        throw new IOException(
            dir + ": tensor " + name + " must have shape " + Arrays.toString(shape) + ", got "
                + Arrays.toString(actual));
      }
      try {
        return st.readFloats(name);
      } catch (IllegalArgumentException e) {
        throw new IOException(dir + ": " + e.getMessage(), e);
      }
    }
  }
}

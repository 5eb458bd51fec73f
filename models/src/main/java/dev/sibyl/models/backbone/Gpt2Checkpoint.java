package dev.sibyl.models.backbone;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sibyl.models.runtime.ModelRuntime;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Loads a Hugging Face GPT-2 checkpoint (directory with {@code config.json} and {@code
 * model.safetensors} or a sharded index; F32, F16 or BF16) into a {@link Gpt2Decoder}.
 *
 * <p>Tensor names, with or without a {@code transformer.} prefix: {@code wte.weight (V, dim)},
 * {@code wpe.weight (P, dim)}; per layer {@code N}: {@code h.N.ln_1.{weight,bias}}, {@code
 * h.N.attn.c_attn.{weight (dim, 3 dim), bias}}, {@code h.N.attn.c_proj.{weight (dim, dim), bias}},
 * {@code h.N.ln_2.*}, {@code h.N.mlp.c_fc.{weight (dim, hidden), bias}}, {@code
 * h.N.mlp.c_proj.{weight (hidden, dim), bias}}; {@code ln_f.{weight,bias}}. The four projections
 * are {@code Conv1D}, whose weight is {@code (in, out)}: they are transposed here to {@code (out,
 * in)}. Any {@code lm_head.weight} is ignored: GPT-2 ties it to {@code wte}.
 */
public final class Gpt2Checkpoint {

  private Gpt2Checkpoint() {}

  /**
   * Loads the checkpoint with {@code n_positions} as the cache bound.
   *
   * @param dir the checkpoint directory; never null
   * @param device the device for the weights; never null
   * @return the decoder; the caller closes it
   * @throws IOException when a file is missing or malformed, or a tensor absent or misshapen
   */
  public static Gpt2Decoder load(Path dir, Device device) throws IOException {
    return load(dir, device, 0);
  }

  /**
   * Loads the checkpoint.
   *
   * @param dir the checkpoint directory; never null
   * @param device the device for the weights; never null
   * @param maxSeqLen the longest sequence a state may hold, or 0 for {@code n_positions}
   * @return the decoder; the caller closes it
   * @throws IOException when a file is missing or malformed, or a tensor absent or misshapen
   */
  public static Gpt2Decoder load(Path dir, Device device, int maxSeqLen) throws IOException {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(device, "device");
    DecoderConfig c = HfConfig.gpt2(dir, maxSeqLen);
    Safetensors st = Safetensors.open(dir);
    String prefix = st.contains("transformer.wte.weight") ? "transformer." : "";
    HfLlamaCheckpoint.TensorSource in = new HfLlamaCheckpoint.TensorSource(st, dir);
    NDManager manager = NDManager.newBaseManager(device);
    try {
      int dim = c.dim();
      int hidden = c.hiddenDim();
      NDArray wte =
          ModelRuntime.owned(
              manager, in.read(prefix + "wte.weight", c.vocabSize(), dim), new Shape(c.vocabSize(), dim));
      String wpeName = prefix + "wpe.weight";
      long positions = st.contains(wpeName) ? st.shape(wpeName)[0] : 0;
      NDArray wpe =
          ModelRuntime.owned(manager, in.read(wpeName, positions, dim), new Shape(positions, dim)); // (P, dim)
      List<Gpt2LayerWeights> layers = new ArrayList<>(c.nLayers());
      for (int l = 0; l < c.nLayers(); l++) {
        String p = prefix + "h." + l + ".";
        layers.add(
            new Gpt2LayerWeights(
                vector(manager, in, p + "ln_1.weight", dim),
                vector(manager, in, p + "ln_1.bias", dim),
                conv1d(manager, in, p + "attn.c_attn.weight", dim, 3 * dim),
                vector(manager, in, p + "attn.c_attn.bias", 3 * dim),
                conv1d(manager, in, p + "attn.c_proj.weight", dim, dim),
                vector(manager, in, p + "attn.c_proj.bias", dim),
                vector(manager, in, p + "ln_2.weight", dim),
                vector(manager, in, p + "ln_2.bias", dim),
                conv1d(manager, in, p + "mlp.c_fc.weight", dim, hidden),
                vector(manager, in, p + "mlp.c_fc.bias", hidden),
                conv1d(manager, in, p + "mlp.c_proj.weight", hidden, dim),
                vector(manager, in, p + "mlp.c_proj.bias", dim)));
      }
      Gpt2Weights weights =
          new Gpt2Weights(
              wte,
              wpe,
              layers,
              vector(manager, in, prefix + "ln_f.weight", dim),
              vector(manager, in, prefix + "ln_f.bias", dim));
      return new Gpt2Decoder(c, weights, manager);
    } catch (IOException | RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  private static NDArray vector(
      NDManager manager, HfLlamaCheckpoint.TensorSource in, String name, int n) throws IOException {
    return ModelRuntime.owned(manager, in.read(name, n), new Shape(n));
  }

  /** Reads a Conv1D weight {@code (in, out)} and returns it transposed, {@code (out, in)}. */
  private static NDArray conv1d(
      NDManager manager, HfLlamaCheckpoint.TensorSource src, String name, int in, int out)
      throws IOException {
    float[] w = src.read(name, in, out); // (in, out)
    float[] t = new float[w.length]; // (out, in)
    for (int i = 0; i < in; i++) {
      for (int o = 0; o < out; o++) {
        t[o * in + i] = w[i * out + o];
      }
    }
    return ModelRuntime.owned(manager, t, new Shape(out, in));
  }
}

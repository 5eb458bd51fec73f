package dev.sibyl.models.timellm;

import ai.djl.ndarray.NDArray;

/**
 * Patching and patch embedding of Time-LLM (Jin et al., ICLR 2024; reference {@code
 * layers/Embed.py: PatchEmbedding}): the end of the window is padded by repeating its last value
 * {@code stride} times ({@code ReplicationPad1d((0, stride))}), cut into patches of {@code
 * patchLength} at {@code stride} (64 patches of 16 at L = 512), and each patch mapped to {@code
 * d_model} features.
 *
 * <p>Departure: the embedding is one linear layer, as MODELS.md describes; the reference uses a
 * circular Conv1d of kernel 3 across neighbouring patches, followed by dropout (no dropout here).
 */
public final class PatchEmbedding {

  private final NDArray weight; // (patchLength, dModel)
  private final NDArray bias; // (dModel)

  /**
   * Wraps the parameters.
   *
   * @param weight shape (patchLength, dModel)
   * @param bias shape (dModel)
   */
  public PatchEmbedding(NDArray weight, NDArray bias) {
    this.weight = weight;
    this.bias = bias;
  }

  /**
   * Cuts normalised windows into patches.
   *
   * @param rows windows; shape (N, L)
   * @param patchLength points per patch
   * @param stride stride between patches
   * @return row-major (N, patches, patchLength)
   */
  public static float[] patches(double[][] rows, int patchLength, int stride) {
    int l = rows[0].length;
    int count = (l - patchLength) / stride + 2;
    float[] out = new float[rows.length * count * patchLength];
    int o = 0;
    for (double[] x : rows) {
      for (int p = 0; p < count; p++) {
        for (int i = 0; i < patchLength; i++) {
          // positions past the end repeat the last value (the replication pad)
          out[o++] = (float) x[Math.min(l - 1, p * stride + i)];
        }
      }
    }
    return out;
  }

  /**
   * Embeds patches.
   *
   * @param patches shape (N, patches, patchLength)
   * @return shape (N, patches, dModel)
   */
  public NDArray forward(NDArray patches) {
    return patches.matMul(weight).add(bias);
  }
}

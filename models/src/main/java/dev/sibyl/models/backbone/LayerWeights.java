package dev.sibyl.models.backbone;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.Objects;

/**
 * The frozen weights of one transformer block; matrices are {@code (out, in)} as in PyTorch's
 * {@code nn.Linear} and llama2.c. The query, key and value projections are stacked into one matrix,
 * and so are the two FFN input projections, so that each takes one matrix product.
 *
 * @param attnNorm attention RMSNorm weight {@code (dim)}
 * @param wqkv query, key and value projections stacked by rows {@code (dim + 2 * kvDim, dim)}: rows
 *     {@code [0, dim)} are wq, then wk, then wv
 * @param bqkv their biases {@code (dim + 2 * kvDim)} (Qwen2), or null when there are none
 * @param wo attention output projection {@code (dim, dim)}
 * @param ffnNorm FFN RMSNorm weight {@code (dim)}
 * @param w13 FFN gate and up projections stacked by rows {@code (2 * hiddenDim, dim)}: rows {@code
 *     [0, hiddenDim)} are w1 (gate), then w3 (up)
 * @param w2 FFN down projection {@code (dim, hiddenDim)}
 */
public record LayerWeights(
    NDArray attnNorm,
    NDArray wqkv,
    NDArray bqkv,
    NDArray wo,
    NDArray ffnNorm,
    NDArray w13,
    NDArray w2) {

  /**
   * Checks that no required array is null.
   *
   * @throws NullPointerException naming the missing array
   */
  public LayerWeights {
    Objects.requireNonNull(attnNorm, "attnNorm");
    Objects.requireNonNull(wqkv, "wqkv");
    Objects.requireNonNull(wo, "wo");
    Objects.requireNonNull(ffnNorm, "ffnNorm");
    Objects.requireNonNull(w13, "w13");
    Objects.requireNonNull(w2, "w2");
  }

  /**
   * Checks every shape against the configuration.
   *
   * @param config the hyperparameters; never null
   * @param layer the layer index, for the message
   * @throws IllegalArgumentException naming the array, the expected and the actual shape
   */
  public void checkShapes(DecoderConfig config, int layer) {
    int dim = config.dim();
    int qkv = dim + 2 * config.kvDim();
    int hidden = config.hiddenDim();
    String at = "layer " + layer + " ";
    expectShape(at + "attnNorm", attnNorm, new Shape(dim));
    expectShape(at + "wqkv", wqkv, new Shape(qkv, dim));
    if (bqkv != null) {
      expectShape(at + "bqkv", bqkv, new Shape(qkv));
    }
    expectShape(at + "wo", wo, new Shape(dim, dim));
    expectShape(at + "ffnNorm", ffnNorm, new Shape(dim));
    expectShape(at + "w13", w13, new Shape(2L * hidden, dim));
    expectShape(at + "w2", w2, new Shape(dim, hidden));
  }

  static void expectShape(String name, NDArray array, Shape expected) {
    if (!array.getShape().equals(expected)) {
      throw new IllegalArgumentException(
          name + " must have shape " + expected + ", got " + array.getShape());
    }
  }
}

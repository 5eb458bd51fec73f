package dev.sibyl.models.backbone;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * The frozen weights of one GPT-2 block. Matrices are {@code (out, in)} as in {@code nn.Linear}:
 * the loader transposes Hugging Face's {@code Conv1D} weights, which are {@code (in, out)}.
 *
 * @param ln1Weight attention LayerNorm gain {@code (dim)}
 * @param ln1Bias attention LayerNorm bias {@code (dim)}
 * @param wqkv query, key and value projections stacked by rows {@code (3 * dim, dim)}
 * @param bqkv their biases {@code (3 * dim)}
 * @param wo attention output projection {@code (dim, dim)}
 * @param bo its bias {@code (dim)}
 * @param ln2Weight FFN LayerNorm gain {@code (dim)}
 * @param ln2Bias FFN LayerNorm bias {@code (dim)}
 * @param wfc FFN input projection {@code (hidden, dim)}
 * @param bfc its bias {@code (hidden)}
 * @param wproj FFN output projection {@code (dim, hidden)}
 * @param bproj its bias {@code (dim)}
 */
public record Gpt2LayerWeights(
    NDArray ln1Weight,
    NDArray ln1Bias,
    NDArray wqkv,
    NDArray bqkv,
    NDArray wo,
    NDArray bo,
    NDArray ln2Weight,
    NDArray ln2Bias,
    NDArray wfc,
    NDArray bfc,
    NDArray wproj,
    NDArray bproj) {

  /**
   * Checks every shape against the configuration.
   *
   * @param config the hyperparameters; never null
   * @param layer the layer index, for the message
   * @throws IllegalArgumentException naming the array, the expected and the actual shape
   */
  public void checkShapes(DecoderConfig config, int layer) {
    int dim = config.dim();
    int hidden = config.hiddenDim();
    String at = "layer " + layer + " ";
    LayerWeights.expectShape(at + "ln1Weight", ln1Weight, new Shape(dim));
    LayerWeights.expectShape(at + "ln1Bias", ln1Bias, new Shape(dim));
    LayerWeights.expectShape(at + "wqkv", wqkv, new Shape(3L * dim, dim));
    LayerWeights.expectShape(at + "bqkv", bqkv, new Shape(3L * dim));
    LayerWeights.expectShape(at + "wo", wo, new Shape(dim, dim));
    LayerWeights.expectShape(at + "bo", bo, new Shape(dim));
    LayerWeights.expectShape(at + "ln2Weight", ln2Weight, new Shape(dim));
    LayerWeights.expectShape(at + "ln2Bias", ln2Bias, new Shape(dim));
    LayerWeights.expectShape(at + "wfc", wfc, new Shape(hidden, dim));
    LayerWeights.expectShape(at + "bfc", bfc, new Shape(hidden));
    LayerWeights.expectShape(at + "wproj", wproj, new Shape(dim, hidden));
    LayerWeights.expectShape(at + "bproj", bproj, new Shape(dim));
  }
}

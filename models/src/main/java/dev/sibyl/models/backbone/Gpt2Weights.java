package dev.sibyl.models.backbone;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Objects;

/**
 * The frozen weights of a GPT-2 model; the classifier is the token embedding table (tied).
 *
 * @param wte the token embedding table {@code (vocabSize, dim)}
 * @param wpe the learned position embeddings {@code (maxPositions, dim)}, at least {@code
 *     maxSeqLen} rows
 * @param layers the blocks in order; an unmodifiable copy is kept
 * @param lnfWeight the final LayerNorm gain {@code (dim)}
 * @param lnfBias the final LayerNorm bias {@code (dim)}
 */
public record Gpt2Weights(
    NDArray wte, NDArray wpe, List<Gpt2LayerWeights> layers, NDArray lnfWeight, NDArray lnfBias) {

  /**
   * Copies the layer list and checks that nothing is null.
   *
   * @throws NullPointerException naming the missing value
   */
  public Gpt2Weights {
    Objects.requireNonNull(wte, "wte");
    Objects.requireNonNull(wpe, "wpe");
    layers = List.copyOf(Objects.requireNonNull(layers, "layers"));
    Objects.requireNonNull(lnfWeight, "lnfWeight");
    Objects.requireNonNull(lnfBias, "lnfBias");
  }

  /**
   * Checks every shape against the configuration.
   *
   * @param config the hyperparameters; never null
   * @throws IllegalArgumentException naming the array, the expected and the actual shape
   */
  public void checkShapes(DecoderConfig config) {
    if (layers.size() != config.nLayers()) {
      throw new IllegalArgumentException(
          "weights must have nLayers=" + config.nLayers() + " layers, got " + layers.size());
    }
    LayerWeights.expectShape("wte", wte, new Shape(config.vocabSize(), config.dim()));
    if (wpe.getShape().dimension() != 2
        || wpe.getShape().get(1) != config.dim()
        || wpe.getShape().get(0) < config.maxSeqLen()) {
      throw new IllegalArgumentException(
          "wpe must have shape (>= maxSeqLen=" + config.maxSeqLen() + ", " + config.dim()
              + "), got " + wpe.getShape());
    }
    LayerWeights.expectShape("lnfWeight", lnfWeight, new Shape(config.dim()));
    LayerWeights.expectShape("lnfBias", lnfBias, new Shape(config.dim()));
    for (int l = 0; l < layers.size(); l++) {
      layers.get(l).checkShapes(config, l);
    }
  }
}

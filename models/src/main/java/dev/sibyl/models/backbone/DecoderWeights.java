package dev.sibyl.models.backbone;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Objects;

/**
 * The frozen weights of a decoder-only transformer: loaded once, shared by every sequence, never
 * updated. The arrays belong to the manager that created them; the {@link Decoder} built on them
 * owns that manager and closes it.
 *
 * @param tokenEmbedding the token embedding table {@code (vocabSize, dim)}
 * @param layers the blocks in order, {@code nLayers} of them; an unmodifiable copy is kept
 * @param finalNorm the final RMSNorm weight {@code (dim)}
 * @param classifier the output classifier {@code (vocabSize, dim)}; the same instance as {@code
 *     tokenEmbedding} when the configuration shares it
 */
public record DecoderWeights(
    NDArray tokenEmbedding, List<LayerWeights> layers, NDArray finalNorm, NDArray classifier) {

  /**
   * Copies the layer list and checks that nothing is null.
   *
   * @throws NullPointerException naming the missing value
   */
  public DecoderWeights {
    Objects.requireNonNull(tokenEmbedding, "tokenEmbedding");
    layers = List.copyOf(Objects.requireNonNull(layers, "layers"));
    Objects.requireNonNull(finalNorm, "finalNorm");
    Objects.requireNonNull(classifier, "classifier");
  }

  /**
   * Checks every shape against the configuration.
   *
   * @param config the hyperparameters; never null
   * @throws IllegalArgumentException naming the array, the expected and the actual shape, or the
   *     layer count
   */
  public void checkShapes(DecoderConfig config) {
    if (layers.size() != config.nLayers()) {
      throw new IllegalArgumentException(
          "weights must have nLayers=" + config.nLayers() + " layers, got " + layers.size());
    }
    Shape table = new Shape(config.vocabSize(), config.dim());
    LayerWeights.expectShape("tokenEmbedding", tokenEmbedding, table);
    LayerWeights.expectShape("classifier", classifier, table);
    LayerWeights.expectShape("finalNorm", finalNorm, new Shape(config.dim()));
    if (config.sharedClassifier() && classifier != tokenEmbedding) {
      throw new IllegalArgumentException(
          "sharedClassifier=true requires classifier to be the tokenEmbedding array");
    }
    for (int l = 0; l < layers.size(); l++) {
      layers.get(l).checkShapes(config, l);
    }
  }
}

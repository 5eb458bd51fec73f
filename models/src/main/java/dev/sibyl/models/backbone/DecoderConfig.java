package dev.sibyl.models.backbone;

import java.util.Objects;

/**
 * Hyperparameters of a decoder-only transformer (immutable).
 *
 * <p>Names follow llama2.c's {@code Config}; Hugging Face names map to them in each loader.
 *
 * @param dim the model width (llama2.c {@code dim}, HF {@code hidden_size}), at least 1
 * @param hiddenDim the FFN width (HF {@code intermediate_size}), at least 1
 * @param nLayers the number of transformer blocks, at least 1
 * @param nHeads the number of query heads; divides {@code dim}, and {@code dim / nHeads} is even
 * @param nKvHeads the number of key/value heads (grouped-query attention); divides {@code nHeads}
 * @param vocabSize the vocabulary size, at least 1
 * @param maxSeqLen the longest sequence (positions) a state may hold, at least 1
 * @param normEps the RMSNorm epsilon, positive (llama2.c 1e-5)
 * @param ropeTheta the RoPE base, greater than 1 (llama2.c 10000)
 * @param ropeStyle which features RoPE pairs; never null
 * @param sharedClassifier whether the output classifier is the token embedding table
 * @param ropeScaling the Llama-3 RoPE frequency scaling, or null for plain RoPE
 */
public record DecoderConfig(
    int dim,
    int hiddenDim,
    int nLayers,
    int nHeads,
    int nKvHeads,
    int vocabSize,
    int maxSeqLen,
    float normEps,
    float ropeTheta,
    RopeStyle ropeStyle,
    boolean sharedClassifier,
    RopeScaling ropeScaling) {

  /**
   * Hyperparameters with plain (unscaled) RoPE.
   *
   * @throws IllegalArgumentException naming the first field out of range and its value
   * @throws NullPointerException when {@code ropeStyle} is null
   */
  public DecoderConfig(
      int dim,
      int hiddenDim,
      int nLayers,
      int nHeads,
      int nKvHeads,
      int vocabSize,
      int maxSeqLen,
      float normEps,
      float ropeTheta,
      RopeStyle ropeStyle,
      boolean sharedClassifier) {
    this(
        dim,
        hiddenDim,
        nLayers,
        nHeads,
        nKvHeads,
        vocabSize,
        maxSeqLen,
        normEps,
        ropeTheta,
        ropeStyle,
        sharedClassifier,
        null);
  }

  /**
   * Validates the hyperparameters.
   *
   * @throws IllegalArgumentException naming the first field out of range and its value
   * @throws NullPointerException when {@code ropeStyle} is null
   */
  public DecoderConfig {
    Objects.requireNonNull(ropeStyle, "ropeStyle");
    positive("dim", dim);
    positive("hiddenDim", hiddenDim);
    positive("nLayers", nLayers);
    positive("nHeads", nHeads);
    positive("nKvHeads", nKvHeads);
    positive("vocabSize", vocabSize);
    positive("maxSeqLen", maxSeqLen);
    if (dim % nHeads != 0 || (dim / nHeads) % 2 != 0) {
      throw new IllegalArgumentException(
          "dim / nHeads must be an even integer, got dim=" + dim + ", nHeads=" + nHeads);
    }
    if (nHeads % nKvHeads != 0) {
      throw new IllegalArgumentException(
          "nKvHeads must divide nHeads, got nHeads=" + nHeads + ", nKvHeads=" + nKvHeads);
    }
    if (!(normEps > 0f) || Float.isInfinite(normEps)) {
      throw new IllegalArgumentException("normEps must be positive and finite, got " + normEps);
    }
    if (!(ropeTheta > 1f) || Float.isInfinite(ropeTheta)) {
      throw new IllegalArgumentException("ropeTheta must be > 1 and finite, got " + ropeTheta);
    }
  }

  /**
   * The width of one attention head.
   *
   * @return {@code dim / nHeads}
   */
  public int headSize() {
    return dim / nHeads;
  }

  /**
   * The width of the key (and value) projection.
   *
   * @return {@code nKvHeads * headSize}
   */
  public int kvDim() {
    return nKvHeads * headSize();
  }

  /**
   * How many query heads share one key/value head (llama2.c {@code kv_mul}).
   *
   * @return {@code nHeads / nKvHeads}
   */
  public int groupSize() {
    return nHeads / nKvHeads;
  }

  private static void positive(String name, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be >= 1, got " + value);
    }
  }
}

package dev.sibyl.models.backbone;

/**
 * Llama-3 RoPE frequency scaling (Hugging Face {@code rope_scaling} / {@code rope_parameters} with
 * {@code rope_type "llama3"}, used by Llama-3.1 and Llama-3.2), immutable.
 *
 * <p>{@link #apply(double)} is transformers' {@code _compute_llama3_parameters} on one inverse
 * frequency: wavelengths longer than {@code originalMaxPositionEmbeddings / lowFreqFactor} are
 * divided by {@code factor}, those shorter than {@code originalMaxPositionEmbeddings /
 * highFreqFactor} are kept, and those in between are interpolated smoothly. The attention factor of
 * this rope type is 1, so only the frequencies change.
 *
 * @param factor how much the low frequencies are slowed down, at least 1 (Llama-3.1: 8, 3.2: 32)
 * @param lowFreqFactor the low-frequency cut-off divisor, positive (Llama-3.x: 1)
 * @param highFreqFactor the high-frequency cut-off divisor, greater than {@code lowFreqFactor}
 *     (Llama-3.x: 4)
 * @param originalMaxPositionEmbeddings the pre-training context length, at least 1 (8192)
 */
public record RopeScaling(
    double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositionEmbeddings) {

  /**
   * Validates the parameters as transformers' {@code _validate_llama3_parameters} does.
   *
   * @throws IllegalArgumentException naming the first parameter out of range and its value
   */
  public RopeScaling {
    if (!(factor >= 1.0) || Double.isInfinite(factor)) {
      throw new IllegalArgumentException("rope scaling factor must be >= 1, got " + factor);
    }
    if (!(lowFreqFactor > 0.0) || Double.isInfinite(lowFreqFactor)) {
      throw new IllegalArgumentException("low_freq_factor must be positive, got " + lowFreqFactor);
    }
    if (!(highFreqFactor > lowFreqFactor) || Double.isInfinite(highFreqFactor)) {
      throw new IllegalArgumentException(
          "high_freq_factor must be > low_freq_factor="
              + lowFreqFactor
              + ", got "
              + highFreqFactor);
    }
    if (originalMaxPositionEmbeddings < 1) {
      throw new IllegalArgumentException(
          "original_max_position_embeddings must be >= 1, got " + originalMaxPositionEmbeddings);
    }
  }

  /**
   * Scales one RoPE inverse frequency.
   *
   * @param invFreq the unscaled inverse frequency {@code theta^(-2i / headSize)}, positive
   * @return the scaled inverse frequency
   */
  public double apply(double invFreq) {
    double wavelen = 2 * Math.PI / invFreq;
    double lowFreqWavelen = originalMaxPositionEmbeddings / lowFreqFactor;
    double highFreqWavelen = originalMaxPositionEmbeddings / highFreqFactor;
    if (wavelen > lowFreqWavelen) {
      return invFreq / factor;
    }
    if (wavelen < highFreqWavelen) {
      return invFreq;
    }
    double smooth =
        (originalMaxPositionEmbeddings / wavelen - lowFreqFactor)
            / (highFreqFactor - lowFreqFactor);
    return (1 - smooth) * invFreq / factor + smooth * invFreq;
  }
}

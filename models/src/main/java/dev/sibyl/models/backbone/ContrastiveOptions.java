package dev.sibyl.models.backbone;

/**
 * Settings of contrastive search (Su et al., "A Contrastive Framework for Neural Text Generation",
 * NeurIPS 2022).
 *
 * @param alpha the degeneration penalty weight in {@code [0, 1]}; 0 is greedy decoding
 * @param k the number of candidates (top-k by probability) scored per step, at least 1
 */
public record ContrastiveOptions(float alpha, int k) {

  /**
   * Validates the values.
   *
   * @throws IllegalArgumentException when {@code alpha} is outside {@code [0, 1]} or {@code k < 1}
   */
  public ContrastiveOptions {
    if (!(alpha >= 0f && alpha <= 1f)) {
      throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
    }
    if (k < 1) {
      throw new IllegalArgumentException("k must be >= 1, got " + k);
    }
  }
}

package dev.sibyl.models.backbone;

/**
 * How {@link Generator} runs.
 *
 * @param steps the total number of positions, prompt included (llama2.c {@code -n}): at least the
 *     prompt length and at most the decoder's {@code maxSeqLen}
 * @param useKvCache true to decode one token per step on the key/value cache; false to recompute
 *     the whole sequence each step (the reference path, quadratic)
 * @param stopToken generation stops before emitting this id (llama2.c stops at BOS, 1); -1 for none
 */
public record GenerationOptions(int steps, boolean useKvCache, int stopToken) {

  /**
   * Validates the values.
   *
   * @throws IllegalArgumentException when {@code steps < 1} or {@code stopToken < -1}
   */
  public GenerationOptions {
    if (steps < 1) {
      throw new IllegalArgumentException("steps must be >= 1, got " + steps);
    }
    if (stopToken < -1) {
      throw new IllegalArgumentException("stopToken must be >= -1, got " + stopToken);
    }
  }

  /**
   * llama2.c's run.c behaviour: KV cache, stop at BOS (1).
   *
   * @param steps the total number of positions, prompt included
   * @return the options
   */
  public static GenerationOptions llama2c(int steps) {
    return new GenerationOptions(steps, true, 1);
  }

  /**
   * A copy with another cache mode.
   *
   * @param kvCache whether to use the key/value cache
   * @return the copy
   */
  public GenerationOptions withKvCache(boolean kvCache) {
    return new GenerationOptions(steps, kvCache, stopToken);
  }
}

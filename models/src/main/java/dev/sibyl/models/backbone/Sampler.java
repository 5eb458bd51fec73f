package dev.sibyl.models.backbone;

/**
 * Picks the next token from one row of logits: the hook for decoding strategies that need only the
 * next-token distribution (greedy, temperature, top-k, top-p). Strategies that need hidden states
 * or look-ahead (contrastive search) are separate generator modes.
 *
 * <p>A sampler may hold a random generator, so use one per sequence; it is not thread-safe.
 */
public interface Sampler {

  /**
   * Picks a token.
   *
   * @param logits the next-token logits {@code (vocabSize)}; the sampler may overwrite them
   * @return the token id, in {@code [0, logits.length)}
   */
  int sample(float[] logits);

  /**
   * Greedy decoding: the first index of the largest logit (llama2.c {@code argmax}).
   *
   * @return a stateless greedy sampler
   */
  static Sampler greedy() {
    return Sampler::argmax;
  }

  /**
   * The sampler for the given settings, as llama2.c's {@code sample}: greedy when {@code
   * temperature == 0}, otherwise {@link RandomSampler}.
   *
   * @param temperature 0 for greedy, otherwise positive and finite
   * @param topK keep the k most likely tokens; 0 keeps all
   * @param topP nucleus mass in {@code (0, 1]}; 1 disables it
   * @param seed the random seed
   * @return the sampler
   * @throws IllegalArgumentException when a setting is out of range
   */
  static Sampler of(float temperature, int topK, float topP, long seed) {
    if (temperature == 0f) {
      return greedy();
    }
    return new RandomSampler(temperature, topK, topP, seed);
  }

  /**
   * The first index of the largest value.
   *
   * @param values the values, at least one
   * @return the index
   */
  static int argmax(float[] values) {
    int best = 0;
    float max = values[0];
    for (int i = 1; i < values.length; i++) {
      if (values[i] > max) {
        max = values[i];
        best = i;
      }
    }
    return best;
  }
}

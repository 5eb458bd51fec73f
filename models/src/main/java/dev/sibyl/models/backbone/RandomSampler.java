package dev.sibyl.models.backbone;

import java.util.Arrays;

/**
 * Temperature sampling with optional top-k and top-p (nucleus) truncation, seeded.
 *
 * <p>Follows llama2.c's {@code sample}, {@code sample_mult} and {@code sample_topp}, including its
 * xorshift random generator, so that with {@code topK = 0} a seed gives llama2.c's choices (up to
 * float rounding). Top-k (Fan et al. 2018) is applied first, by setting every logit below the k-th
 * largest to minus infinity. Not thread-safe: one sampler per sequence.
 */
public final class RandomSampler implements Sampler {

  private final float temperature;
  private final int topK;
  private final float topP;
  private long rngState;

  /**
   * Creates a sampler.
   *
   * @param temperature the softmax temperature, positive and finite
   * @param topK keep the k most likely tokens, or 0 to keep all
   * @param topP the nucleus mass in {@code (0, 1]}; 1 disables nucleus sampling
   * @param seed the random seed (llama2.c {@code -s})
   * @throws IllegalArgumentException when a setting is out of range
   */
  public RandomSampler(float temperature, int topK, float topP, long seed) {
    if (!(temperature > 0f) || Float.isInfinite(temperature)) {
      throw new IllegalArgumentException(
          "temperature must be positive and finite, got " + temperature);
    }
    if (topK < 0) {
      throw new IllegalArgumentException("topK must be >= 0, got " + topK);
    }
    if (!(topP > 0f && topP <= 1f)) {
      throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
    }
    this.temperature = temperature;
    this.topK = topK;
    this.topP = topP;
    this.rngState = seed;
  }

  @Override
  public int sample(float[] logits) {
    int n = logits.length;
    // apply the temperature to the logits
    for (int i = 0; i < n; i++) {
      logits[i] /= temperature;
    }
    // top-k: drop every logit below the k-th largest
    if (topK > 0 && topK < n) {
      float[] sorted = logits.clone();
      Arrays.sort(sorted);
      float kth = sorted[n - topK];
      for (int i = 0; i < n; i++) {
        if (logits[i] < kth) {
          logits[i] = Float.NEGATIVE_INFINITY;
        }
      }
    }
    // softmax to get the probabilities for the next token
    softmax(logits);
    // flip a (float) coin (this is our source of entropy for sampling)
    float coin = randomF32();
    return topP >= 1f ? sampleMult(logits, coin) : sampleTopP(logits, coin);
  }

  /** Samples from the whole distribution; {@code coin} in {@code [0, 1)}. */
  private static int sampleMult(float[] probs, float coin) {
    float cdf = 0f;
    for (int i = 0; i < probs.length; i++) {
      cdf += probs[i];
      if (coin < cdf) {
        return i;
      }
    }
    return probs.length - 1; // in case of rounding errors
  }

  /** Samples from the smallest set of tokens whose mass exceeds topP (run.c sample_topp). */
  private int sampleTopP(float[] probs, float coin) {
    int n = probs.length;
    // values below (1 - topp) / (n - 1) cannot be part of the nucleus: drop them before sorting
    float cutoff = (1.0f - topP) / (n - 1);
    Integer[] candidates = new Integer[n];
    int n0 = 0;
    for (int i = 0; i < n; i++) {
      if (probs[i] >= cutoff) {
        candidates[n0++] = i;
      }
    }
    Arrays.sort(candidates, 0, n0, (a, b) -> Float.compare(probs[b], probs[a]));
    // truncate the list where the cumulative probability exceeds topP
    float cumulative = 0f;
    int last = n0 - 1;
    for (int i = 0; i < n0; i++) {
      cumulative += probs[candidates[i]];
      if (cumulative > topP) {
        last = i;
        break;
      }
    }
    // sample from the truncated list
    float r = coin * cumulative;
    float cdf = 0f;
    for (int i = 0; i <= last; i++) {
      cdf += probs[candidates[i]];
      if (r < cdf) {
        return candidates[i];
      }
    }
    return candidates[last];
  }

  private static void softmax(float[] x) {
    float max = x[0];
    for (float v : x) {
      max = Math.max(max, v);
    }
    float sum = 0f;
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) Math.exp(x[i] - max);
      sum += x[i];
    }
    for (int i = 0; i < x.length; i++) {
      x[i] /= sum;
    }
  }

  /** llama2.c random_f32: xorshift64* (Marsaglia / Vigna), top 24 bits, in {@code [0, 1)}. */
  private float randomF32() {
    rngState ^= rngState >>> 12;
    rngState ^= rngState << 25;
    rngState ^= rngState >>> 27;
    int u32 = (int) ((rngState * 0x2545F4914F6CDD1DL) >>> 32);
    return (u32 >>> 8) / 16777216.0f;
  }
}

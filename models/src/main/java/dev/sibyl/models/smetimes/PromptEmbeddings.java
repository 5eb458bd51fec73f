package dev.sibyl.models.smetimes;

import dev.sibyl.models.backbone.Decoder;
import dev.sibyl.models.backbone.TextEmbeddingCache;
import dev.sibyl.models.tokenizer.Tokenizer;
import java.util.List;

/**
 * The embeddings of segments' statistical prompts ({@link StatisticalPrompt}) by the frozen LLM:
 * the last token's hidden state (after the final norm), L2-normalised, as AutoTimes embeds its
 * timestamp texts. Unlike those 7 texts, a prompt depends on the segment's values, so there is one
 * per distinct segment: they are computed many at a time and kept in a cache keyed by the text,
 * bounded by least-recent use ({@link TextEmbeddingCache}). Thread-safe.
 */
final class PromptEmbeddings {

  private final TextEmbeddingCache cache;

  /**
   * Creates an empty cache.
   *
   * @param decoder the frozen backbone (not owned)
   * @param tokenizer its tokenizer
   * @param capacity the most embeddings kept, at least 1
   */
  PromptEmbeddings(Decoder decoder, Tokenizer tokenizer, int capacity) {
    this.cache = new TextEmbeddingCache(decoder, tokenizer, capacity, "the prompt cache");
  }

  /**
   * The L2-normalised prompt embeddings of segments.
   *
   * @param segments each segment's values on the data's scale
   * @return row-major (segments, D)
   */
  float[] embeddings(List<double[]> segments) {
    String[] texts = new String[segments.size()];
    for (int i = 0; i < texts.length; i++) {
      texts[i] = StatisticalPrompt.text(segments.get(i));
    }
    return cache.embed(texts);
  }

  /** How many prompts went through the LLM so far (every other use was a cache hit). */
  long computed() {
    return cache.computed();
  }

  /** Seconds spent in the LLM on prompts so far. */
  double computeSeconds() {
    return cache.computeSeconds();
  }

  /** Embeddings in the cache now. */
  int size() {
    return cache.size();
  }
}

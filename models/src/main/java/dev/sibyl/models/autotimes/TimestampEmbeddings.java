package dev.sibyl.models.autotimes;

import dev.sibyl.models.backbone.Decoder;
import dev.sibyl.models.backbone.TextEmbeddingCache;
import dev.sibyl.models.tokenizer.Tokenizer;

/**
 * The embedding of a segment's timestamp text ({@link TimestampPrompt}) by the frozen LLM: the
 * text is tokenised (with BOS), run once through every block, and the last token's hidden state
 * (after the final norm) is kept, L2-normalised, in a cache. Every later use of the same text
 * reads the cache (the reference precomputes them into a file for the same reason).
 *
 * <p>Bounded: the cache keeps at most {@link #capacity()} texts and evicts the least recently
 * used. Relative texts number the positions of a context (a few dozen, so nothing is ever
 * evicted), but calendar texts grow with the data: every segment start of a data set or a
 * stream is a text of its own (ETTh1's 17,420 hourly rows give as many), and an unbounded map
 * would grow for as long as a stream runs. The default, {@value #DEFAULT_CAPACITY} texts, holds
 * every start of ETTh1 (about 8 MB at the 64-wide stories260K); a text evicted and met again is
 * computed again, giving the same vector.
 *
 * <p>The texts a call misses are embedded many at a time ({@link TextEmbeddingCache}), since a
 * calendar batch brings hundreds of new texts at once. Thread-safe.
 */
public final class TimestampEmbeddings {

  /** The most texts cached by default. */
  public static final int DEFAULT_CAPACITY = 32_768;

  private final int segmentLength;
  private final TextEmbeddingCache cache;

  /**
   * Creates an empty cache of {@value #DEFAULT_CAPACITY} texts.
   *
   * @param decoder the frozen backbone (not owned)
   * @param tokenizer its tokenizer
   * @param segmentLength S, for the relative texts' ranges
   */
  public TimestampEmbeddings(Decoder decoder, Tokenizer tokenizer, int segmentLength) {
    this(decoder, tokenizer, segmentLength, DEFAULT_CAPACITY);
  }

  /**
   * Creates an empty cache.
   *
   * @param decoder the frozen backbone (not owned)
   * @param tokenizer its tokenizer
   * @param segmentLength S, for the relative texts' ranges
   * @param capacity the most texts kept, at least 1
   * @throws IllegalArgumentException when capacity is below 1
   */
  public TimestampEmbeddings(Decoder decoder, Tokenizer tokenizer, int segmentLength, int capacity) {
    this.segmentLength = segmentLength;
    this.cache = new TextEmbeddingCache(decoder, tokenizer, capacity, "the timestamp cache");
  }

  /**
   * The L2-normalised embeddings of the relative texts of segments {@code [first, first + count)}.
   *
   * @param first the first segment's place from the start of the context
   * @param count how many segments
   * @return row-major (count, D)
   */
  public float[] embeddings(int first, int count) {
    String[] texts = new String[count];
    for (int j = 0; j < count; j++) {
      texts[j] = TimestampPrompt.text(first + j, segmentLength);
    }
    return embed(texts);
  }

  /**
   * The L2-normalised embeddings of any texts (calendar texts from {@link
   * TimestampPrompt#calendar}).
   *
   * @param texts the texts; not null
   * @return row-major (texts.length, D)
   */
  public float[] embed(String[] texts) {
    return cache.embed(texts);
  }

  /** How many texts went through the LLM so far (the rest were cache hits). */
  public int computed() {
    return (int) cache.computed();
  }

  /** Texts in the cache now, at most {@link #capacity()}. */
  public int size() {
    return cache.size();
  }

  /** The most texts kept. */
  public int capacity() {
    return cache.capacity();
  }
}

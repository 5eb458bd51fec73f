package dev.sibyl.models.autotimes;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.sibyl.models.backbone.Decoder;
import dev.sibyl.models.backbone.DecoderState;
import dev.sibyl.models.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

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
 * <p>The texts a call misses are embedded many at a time ({@value #BATCH} per LLM pass, right-padded
 * to the longest: the decoder is causal, so a text's last token never sees the padding after it),
 * since a calendar batch brings hundreds of new texts at once.
 *
 * <p>Thread-safe: the map is guarded by this object, and the LLM passes run outside the lock (a
 * text computed twice by racing threads gives the same vector).
 */
public final class TimestampEmbeddings {

  /** Texts per LLM pass. */
  static final int BATCH = 256;

  /** The most texts cached by default. */
  public static final int DEFAULT_CAPACITY = 32_768;

  private final Decoder decoder;
  private final Tokenizer tokenizer;
  private final int segmentLength;
  private final int capacity;
  private final Map<String, float[]> cache;
  private final AtomicInteger computed = new AtomicInteger();

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
    if (capacity < 1) {
      throw new IllegalArgumentException("the timestamp cache needs a capacity >= 1, got " + capacity);
    }
    this.decoder = decoder;
    this.tokenizer = tokenizer;
    this.segmentLength = segmentLength;
    this.capacity = capacity;
    this.cache =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, float[]> eldest) {
            return size() > TimestampEmbeddings.this.capacity;
          }
        };
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
    int d = decoder.config().dim();
    // 1. Hits, and the distinct misses in order of first use
    Map<String, float[]> found = new HashMap<>();
    List<String> missing = new ArrayList<>();
    synchronized (this) {
      for (String text : texts) {
        if (!found.containsKey(text)) {
          float[] hit = cache.get(text);
          found.put(text, hit);
          if (hit == null) {
            missing.add(text);
          }
        }
      }
    }
    // 2. The misses through the LLM, a batch at a time, outside the lock
    for (int first = 0; first < missing.size(); first += BATCH) {
      List<String> batch = missing.subList(first, Math.min(missing.size(), first + BATCH));
      float[][] e = compute(batch);
      synchronized (this) {
        for (int i = 0; i < e.length; i++) {
          cache.put(batch.get(i), e[i]);
          found.put(batch.get(i), e[i]);
        }
      }
    }
    float[] out = new float[texts.length * d];
    for (int j = 0; j < texts.length; j++) {
      System.arraycopy(found.get(texts[j]), 0, out, j * d, d);
    }
    return out;
  }

  /** How many texts went through the LLM so far (the rest were cache hits). */
  public int computed() {
    return computed.get();
  }

  /** Texts in the cache now, at most {@link #capacity()}. */
  public synchronized int size() {
    return cache.size();
  }

  /** The most texts kept. */
  public int capacity() {
    return capacity;
  }

  /** The last hidden state of each text, L2-normalised; shape (texts, D). */
  private float[][] compute(List<String> texts) {
    computed.addAndGet(texts.size());
    int b = texts.size();
    int[][] ids = new int[b][];
    int longest = 0;
    for (int i = 0; i < b; i++) {
      ids[i] = tokenizer.encode(texts.get(i), true, false);
      longest = Math.max(longest, ids[i].length);
    }
    int[] flat = new int[b * longest]; // right-padded with token 0
    for (int i = 0; i < b; i++) {
      System.arraycopy(ids[i], 0, flat, i * longest, ids[i].length);
    }
    int d = decoder.config().dim();
    float[][] out = new float[b][d];
    try (NDManager m = NDManager.newBaseManager(decoder.device());
        DecoderState state = decoder.newState(b)) {
      NDArray idArray = m.create(flat, new Shape(b, longest)).toType(DataType.INT64, false);
      float[] all = decoder.forward(decoder.tokenEmbeddings(idArray), state).toFloatArray(); // (b, T, D)
      for (int i = 0; i < b; i++) {
        int from = (i * longest + ids[i].length - 1) * d; // the text's own last token
        double norm = 0;
        for (int k = 0; k < d; k++) {
          norm += all[from + k] * all[from + k];
        }
        norm = Math.sqrt(norm);
        for (int k = 0; k < d; k++) {
          out[i][k] = (float) (all[from + k] / norm);
        }
      }
    }
    return out;
  }
}

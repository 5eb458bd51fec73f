package dev.sibyl.models.backbone;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.sibyl.models.runtime.ModelRuntime;
import dev.sibyl.models.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Texts embedded by a frozen decoder, cached: a text is tokenised (with BOS), run once through
 * every block, and the last token's hidden state (after the final norm) is kept, L2-normalised.
 * AutoTimes' timestamp texts and SMETimes' statistical prompts are embedded this way; every later
 * use of the same text reads the cache.
 *
 * <p>Bounded: at most {@link #capacity()} texts, the least recently used evicted first; a text
 * evicted and met again is computed again, giving the same vector.
 *
 * <p>The texts a call misses are embedded {@value #BATCH} per LLM pass, right-padded with token 0
 * to the longest: the decoder is causal, so a text's last token never sees the padding after it.
 *
 * <p>Thread-safe: the map is guarded by this object, and the LLM passes run outside the lock (a
 * text computed twice by racing threads gives the same vector).
 */
public final class TextEmbeddingCache {

  /** Texts per LLM pass. */
  public static final int BATCH = 256;

  private final Decoder decoder;
  private final Tokenizer tokenizer;
  private final int capacity;
  private final Map<String, float[]> cache;
  private final AtomicLong computed = new AtomicLong();
  private final AtomicLong computeNanos = new AtomicLong();

  /**
   * Creates an empty cache.
   *
   * @param decoder the frozen backbone (not owned)
   * @param tokenizer its tokenizer
   * @param capacity the most texts kept, at least 1
   * @param what what the texts are, for the error message (e.g. "the timestamp cache")
   * @throws IllegalArgumentException when capacity is below 1
   */
  public TextEmbeddingCache(Decoder decoder, Tokenizer tokenizer, int capacity, String what) {
    if (capacity < 1) {
      throw new IllegalArgumentException(what + " needs a capacity >= 1, got " + capacity);
    }
    this.decoder = decoder;
    this.tokenizer = tokenizer;
    this.capacity = capacity;
    this.cache =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, float[]> eldest) {
            return size() > TextEmbeddingCache.this.capacity;
          }
        };
  }

  /**
   * The L2-normalised embeddings of the texts, from the cache or computed (and cached).
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

  /** How many texts went through the LLM so far (every other use was a cache hit). */
  public long computed() {
    return computed.get();
  }

  /** Seconds spent in the LLM so far. */
  public double computeSeconds() {
    return computeNanos.get() / 1e9;
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
    long start = System.nanoTime();
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
      NDArray idArray = ModelRuntime.owned(m, flat, new Shape(b, longest)).toType(DataType.INT64, false);
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
    computed.addAndGet(b);
    computeNanos.addAndGet(System.nanoTime() - start);
    return out;
  }
}

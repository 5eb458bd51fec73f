package dev.sibyl.models.smetimes;

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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The embeddings of segments' statistical prompts ({@link StatisticalPrompt}) by the frozen LLM:
 * the last token's hidden state (after the final norm), L2-normalised, as AutoTimes embeds its
 * timestamp texts. Unlike those 7 texts, a prompt depends on the segment's values, so there is one
 * per distinct segment: they are computed many at a time (texts right-padded to the longest in a
 * batch: the decoder is causal, so a text's last token never sees the padding after it) and kept
 * in a cache keyed by the text, bounded by least-recent use.
 *
 * <p>Thread-safe: the cache is guarded by this object; computation runs outside the lock, so two
 * threads may compute the same text, with the same result.
 */
final class PromptEmbeddings {

  /** Texts per LLM pass: the padding's waste stays small since every text has the same template. */
  static final int BATCH = 256;

  private final Decoder decoder;
  private final Tokenizer tokenizer;
  private final int capacity;
  private final LinkedHashMap<String, float[]> cache;
  private final AtomicLong computed = new AtomicLong();
  private final AtomicLong computeNanos = new AtomicLong();

  /**
   * Creates an empty cache.
   *
   * @param decoder the frozen backbone (not owned)
   * @param tokenizer its tokenizer
   * @param capacity the most embeddings kept, at least 1
   */
  PromptEmbeddings(Decoder decoder, Tokenizer tokenizer, int capacity) {
    this.decoder = decoder;
    this.tokenizer = tokenizer;
    this.capacity = capacity;
    this.cache =
        new LinkedHashMap<>(1024, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, float[]> eldest) {
            return size() > PromptEmbeddings.this.capacity;
          }
        };
  }

  /**
   * The L2-normalised prompt embeddings of segments.
   *
   * @param segments each segment's values on the data's scale
   * @return row-major (segments, D)
   */
  float[] embeddings(List<double[]> segments) {
    int d = decoder.config().dim();
    String[] texts = new String[segments.size()];
    for (int i = 0; i < texts.length; i++) {
      texts[i] = StatisticalPrompt.text(segments.get(i));
    }
    float[] out = new float[texts.length * d];
    Map<String, float[]> found = new HashMap<>();
    LinkedHashSet<String> missing = new LinkedHashSet<>();
    synchronized (this) {
      for (String t : texts) {
        float[] e = cache.get(t);
        if (e != null) {
          found.put(t, e);
        } else {
          missing.add(t);
        }
      }
    }
    if (!missing.isEmpty()) {
      List<String> todo = new ArrayList<>(missing);
      for (int first = 0; first < todo.size(); first += BATCH) {
        List<String> batch = todo.subList(first, Math.min(todo.size(), first + BATCH));
        float[][] e = compute(batch);
        synchronized (this) {
          for (int i = 0; i < e.length; i++) {
            found.put(batch.get(i), e[i]);
            cache.put(batch.get(i), e[i]);
          }
        }
      }
    }
    for (int i = 0; i < texts.length; i++) {
      System.arraycopy(found.get(texts[i]), 0, out, i * d, d);
    }
    return out;
  }

  /** How many prompts went through the LLM so far (every other use was a cache hit). */
  long computed() {
    return computed.get();
  }

  /** Seconds spent in the LLM on prompts so far. */
  double computeSeconds() {
    return computeNanos.get() / 1e9;
  }

  /** Embeddings in the cache now. */
  synchronized int size() {
    return cache.size();
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
    // right padding with token 0: causal attention keeps it out of every real position
    int[] flat = new int[b * longest];
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
        int from = (i * longest + ids[i].length - 1) * d;
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

package dev.sibyl.models.autotimes;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.sibyl.models.backbone.Decoder;
import dev.sibyl.models.backbone.DecoderState;
import dev.sibyl.models.tokenizer.Tokenizer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The embedding of a segment's timestamp text ({@link TimestampPrompt}) by the frozen LLM: the
 * text is tokenised (with BOS), run once through every block, and the last token's hidden state
 * (after the final norm) is kept, L2-normalised, in a cache. Every later use of the same text
 * reads the cache: the LLM runs once per distinct text for the lifetime of the model (the
 * reference precomputes them into a file for the same reason).
 *
 * <p>Thread-safe: the cache is concurrent, and a text computed twice by racing threads gives the
 * same vector.
 */
public final class TimestampEmbeddings {

  private final Decoder decoder;
  private final Tokenizer tokenizer;
  private final int segmentLength;
  private final Map<String, float[]> cache = new ConcurrentHashMap<>();
  private final AtomicInteger computed = new AtomicInteger();

  /**
   * Creates an empty cache.
   *
   * @param decoder the frozen backbone (not owned)
   * @param tokenizer its tokenizer
   * @param segmentLength S, for the texts' ranges
   */
  public TimestampEmbeddings(Decoder decoder, Tokenizer tokenizer, int segmentLength) {
    this.decoder = decoder;
    this.tokenizer = tokenizer;
    this.segmentLength = segmentLength;
  }

  /**
   * The L2-normalised embeddings of segments {@code [first, first + count)}.
   *
   * @param first the first segment's place from the start of the context
   * @param count how many segments
   * @return row-major (count, D)
   */
  public float[] embeddings(int first, int count) {
    int d = decoder.config().dim();
    float[] out = new float[count * d];
    for (int j = 0; j < count; j++) {
      float[] e = cache.computeIfAbsent(TimestampPrompt.text(first + j, segmentLength), this::compute);
      System.arraycopy(e, 0, out, j * d, d);
    }
    return out;
  }

  /** How many texts went through the LLM so far (the rest were cache hits). */
  public int computed() {
    return computed.get();
  }

  /** The last hidden state of a text, L2-normalised; shape (D). */
  private float[] compute(String text) {
    computed.incrementAndGet();
    int[] ids = tokenizer.encode(text, true, false);
    try (NDManager m = NDManager.newBaseManager(decoder.device());
        DecoderState state = decoder.newState(1)) {
      NDArray idArray = m.create(ids, new Shape(1, ids.length)).toType(DataType.INT64, false);
      NDArray hidden = decoder.forward(decoder.tokenEmbeddings(idArray), state); // (1, T, D)
      float[] all = hidden.toFloatArray();
      int d = decoder.config().dim();
      float[] last = new float[d];
      System.arraycopy(all, (ids.length - 1) * d, last, 0, d);
      double norm = 0;
      for (float v : last) {
        norm += v * v;
      }
      norm = Math.sqrt(norm);
      for (int i = 0; i < d; i++) {
        last[i] = (float) (last[i] / norm);
      }
      return last;
    }
  }
}

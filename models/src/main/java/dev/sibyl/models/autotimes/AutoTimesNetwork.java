package dev.sibyl.models.autotimes;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.sibyl.models.artifact.Weights;
import dev.sibyl.models.backbone.Decoder;
import dev.sibyl.models.backbone.DecoderState;
import dev.sibyl.models.runtime.ModelRuntime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The trainable part of AutoTimes wired around the frozen backbone (see {@link AutoTimes} for the
 * paper): the segment embedding, the learned scale of the timestamp embeddings, the causal decoder
 * and the segment projection. Parameters live in one manager owned by this object; {@link
 * #forward} is differentiable with respect to them and leaves the backbone untouched.
 */
final class AutoTimesNetwork implements AutoCloseable {

  private final AutoTimesConfig config;
  private final Decoder decoder;
  private final TimestampEmbeddings timestamps;
  private final NDManager manager;
  private final List<String> names;
  private final List<NDArray> parameters = new ArrayList<>();
  private final SegmentMlp embedding;
  private final SegmentMlp projection;
  private final NDArray scale; // (1): the timestamp embeddings' weight
  private final int useLayers;

  /**
   * Added under the square root of the L2 norm: the derivative of sqrt at 0 is infinite, and one
   * zero embedding made the whole batch's gradient NaN.
   */
  private static final float NORM_EPS = 1e-8f;

  /**
   * Builds the network on the decoder's device.
   *
   * @param config the hyperparameters
   * @param decoder the frozen backbone (not owned)
   * @param timestamps the timestamp-embedding cache (not owned)
   * @param weights every tensor of {@link #shapes} with its shape
   */
  AutoTimesNetwork(
      AutoTimesConfig config, Decoder decoder, TimestampEmbeddings timestamps, Map<String, Weights.Tensor> weights) {
    this.config = config;
    this.decoder = decoder;
    this.timestamps = timestamps;
    this.manager = NDManager.newBaseManager(decoder.device());
    this.names = List.copyOf(shapes(config, decoder).keySet());
    Map<String, NDArray> p = new LinkedHashMap<>();
    for (String name : names) {
      Weights.Tensor t = weights.get(name);
      NDArray a = ModelRuntime.owned(manager, t.data(), new Shape(t.shape()));
      parameters.add(a);
      p.put(name, a);
    }
    embedding = new SegmentMlp(p.get("embed.w1"), p.get("embed.b1"), p.get("embed.w2"), p.get("embed.b2"));
    projection = new SegmentMlp(p.get("proj.w1"), p.get("proj.b1"), p.get("proj.w2"), p.get("proj.b2"));
    scale = p.get("timestamp.scale");
    int layers = decoder.config().nLayers();
    useLayers = config.llmLayers() == 0 ? layers : Math.min(config.llmLayers(), layers);
  }

  /**
   * The shape of every parameter, in artifact order.
   *
   * @param config the hyperparameters
   * @param decoder the backbone, for its width D
   * @return name to shape
   */
  static Map<String, long[]> shapes(AutoTimesConfig config, Decoder decoder) {
    long d = decoder.config().dim();
    long s = config.segmentLength();
    long hidden = config.mlpHidden();
    Map<String, long[]> m = new LinkedHashMap<>();
    if (hidden == 0) {
      m.put("embed.w1", new long[] {s, d});
      m.put("embed.b1", new long[] {d});
      m.put("proj.w1", new long[] {d, s});
      m.put("proj.b1", new long[] {s});
    } else {
      m.put("embed.w1", new long[] {s, hidden});
      m.put("embed.b1", new long[] {hidden});
      m.put("embed.w2", new long[] {hidden, d});
      m.put("embed.b2", new long[] {d});
      m.put("proj.w1", new long[] {d, hidden});
      m.put("proj.b1", new long[] {hidden});
      m.put("proj.w2", new long[] {hidden, s});
      m.put("proj.b2", new long[] {s});
    }
    if (config.useTimestamps()) {
      m.put("timestamp.scale", new long[] {1});
    }
    return m;
  }

  /**
   * PyTorch's {@code nn.Linear} initialisation (uniform in {@code +-1/sqrt(fan_in)} for weight and
   * bias) drawn in Java from the seed; the timestamp scale starts at 1 as in the reference.
   */
  static Map<String, Weights.Tensor> initial(AutoTimesConfig config, Decoder decoder, long seed) {
    Random random = new Random(seed);
    Map<String, Weights.Tensor> w = new LinkedHashMap<>();
    double bound = 0;
    for (Map.Entry<String, long[]> e : shapes(config, decoder).entrySet()) {
      long[] shape = e.getValue();
      int size = 1;
      for (long x : shape) {
        size *= (int) x;
      }
      float[] a = new float[size];
      if (e.getKey().equals("timestamp.scale")) {
        a[0] = 1f;
      } else {
        if (shape.length == 2) {
          bound = 1 / Math.sqrt(shape[0]); // the bias that follows shares its weight's fan-in
        }
        for (int i = 0; i < size; i++) {
          a[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
        }
      }
      w.put(e.getKey(), new Weights.Tensor(a, shape));
    }
    return w;
  }

  /**
   * A decoder state for {@code rows} sequences, or null when the model runs without the LLM.
   *
   * @param rows N
   * @return the state; the caller closes it
   */
  DecoderState newState(int rows) {
    return config.llm() ? decoder.newState(rows) : null;
  }

  /** The trainable arrays, in artifact order. */
  List<NDArray> parameters() {
    return parameters;
  }

  /** The manager that owns the parameters; inputs are created in it (and closed by a scope). */
  NDManager manager() {
    return manager;
  }

  /** The timestamp-embedding cache. */
  TimestampEmbeddings timestamps() {
    return timestamps;
  }

  /** The current parameter values, in artifact order. */
  Map<String, Weights.Tensor> weights() {
    Map<String, Weights.Tensor> w = new LinkedHashMap<>();
    for (int i = 0; i < names.size(); i++) {
      NDArray p = parameters.get(i);
      w.put(names.get(i), new Weights.Tensor(p.toFloatArray(), p.getShape().getShape()));
    }
    return w;
  }

  /** Number of trainable values. */
  long size() {
    long n = 0;
    for (NDArray p : parameters) {
      n += p.size();
    }
    return n;
  }

  /**
   * The forward pass over new segment tokens, continuing the sequence held in {@code state}. The
   * inputs, the temporaries and the result live in {@code inputs}: the network's own manager inside
   * an {@link ai.djl.ndarray.NDScope} for one-off passes (training, {@code predict}), or a sub-manager
   * closed by the caller when {@code state} outlives the call (a scope would also close the keys
   * and values the pass commits to the state).
   *
   * @param inputs the manager of the inputs and results; on the decoder's device
   * @param segments normalised segments, row-major (N, T, S)
   * @param n N, the sequences
   * @param first the place of the first new token from the start of the context (the state's
   *     position when the LLM runs), for its relative timestamp text
   * @param state the sequences' state from {@link #newState}, null without the LLM; the caller
   *     closes it only after the backward pass (its cache holds arrays of the graph: closing it
   *     earlier crashed PyTorch's backward in native code, intermittently, in Time-LLM)
   * @param lastOnly whether only the newest token's prediction is wanted (inference): the decoder
   *     then runs its last block for that token alone ({@link
   *     dev.sibyl.models.backbone.Decoder#forwardLast}) and one token is projected
   * @return each token's prediction of the next segment, normalised; shape (N, T, S), or (N, 1, S)
   *     when {@code lastOnly}
   */
  NDArray forward(NDManager inputs, float[] segments, int n, int first, DecoderState state, boolean lastOnly) {
    if (config.calendar()) {
      throw new IllegalStateException("autotimes with timestamps=calendar needs the tokens' calendar texts");
    }
    int t = segments.length / (n * config.segmentLength());
    float[] times = config.useTimestamps() ? timestamps.embeddings(first, t) : null;
    return forward(inputs, segments, n, times, 1, state, lastOnly);
  }

  /**
   * The forward pass over new segment tokens of sequences at different places, as the rows of a
   * stacked state whose caches differ in length (see {@link DecoderState#concat}): as {@link
   * #forward(NDManager, float[], int, int, DecoderState, boolean)}, sequence {@code i}'s first new token at
   * {@code first[i]}.
   *
   * @param first per sequence the place of its first new token; shape (N)
   */
  NDArray forward(NDManager inputs, float[] segments, int[] first, DecoderState state, boolean lastOnly) {
    int n = first.length;
    boolean shared = Arrays.stream(first).allMatch(f -> f == first[0]);
    if (shared || config.calendar() || !config.useTimestamps()) {
      return forward(inputs, segments, n, first[0], state, lastOnly); // positions only name the texts
    }
    int t = segments.length / (n * config.segmentLength());
    int d = decoder.config().dim();
    float[] times = new float[n * t * d];
    Map<Integer, float[]> byPlace = new HashMap<>();
    for (int i = 0; i < n; i++) {
      float[] e = byPlace.computeIfAbsent(first[i], f -> timestamps.embeddings(f, t));
      System.arraycopy(e, 0, times, i * t * d, t * d);
    }
    return forward(inputs, segments, n, times, n, state, lastOnly);
  }

  /**
   * The forward pass with the tokens' own timestamp texts (calendar mode): as {@link
   * #forward(NDManager, float[], int, int, DecoderState, boolean)}, each sequence with its own texts.
   *
   * @param texts one text per token; row-major (N, T)
   */
  NDArray forward(NDManager inputs, float[] segments, int n, String[] texts, DecoderState state, boolean lastOnly) {
    int t = segments.length / (n * config.segmentLength());
    if (texts.length != n * t) {
      throw new IllegalArgumentException("expected " + n * t + " timestamp texts (N, T), got " + texts.length);
    }
    float[] times = config.useTimestamps() ? timestamps.embed(texts) : null;
    return forward(inputs, segments, n, times, n, state, lastOnly);
  }

  /** The pass itself; {@code times} row-major (timeRows, T, D), timeRows 1 (shared) or N. */
  private NDArray forward(
      NDManager inputs, float[] segments, int n, float[] times, int timeRows, DecoderState state, boolean lastOnly) {
    int s = config.segmentLength();
    int t = segments.length / (n * s);
    NDArray x = ModelRuntime.owned(inputs, segments, new Shape(n, t, s));
    // 1. Segment embedding: (N, T, S) -> (N, T, D)
    NDArray e = embedding.forward(x);
    if (config.useTimestamps()) {
      // 2. Both L2-normalised, the timestamp part weighted by the learned scale:
      //    x_enc / |x_enc| + add_scale * times / |times| (times are normalised in the cache)
      int d = decoder.config().dim();
      NDArray tau = ModelRuntime.owned(inputs, times, new Shape(timeRows, t, d));
      e = e.div(e.square().sum(new int[] {2}, true).add(NORM_EPS).sqrt()).add(tau.mul(scale));
    }
    // 3. The frozen decoder, causal over the tokens (and everything already in the state)
    NDArray hidden;
    if (!config.llm()) {
      hidden = lastOnly ? e.get(new NDIndex().addAllDim().addSliceDim(t - 1, t)) : e;
    } else {
      hidden = lastOnly ? decoder.forwardLast(e, state, useLayers) : decoder.forward(e, state, useLayers);
    }
    // 4. Segment projection: every position predicts the next segment, (N, T, D) -> (N, T, S)
    return projection.forward(hidden);
  }

  @Override
  public void close() {
    manager.close();
  }
}

package dev.sibyl.models.smetimes;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.sibyl.models.artifact.Weights;
import dev.sibyl.models.autotimes.SegmentMlp;
import dev.sibyl.models.autotimes.TimestampEmbeddings;
import dev.sibyl.models.backbone.Decoder;
import dev.sibyl.models.backbone.DecoderState;
import dev.sibyl.models.runtime.ModelRuntime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The trainable part of SMETimes around the frozen backbone (see {@link SmeTimes} for the paper):
 * the segment embedding (AutoTimes' {@link SegmentMlp}), the adaptive fusion with the prompt
 * embedding, AutoTimes' scaled timestamp embedding, the causal decoder and the {@link
 * MixtureOfExperts}. Parameters live in one manager owned by this object; {@link #forward} is
 * differentiable with respect to them and leaves the backbone untouched.
 */
final class SmeTimesNetwork implements AutoCloseable {

  /** Under the square root of an L2 norm: its derivative at 0 is infinite. */
  private static final float NORM_EPS = 1e-8f;

  private final SmeTimesConfig config;
  private final Decoder decoder;
  private final TimestampEmbeddings timestamps;
  private final PromptEmbeddings prompts;
  private final NDManager manager;
  private final List<String> names;
  private final List<NDArray> parameters = new ArrayList<>();
  private final SegmentMlp embedding;
  private final NDArray fusion; // (1): alpha = sigmoid(fusion); null when fixed or without prompts
  private final NDArray scale; // (1): the timestamp embeddings' weight
  private final MixtureOfExperts moe;
  private final int useLayers;

  SmeTimesNetwork(
      SmeTimesConfig config,
      Decoder decoder,
      TimestampEmbeddings timestamps,
      PromptEmbeddings prompts,
      Map<String, Weights.Tensor> weights) {
    this.config = config;
    this.decoder = decoder;
    this.timestamps = timestamps;
    this.prompts = prompts;
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
    fusion = p.get("fusion.gate");
    scale = p.get("timestamp.scale");
    moe = new MixtureOfExperts(config.experts(), config.segmentLength(), p.get("moe.gate.w"), p.get("moe.gate.b"),
        p.get("moe.hidden.w"), p.get("moe.hidden.b"), p.get("moe.experts.w"), p.get("moe.experts.b"),
        p.get("moe.base.w"), p.get("moe.base.b"));
    int layers = decoder.config().nLayers();
    int asked = config.base().llmLayers();
    useLayers = asked == 0 ? layers : Math.min(asked, layers);
  }

  /**
   * The shape of every parameter, in artifact order.
   *
   * @param config the hyperparameters
   * @param decoder the backbone, for its width D
   * @return name to shape
   */
  static Map<String, long[]> shapes(SmeTimesConfig config, Decoder decoder) {
    long d = decoder.config().dim();
    long s = config.segmentLength();
    long hidden = config.base().mlpHidden();
    long k = config.experts();
    Map<String, long[]> m = new LinkedHashMap<>();
    if (hidden == 0) {
      m.put("embed.w1", new long[] {s, d});
      m.put("embed.b1", new long[] {d});
    } else {
      m.put("embed.w1", new long[] {s, hidden});
      m.put("embed.b1", new long[] {hidden});
      m.put("embed.w2", new long[] {hidden, d});
      m.put("embed.b2", new long[] {d});
    }
    if (config.prompt() && config.learnedFusion()) {
      m.put("fusion.gate", new long[] {1});
    }
    if (config.base().useTimestamps()) {
      m.put("timestamp.scale", new long[] {1});
    }
    m.put("moe.gate.w", new long[] {d, k + 1});
    m.put("moe.gate.b", new long[] {k + 1});
    long expertIn = d;
    if (config.expertHidden() > 0) {
      expertIn = config.expertHidden();
      m.put("moe.hidden.w", new long[] {d, expertIn});
      m.put("moe.hidden.b", new long[] {expertIn});
    }
    m.put("moe.experts.w", new long[] {expertIn, k * s});
    m.put("moe.experts.b", new long[] {k * s});
    m.put("moe.base.w", new long[] {config.baseSegments() * s, s});
    m.put("moe.base.b", new long[] {s});
    return m;
  }

  /**
   * PyTorch's {@code nn.Linear} initialisation (uniform in {@code +-1/sqrt(fan_in)}) drawn from the
   * seed; the fusion gate starts at 0 (alpha = 1/2) and the timestamp scale at 1 (AutoTimes). The
   * base predictor starts as DLinear's does (every weight 1/fan_in, bias 0: the mean of what it
   * reads): a random map of B * S = 672 inputs adds noise of variance about 1/3 to every output,
   * more than the few hundred steps of a training run at learning rate 0.001 remove.
   */
  static Map<String, Weights.Tensor> initial(SmeTimesConfig config, Decoder decoder, long seed) {
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
      } else if (e.getKey().equals("moe.base.w")) {
        Arrays.fill(a, 1f / shape[0]);
      } else if (!e.getKey().equals("fusion.gate") && !e.getKey().equals("moe.base.b")) {
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

  /** A decoder state for {@code rows} sequences, or null without the LLM; the caller closes it. */
  DecoderState newState(int rows) {
    return config.base().llm() ? decoder.newState(rows) : null;
  }

  List<NDArray> parameters() {
    return parameters;
  }

  NDManager manager() {
    return manager;
  }

  PromptEmbeddings prompts() {
    return prompts;
  }

  TimestampEmbeddings timestamps() {
    return timestamps;
  }

  /** The current fusion weight alpha of the segment embedding (1/2 when fixed, 1 without prompts). */
  double alpha() {
    if (!config.prompt()) {
      return 1;
    }
    if (fusion == null) {
      return 0.5;
    }
    return 1 / (1 + Math.exp(-fusion.getFloat(0)));
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

  long size() {
    long n = 0;
    for (NDArray p : parameters) {
      n += p.size();
    }
    return n;
  }

  /**
   * The forward pass over new segment tokens, continuing the sequence held in {@code state}; the
   * inputs, temporaries and results live in {@code inputs} (see AutoTimes' network for why a
   * sub-manager when the state outlives the call).
   *
   * @param inputs the manager of the inputs and results
   * @param segments standardised segments, row-major (N, T, S)
   * @param promptEmbeddings the segments' prompt embeddings, row-major (N, T, D); null without
   *     prompts
   * @param n N, the sequences
   * @param first the place of the first new token from the start of the context
   * @param past the standardised segments just before the first new token, oldest first, for the
   *     base predictor: the last min(first, B - 1) of them, row-major (N, P, S); null when first = 0
   * @param state from {@link #newState}, null without the LLM; closed by the caller after backward
   * @return the prediction (N, T, S) standardised, the gate (N, T, K + 1), the balance loss on demand
   */
  MixtureOfExperts.Output forward(
      NDManager inputs, float[] segments, float[] promptEmbeddings, int n, int first, float[] past,
      DecoderState state) {
    int s = config.segmentLength();
    NDArray x = ModelRuntime.owned(inputs, segments, new Shape(n, segments.length / (n * s), s));
    return forward(inputs, x, promptEmbeddings, first, past, state);
  }

  /**
   * {@link #forward(NDManager, float[], float[], int, int, float[], DecoderState)} over segments
   * already in an array, so that the gradient also flows into them (the training's rollout pass
   * feeds a prediction back as a token).
   *
   * @param x standardised segments; shape (N, T, S)
   */
  MixtureOfExperts.Output forward(
      NDManager inputs, NDArray x, float[] promptEmbeddings, int first, float[] past, DecoderState state) {
    int s = config.segmentLength();
    int d = decoder.config().dim();
    int n = (int) x.getShape().get(0);
    int t = (int) x.getShape().get(1);
    // 1. Segment embedding, L2-normalised as AutoTimes does (the prompt embeddings are too)
    NDArray e = embedding.forward(x);
    e = e.div(e.square().sum(new int[] {2}, true).add(NORM_EPS).sqrt());
    if (config.prompt()) {
      // 2. Adaptive fusion: alpha * segment + (1 - alpha) * prompt, alpha = sigmoid(g)
      NDArray p = ModelRuntime.owned(inputs, promptEmbeddings, new Shape(n, t, d));
      if (fusion == null) {
        e = e.add(p).mul(ModelRuntime.scalar(inputs, 0.5f));
      } else {
        NDArray alpha = Activation.sigmoid(fusion);
        e = e.mul(alpha).add(p.mul(alpha.neg().add(1f)));
      }
    }
    if (config.base().useTimestamps()) {
      // 3. The time range: AutoTimes' timestamp text, scaled
      NDArray times = ModelRuntime.owned(inputs, timestamps.embeddings(first, t), new Shape(1, t, d));
      e = e.add(times.mul(scale));
    }
    // 4. The frozen decoder, causal over the tokens (and everything already in the state)
    NDArray hidden = config.base().llm() ? decoder.forward(e, state, useLayers) : e;
    // 5. The experts and the base predictor, mixed per token
    NDArray before =
        past == null || past.length == 0
            ? null
            : ModelRuntime.owned(inputs, past, new Shape(n, past.length / (n * s), s));
    return moe.forward(hidden, x, before);
  }

  /** The gate alone, for tests. */
  MixtureOfExperts moe() {
    return moe;
  }

  @Override
  public void close() {
    manager.close();
  }
}

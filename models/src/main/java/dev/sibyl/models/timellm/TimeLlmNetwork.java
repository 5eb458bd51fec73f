package dev.sibyl.models.timellm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.sibyl.models.artifact.Weights;
import dev.sibyl.models.backbone.Decoder;
import dev.sibyl.models.backbone.DecoderState;
import dev.sibyl.models.runtime.ModelRuntime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The trainable part of Time-LLM wired around the frozen backbone: patch embedding, prototypes and
 * reprogramming, the prompt prefix, the first k decoder blocks, and the flatten head (see {@link
 * TimeLlm} for the paper). Parameters live in one manager owned by this object; {@link #forward} is
 * differentiable with respect to them and leaves the backbone untouched.
 */
final class TimeLlmNetwork implements AutoCloseable {

  /** Parameter names in artifact order. */
  static final List<String> NAMES =
      List.of(
          "patch.weight", "patch.bias",
          "mapping.weight", "mapping.bias",
          "query.weight", "query.bias",
          "key.weight", "key.bias",
          "value.weight", "value.bias",
          "out.weight", "out.bias",
          "head.weight", "head.bias");

  private final TimeLlmConfig config;
  private final Decoder decoder;
  private final NDManager manager;
  private final List<NDArray> parameters = new ArrayList<>();
  private final PatchEmbedding patchEmbedding;
  private final ReprogrammingLayer reprogramming;
  private final NDArray headWeight; // (patches * dFf, H)
  private final NDArray headBias; // (H)
  private final int useLayers;
  private final int dFf;
  private final DecoderState prefix; // batch 1, the shared prompt's cache; null without it

  /**
   * Builds the network on the decoder's device.
   *
   * @param config the hyperparameters
   * @param decoder the frozen backbone (not owned)
   * @param weights every tensor of {@link #NAMES} with the shapes of {@link #shapes}
   * @param sharedPrompt the ids every window's prompt starts with ({@link
   *     PromptBuilder#sharedIds()}); shape (S), may be empty; ignored without the LLM
   */
  TimeLlmNetwork(
      TimeLlmConfig config, Decoder decoder, Map<String, Weights.Tensor> weights, int[] sharedPrompt) {
    this.config = config;
    this.decoder = decoder;
    this.manager = NDManager.newBaseManager(decoder.device());
    for (String name : NAMES) {
      Weights.Tensor t = weights.get(name);
      parameters.add(ModelRuntime.owned(manager, t.data(), new Shape(t.shape())));
    }
    patchEmbedding = new PatchEmbedding(parameters.get(0), parameters.get(1));
    reprogramming =
        new ReprogrammingLayer(
            config.heads(), config.dKeys(), parameters.subList(2, 12).toArray(new NDArray[0]));
    headWeight = parameters.get(12);
    headBias = parameters.get(13);
    int layers = decoder.config().nLayers();
    useLayers = config.llmLayers() == 0 ? layers : Math.min(config.llmLayers(), layers);
    dFf = dFf(config, decoder);
    prefix = config.llm() && sharedPrompt.length > 0 ? prefix(sharedPrompt) : null;
  }

  /**
   * The decoder's cache over the shared prompt, batch 1. Why once per model: the prefix involves
   * no trainable parameter and is the same for every window, and its pass over about 190 tokens
   * cost more than the rest of a training step together (measured 2.1 s of 5.8 s for 24 windows x
   * 7 channels at one thread); every forward pass starts from copies of this cache.
   */
  private DecoderState prefix(int[] ids) {
    DecoderState state = decoder.newState(1);
    try (NDManager scope = manager.newSubManager()) {
      long[] flat = new long[ids.length];
      for (int i = 0; i < ids.length; i++) {
        flat[i] = ids[i];
      }
      NDArray embedded = decoder.tokenEmbeddings(scope.create(flat, new Shape(1, ids.length)));
      decoder.forwardLast(embedded, state, useLayers); // only its keys and values are read
    } catch (RuntimeException e) {
      state.close();
      throw e;
    }
    return state;
  }

  /** The hidden features per patch the head reads: d_ff capped at the LLM width. */
  static int dFf(TimeLlmConfig config, Decoder decoder) {
    return Math.min(config.dFf(), decoder.config().dim());
  }

  /**
   * The shape of every parameter.
   *
   * @param config the hyperparameters
   * @param decoder the backbone, for its width and vocabulary
   * @return name to shape, in {@link #NAMES} order
   */
  static Map<String, long[]> shapes(TimeLlmConfig config, Decoder decoder) {
    long d = decoder.config().dim();
    long vocab = decoder.config().vocabSize();
    long hk = (long) config.heads() * config.dKeys();
    long dm = config.dModel();
    Map<String, long[]> s = new LinkedHashMap<>();
    s.put("patch.weight", new long[] {config.patchLength(), dm});
    s.put("patch.bias", new long[] {dm});
    s.put("mapping.weight", new long[] {vocab, config.prototypes()});
    s.put("mapping.bias", new long[] {config.prototypes()});
    s.put("query.weight", new long[] {dm, hk});
    s.put("query.bias", new long[] {hk});
    s.put("key.weight", new long[] {d, hk});
    s.put("key.bias", new long[] {hk});
    s.put("value.weight", new long[] {d, hk});
    s.put("value.bias", new long[] {hk});
    s.put("out.weight", new long[] {hk, d});
    s.put("out.bias", new long[] {d});
    s.put("head.weight", new long[] {(long) config.patches() * dFf(config, decoder), config.horizon()});
    s.put("head.bias", new long[] {config.horizon()});
    return s;
  }

  /**
   * PyTorch's {@code nn.Linear} initialisation, uniform in {@code +-1/sqrt(fan_in)} for weight and
   * bias, drawn in Java from the seed.
   */
  static Map<String, Weights.Tensor> initial(TimeLlmConfig config, Decoder decoder, long seed) {
    Random random = new Random(seed);
    Map<String, Weights.Tensor> w = new LinkedHashMap<>();
    double bound = 0;
    for (Map.Entry<String, long[]> e : shapes(config, decoder).entrySet()) {
      long[] shape = e.getValue();
      if (shape.length == 2) {
        bound = 1 / Math.sqrt(shape[0]); // the bias that follows shares its weight's fan-in
      }
      int size = 1;
      for (long x : shape) {
        size *= (int) x;
      }
      float[] a = new float[size];
      for (int i = 0; i < size; i++) {
        a[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
      }
      w.put(e.getKey(), new Weights.Tensor(a, shape));
    }
    return w;
  }

  /**
   * A decoder state for one forward pass, already holding the shared prompt, or null when the
   * model runs without the LLM.
   *
   * @param rows N
   * @return the state; the caller closes it
   */
  DecoderState newState(int rows) {
    if (!config.llm()) {
      return null;
    }
    return prefix == null ? decoder.newState(rows) : DecoderState.concat(Collections.nCopies(rows, prefix));
  }

  /** The trainable arrays, in {@link #NAMES} order. */
  List<NDArray> parameters() {
    return parameters;
  }

  /** The manager that owns the parameters; inputs are created in it (and closed by a scope). */
  NDManager manager() {
    return manager;
  }

  /** The current parameter values, in {@link #NAMES} order. */
  Map<String, Weights.Tensor> weights() {
    Map<String, Weights.Tensor> w = new LinkedHashMap<>();
    for (int i = 0; i < NAMES.size(); i++) {
      NDArray p = parameters.get(i);
      w.put(NAMES.get(i), new Weights.Tensor(p.toFloatArray(), p.getShape().getShape()));
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
   * The forward pass on normalised windows. Call inside an {@link ai.djl.ndarray.NDScope}: the
   * temporaries and the result live in this network's manager.
   *
   * @param rows normalised windows; shape (N, L)
   * @param prompts each window's own prompt ids ({@link PromptBuilder#statisticsIds}); shape (N,
   *     statisticsLength); ignored without the LLM
   * @param state a fresh state of batch N from {@link #newState}, null without the LLM; the caller
   *     closes it only after the backward pass (its cache holds arrays of the graph: closing it
   *     earlier crashed PyTorch's backward in native code, intermittently)
   * @return the normalised forecasts; shape (N, H)
   */
  NDArray forward(double[][] rows, int[][] prompts, DecoderState state) {
    int n = rows.length;
    int patches = config.patches();
    // 1. Patches -> embeddings -> reprogrammed into the LLM's space: (N, P, D)
    NDArray x =
        ModelRuntime.owned(manager, 
            PatchEmbedding.patches(rows, config.patchLength(), config.patchStride()),
            new Shape(n, patches, config.patchLength()));
    NDArray prototypes = reprogramming.prototypes(decoder.embeddingTable());
    NDArray reprogrammed = reprogramming.forward(patchEmbedding.forward(x), prototypes);
    NDArray features;
    if (config.llm()) {
      // 2. [shared prompt (cached in the state); own prompt; patches] through the frozen blocks;
      // keep the last P positions
      int length = prompts[0].length;
      int[] flat = new int[n * length];
      for (int r = 0; r < n; r++) {
        System.arraycopy(prompts[r], 0, flat, r * length, length);
      }
      NDArray ids = ModelRuntime.owned(manager, flat, new Shape(n, length)).toType(DataType.INT64, false);
      NDArray prompt = decoder.tokenEmbeddings(ids); // (N, T, D)
      // Passes over the prompt and then the patches, the same causal computation as one: the
      // prompt's pass involves no trainable parameter, so autograd records nothing for it and
      // the backward pass covers the patch positions only. Only the prompt's keys and values are
      // read, so its last block runs the rest for one position (forwardLast).
      decoder.forwardLast(prompt, state, useLayers);
      NDArray hidden =
          config.headReadsResidual()
              ? decoder.forwardResidual(reprogrammed, state, useLayers)
              : decoder.forward(reprogrammed, state, useLayers); // (N, P, D)
      features = hidden.get(new NDIndex(":, :, :{}", dFf)); // (N, P, dFf)
    } else {
      // the ablation: patches go straight from reprogramming to the head
      features = reprogrammed.get(new NDIndex(":, :, :{}", dFf));
    }
    // 3. Flatten head: (N, P * dFf) -> (N, H)
    return features.reshape(n, (long) patches * dFf).matMul(headWeight).add(headBias);
  }

  @Override
  public void close() {
    if (prefix != null) {
      prefix.close();
    }
    manager.close();
  }
}

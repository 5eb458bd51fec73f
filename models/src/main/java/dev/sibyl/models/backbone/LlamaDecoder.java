package dev.sibyl.models.backbone;

// Architecture: Llama 2 (Touvron et al., "Llama 2: Open Foundation and Fine-Tuned Chat Models",
// 2023), as implemented by karpathy/llama2.c run.c forward(): pre-norm blocks with RMSNorm,
// rotary position embeddings, grouped-query attention over a key/value cache, and a SwiGLU FFN;
// final RMSNorm; a linear classifier, optionally tied to the token embeddings.
// Departures from run.c: batched over sequences and over new positions (a causal mask replaces
// run.c's loop "for t <= pos"); the q, k, v projections (and w1, w3) are one stacked matrix
// product; optional q/k/v biases (Qwen2); RoPE may pair features the Hugging Face way (HALF);
// hidden states can be read before the classifier and after any first k layers; RMSNorm divides
// by sqrt(mean(x^2) + eps) where run.c multiplies by its reciprocal (float rounding only).

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.sibyl.models.runtime.ModelRuntime;
import dev.sibyl.models.runtime.Softmax;
import java.util.Objects;

/**
 * A Llama-family decoder on DJL NDArrays: Llama 2 as in llama2.c, and the same block (RMSNorm,
 * RoPE, grouped-query attention, SwiGLU, optional q/k/v biases) that the Hugging Face Llama, Qwen2,
 * SmolLM and TinyLlama checkpoints need once their loaders exist.
 *
 * <p>Immutable and thread-safe: the only fields are the frozen weights (and views of them) and the
 * RoPE tables; every sequence's cache is in its {@link DecoderState}. See {@link Decoder} for the
 * memory rules.
 */
public final class LlamaDecoder extends TransformerDecoder {

  private final DecoderWeights weights;

  /** Per layer, views of the weights transposed to {@code (in, out)} for {@code x @ W}. */
  private final NDArray[] wqkvT; // (dim, dim + 2 kvDim)

  private final NDArray[] woT; // (dim, dim)
  private final NDArray[] w13T; // (dim, 2 hiddenDim)
  private final NDArray[] w2T; // (hiddenDim, dim)

  /** RoPE {@code cos(pos * freq)} per feature {@code (maxSeqLen, 1, headSize)}. */
  private final NDArray ropeCos;

  /** RoPE {@code ∓sin(pos * freq)} per feature, signed by pair role {@code (maxSeqLen, 1, hs)}. */
  private final NDArray ropeSin;

  /**
   * The constants of the forward pass as 0-d arrays made once, {@code sqrt(headSize)} and the
   * RMSNorm eps: an operation with a Java number makes DJL create a scalar tensor over a Java
   * buffer and free it after the call, each time (20-50 us on CPU, against about 3 us for the
   * operation), and autograd may keep that tensor for the backward pass after its buffer is freed
   * (see {@link ModelRuntime#scalar}).
   */
  private final NDArray attentionScale;

  private final NDArray normEps;

  /**
   * Builds a decoder on loaded weights and takes ownership of their manager.
   *
   * @param config the hyperparameters; never null
   * @param weights the weights, all in {@code manager}; never null
   * @param manager the manager holding the weights; closed by {@link #close()}
   * @throws IllegalArgumentException when a weight's shape does not match {@code config}, or the
   *     RoPE style is {@link RopeStyle#NONE}
   */
  public LlamaDecoder(DecoderConfig config, DecoderWeights weights, NDManager manager) {
    super(config, manager, Objects.requireNonNull(weights, "weights").tokenEmbedding(), weights.classifier());
    this.weights = weights;
    if (config.ropeStyle() == RopeStyle.NONE) {
      throw new IllegalArgumentException(
          "a Llama decoder needs ropeStyle INTERLEAVED or HALF, got NONE");
    }
    weights.checkShapes(config);
    int n = config.nLayers();
    wqkvT = new NDArray[n];
    woT = new NDArray[n];
    w13T = new NDArray[n];
    w2T = new NDArray[n];
    for (int l = 0; l < n; l++) {
      LayerWeights lw = weights.layers().get(l);
      wqkvT[l] = inManager(lw.wqkv().transpose());
      woT[l] = inManager(lw.wo().transpose());
      w13T[l] = inManager(lw.w13().transpose());
      w2T[l] = inManager(lw.w2().transpose());
    }
    float[][] tables = ropeTables(config);
    Shape tableShape = new Shape(config.maxSeqLen(), 1, config.headSize());
    ropeCos = ModelRuntime.owned(manager, tables[0], tableShape);
    ropeSin = ModelRuntime.owned(manager, tables[1], tableShape);
    attentionScale = ModelRuntime.scalar(manager, (float) Math.sqrt(config.headSize()));
    normEps = ModelRuntime.scalar(manager, config.normEps());
  }


  /**
   * The blocks, one commented step per math operation as in run.c forward(). Every array created
   * here lives in {@code scope} ({@code x} was attached there, and each operation's result joins
   * the manager of its first operand); the new caches go to {@code newKeys} / {@code newValues}.
   *
   * @param x input embeddings {@code (batch, seq, dim)}
   * @return the residual stream after the last block used {@code (batch, seq, dim)}
   */
  @Override
  NDArray forwardLayers(
      NDArray x, DecoderState state, NDArray[] newKeys, NDArray[] newValues, boolean lastOnly, NDManager scope) {
    long b = x.getShape().get(0);
    long seq = x.getShape().get(1);
    int pos = state.position();
    int dim = config.dim();
    int hs = config.headSize();
    int nKv = config.nKvHeads();
    int group = config.groupSize();
    // RoPE angles of the new positions, (seq, 1, hs) broadcast over batch and heads; a padded
    // state's rows each at their own positions, (b, seq, 1, hs)
    NDArray cos;
    NDArray sin;
    if (state.paddingOrNull() == null) {
      NDIndex positions = new NDIndex().addSliceDim(pos, pos + seq); // no string to parse per pass
      cos = ropeCos.get(scope, positions);
      sin = ropeSin.get(scope, positions);
    } else {
      int[] at = tokenPositions(state, (int) b, (int) seq);
      NDIndex rows = new NDIndex("{}", ModelRuntime.owned(scope, at, new Shape(at.length)));
      cos = ropeCos.get(scope, rows).reshape(b, seq, 1, hs);
      sin = ropeSin.get(scope, rows).reshape(b, seq, 1, hs);
    }
    // causal mask over (group * seq query rows, pos + seq keys), with a padded row's padding;
    // a single new position of an unpadded state sees all
    NDArray mask = attentionMask(scope, state, (int) b, group, (int) seq);

    for (int l = 0; l < newKeys.length; l++) {
      LayerWeights lw = weights.layers().get(l);
      // a forwardLast pass: the last block queries (and runs its ffn for) the last position only
      boolean lastBlockOfLast = lastOnly && seq > 1 && l == newKeys.length - 1;
      long queries = lastBlockOfLast ? 1 : seq;

      // attention rmsnorm: xb = rmsnorm(x) * w_rms_att
      NDArray xb = rmsnorm(x, lw.attnNorm());

      // qkv matmuls for this position: [q | k | v] = xb @ [wq; wk; wv]^T (+ bias)
      NDArray qkv = xb.matMul(wqkvT[l]);
      if (lw.bqkv() != null) {
        qkv = qkv.add(lw.bqkv());
      }
      NDList qkAndV = qkv.split(new long[] {dim + config.kvDim()}, 2);

      // RoPE relative positional encoding: rotate each (q, k) feature pair by pos * freq,
      // v' = v * cos + pair_swap(v) * (∓sin), on all query and key heads at once
      NDArray qk = qkAndV.get(0).reshape(b, seq, config.nHeads() + nKv, hs);
      qk = qk.mul(cos).add(pairSwap(qk, b, seq).mul(sin));
      NDList qAndK = qk.split(new long[] {config.nHeads()}, 2);

      // grouped-query layout: query head h uses kv head h / group; q rows are (group, queries)
      NDArray q = lastBlockOfLast ? lastPosition(qAndK.get(0)) : qAndK.get(0);
      q = q.reshape(b, queries, nKv, group, hs).transpose(0, 2, 3, 1, 4);
      q = q.reshape(b, nKv, group * queries, hs);
      NDArray k = qAndK.get(1).transpose(0, 2, 1, 3); // (b, nKv, seq, hs)
      NDArray v = qkAndV.get(1).reshape(b, seq, nKv, hs).transpose(0, 2, 1, 3); // (b, nKv, seq, hs)

      // append this position's key and value to the kv cache
      NDArray keys = appendCache(state.keys(l), k, scope); // (b, nKv, pos + seq, hs)
      NDArray values = appendCache(state.values(l), v, scope); // (b, nKv, pos + seq, hs)
      newKeys[l] = keys;
      newValues[l] = values;

      // attention scores: att = q . k / sqrt(head_size), causal, softmax over the keys
      NDArray att = q.matMul(keys.transpose(0, 1, 3, 2)).div(attentionScale);
      if (lastBlockOfLast) {
        mask = attentionMask(scope, state, (int) b, group, (int) seq, true);
      }
      if (mask != null) {
        att = att.add(mask);
      }
      att = Softmax.lastAxis(att);

      // weighted sum of the values, heads back to (b, queries, dim)
      NDArray o = att.matMul(values).reshape(b, nKv, group, queries, hs).transpose(0, 3, 1, 2, 4);
      o = o.reshape(b, queries, dim);

      // final matmul to get the output of the attention, residual connection back into x
      x = (lastBlockOfLast ? lastPosition(x) : x).add(o.matMul(woT[l]));

      // ffn rmsnorm: xb = rmsnorm(x) * w_rms_ffn
      xb = rmsnorm(x, lw.ffnNorm());

      // SwiGLU: self.w2(F.silu(self.w1(x)) * self.w3(x)), w1 and w3 in one product
      NDList gateUp = xb.matMul(w13T[l]).split(new long[] {config.hiddenDim()}, 2);
      // (silu(g) = g * sigmoid(g), written out: DJL's swish multiplies by beta as a Number)
      NDArray gate = gateUp.get(0);
      NDArray hb = gate.mul(Activation.sigmoid(gate)).mul(gateUp.get(1));

      // final matmul to get the output of the ffn, residual connection
      x = x.add(hb.matMul(w2T[l]));
    }

    return x;
  }

  @Override
  NDArray finalNorm(NDArray x) {
    return rmsnorm(x, weights.finalNorm());
  }

  /** RMSNorm: {@code w * x / sqrt(mean(x^2) + eps)} over the last axis of {@code (b, s, dim)}. */
  private NDArray rmsnorm(NDArray x, NDArray weight) {
    NDArray rms = x.square().mean(new int[] {2}, true).add(normEps).sqrt();
    return x.div(rms).mul(weight);
  }

  /**
   * The partner of every feature in its RoPE pair, {@code (b, s, heads, hs)}: swaps adjacent
   * features (INTERLEAVED) or the two halves (HALF); the sign lives in the sin table.
   */
  private NDArray pairSwap(NDArray x, long b, long seq) {
    long heads = x.getShape().get(2);
    int hs = config.headSize();
    if (config.ropeStyle() == RopeStyle.INTERLEAVED) {
      return x.reshape(b, seq, heads, hs / 2, 2).flip(4).reshape(b, seq, heads, hs);
    }
    return x.reshape(b, seq, heads, 2, hs / 2).flip(3).reshape(b, seq, heads, hs);
  }

  /**
   * Appends new keys or values {@code (b, heads, seq, hs)} along the position axis; the result lives
   * in {@code scope} until the state commits it.
   */
  static NDArray appendCache(NDArray cached, NDArray fresh, NDManager scope) {
    if (cached == null) {
      return fresh;
    }
    NDArray joined = cached.concat(fresh, 2);
    joined.attach(scope);
    return joined;
  }

  /**
   * RoPE tables {@code [cos, signedSin]}, each {@code (maxSeqLen, headSize)} flattened, computed in
   * float as run.c does: {@code freq = 1 / theta^(2i / headSize)} (scaled by {@link
   * DecoderConfig#ropeScaling()} when present), {@code val = pos * freq}.
   */
  static float[][] ropeTables(DecoderConfig config) {
    int hs = config.headSize();
    int half = hs / 2;
    float[] freqs = inverseFrequencies(config);
    float[] cos = new float[config.maxSeqLen() * hs];
    float[] sin = new float[config.maxSeqLen() * hs];
    boolean interleaved = config.ropeStyle() == RopeStyle.INTERLEAVED;
    for (int pos = 0; pos < config.maxSeqLen(); pos++) {
      for (int j = 0; j < hs; j++) {
        int pair = interleaved ? j / 2 : j % half;
        boolean first = interleaved ? j % 2 == 0 : j < half;
        float val = pos * freqs[pair];
        cos[pos * hs + j] = (float) Math.cos(val);
        float s = (float) Math.sin(val);
        sin[pos * hs + j] = first ? -s : s;
      }
    }
    return new float[][] {cos, sin};
  }

  /**
   * The RoPE inverse frequency of every feature pair, {@code headSize / 2} of them: {@code 1 /
   * theta^(2i / headSize)} in float as run.c computes it, then, when the configuration carries a
   * {@link RopeScaling}, scaled by {@link RopeScaling#apply(double)} (transformers'
   * {@code _compute_llama3_parameters}).
   */
  static float[] inverseFrequencies(DecoderConfig config) {
    int hs = config.headSize();
    float[] freqs = new float[hs / 2];
    RopeScaling scaling = config.ropeScaling();
    for (int i = 0; i < freqs.length; i++) {
      float freq = 1.0f / (float) Math.pow(config.ropeTheta(), (2 * i) / (float) hs);
      freqs[i] = scaling == null ? freq : (float) scaling.apply(freq);
    }
    return freqs;
  }

}

package dev.sibyl.models.backbone;

// Architecture: GPT-2 (Radford et al., "Language Models are Unsupervised Multitask Learners",
// 2019), as implemented by Hugging Face transformers' GPT2Model and karpathy/nanoGPT model.py:
// token plus learned position embeddings; pre-norm blocks with LayerNorm, multi-head causal
// self-attention (biased projections) and a GELU (tanh approximation) MLP, each with a residual;
// final LayerNorm; the classifier is the token embedding table.
// Departures: batched over sequences and new positions with a key/value cache (as LlamaDecoder);
// no dropout (inference only); hidden states can be read after any first k layers.

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.sibyl.models.runtime.ModelRuntime;
import dev.sibyl.models.runtime.Softmax;
import java.util.Objects;

/**
 * A GPT-2 decoder on DJL NDArrays. {@link #forward} adds the learned position embeddings of the
 * new positions to the given input embeddings, so callers pass token (or their own) embeddings
 * without positions, exactly as for {@link LlamaDecoder}.
 *
 * <p>Immutable and thread-safe: the only fields are the frozen weights and views of them; every
 * sequence's cache is in its {@link DecoderState} (same layout as {@link LlamaDecoder}'s with
 * {@code nKvHeads == nHeads}). See {@link Decoder} for the memory rules.
 */
public final class Gpt2Decoder extends TransformerDecoder {

  /** {@code sqrt(2 / pi)}, the GELU tanh-approximation constant. */
  private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);

  private final Gpt2Weights weights;

  /** Per layer, views of the weights transposed to {@code (in, out)} for {@code x @ W}. */
  private final NDArray[] wqkvT; // (dim, 3 dim)

  private final NDArray[] woT; // (dim, dim)
  private final NDArray[] wfcT; // (dim, hidden)
  private final NDArray[] wprojT; // (hidden, dim)

  /**
   * Builds a decoder on loaded weights and takes ownership of their manager.
   *
   * @param config the hyperparameters ({@code nKvHeads == nHeads}, {@link RopeStyle#NONE},
   *     shared classifier); never null
   * @param weights the weights, all in {@code manager}; never null
   * @param manager the manager holding the weights; closed by {@link #close()}
   * @throws IllegalArgumentException when the configuration is not GPT-2-shaped or a weight's shape
   *     does not match it
   */
  public Gpt2Decoder(DecoderConfig config, Gpt2Weights weights, NDManager manager) {
    super(config, manager, Objects.requireNonNull(weights, "weights").wte(), weights.wte());
    this.weights = weights;
    if (config.nKvHeads() != config.nHeads()
        || config.ropeStyle() != RopeStyle.NONE
        || !config.sharedClassifier()) {
      throw new IllegalArgumentException(
          "a GPT-2 config needs nKvHeads == nHeads, ropeStyle NONE and a shared classifier, got "
              + config);
    }
    weights.checkShapes(config);
    int n = config.nLayers();
    wqkvT = new NDArray[n];
    woT = new NDArray[n];
    wfcT = new NDArray[n];
    wprojT = new NDArray[n];
    for (int l = 0; l < n; l++) {
      Gpt2LayerWeights lw = weights.layers().get(l);
      wqkvT[l] = inManager(lw.wqkv().transpose());
      woT[l] = inManager(lw.wo().transpose());
      wfcT[l] = inManager(lw.wfc().transpose());
      wprojT[l] = inManager(lw.wproj().transpose());
    }
  }


  /**
   * The blocks, one commented step per operation of GPT2Block.forward; all temporaries in {@code
   * scope}, the new caches to {@code newKeys} / {@code newValues}.
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
    int nh = config.nHeads();
    // x = tok_emb + pos_emb: wpe rows [pos, pos + seq), (seq, dim) broadcast over the batch; a
    // padded state's rows each at their own positions, (b, seq, dim)
    if (state.paddingOrNull() == null) {
      x = x.add(weights.wpe().get(scope, new NDIndex("{}:{}", pos, pos + seq)));
    } else {
      int[] at = tokenPositions(state, (int) b, (int) seq);
      NDArray rows = ModelRuntime.owned(scope, at, new Shape(at.length));
      x = x.add(weights.wpe().get(scope, new NDIndex("{}", rows)).reshape(b, seq, dim));
    }
    // causal mask (seq, pos + seq), with a padded row's padding; a single new position of an
    // unpadded state sees every cached one
    NDArray mask = attentionMask(scope, state, (int) b, 1, (int) seq);
    // sqrt(head_size), an array rather than a number: autograd saves it (see ModelRuntime.scalar)
    NDArray scale = ModelRuntime.scalar(scope, (float) Math.sqrt(hs));

    for (int l = 0; l < newKeys.length; l++) {
      Gpt2LayerWeights lw = weights.layers().get(l);
      // a forwardLast pass: the last block queries (and runs its mlp for) the last position only
      boolean lastBlockOfLast = lastOnly && seq > 1 && l == newKeys.length - 1;
      long queries = lastBlockOfLast ? 1 : seq;

      // h = ln_1(x)
      NDArray h = layerNorm(x, lw.ln1Weight(), lw.ln1Bias());

      // q, k, v = c_attn(h).split(n_embd, dim=2)
      NDList qkv = h.matMul(wqkvT[l]).add(lw.bqkv()).split(3, 2);

      // heads: q (b, nh, queries, hs), k and v (b, nh, seq, hs)
      NDArray q = lastBlockOfLast ? lastPosition(qkv.get(0)) : qkv.get(0);
      q = q.reshape(b, queries, nh, hs).transpose(0, 2, 1, 3);
      NDArray k = qkv.get(1).reshape(b, seq, nh, hs).transpose(0, 2, 1, 3);
      NDArray v = qkv.get(2).reshape(b, seq, nh, hs).transpose(0, 2, 1, 3);

      // append the new keys and values to the kv cache
      NDArray keys = LlamaDecoder.appendCache(state.keys(l), k, scope); // (b, nh, T, hs)
      NDArray values = LlamaDecoder.appendCache(state.values(l), v, scope); // (b, nh, T, hs)
      newKeys[l] = keys;
      newValues[l] = values;

      // att = softmax(q @ k^T / sqrt(hs) + causal mask)
      NDArray att = q.matMul(keys.transpose(0, 1, 3, 2)).div(scale);
      if (lastBlockOfLast) {
        mask = attentionMask(scope, state, (int) b, 1, (int) seq, true);
      }
      if (mask != null) {
        att = att.add(mask);
      }
      att = Softmax.lastAxis(att);

      // y = att @ v, heads re-assembled to (b, queries, dim)
      NDArray y = att.matMul(values).transpose(0, 2, 1, 3).reshape(b, queries, dim);

      // x = x + c_proj(y)
      x = (lastBlockOfLast ? lastPosition(x) : x).add(y.matMul(woT[l]).add(lw.bo()));

      // h = ln_2(x)
      h = layerNorm(x, lw.ln2Weight(), lw.ln2Bias());

      // x = x + mlp.c_proj(gelu_tanh(mlp.c_fc(h)))
      NDArray fc = h.matMul(wfcT[l]).add(lw.bfc());
      x = x.add(geluTanh(fc).matMul(wprojT[l]).add(lw.bproj()));
    }

    return x;
  }

  @Override
  NDArray finalNorm(NDArray x) {
    // final layer norm ln_f
    return layerNorm(x, weights.lnfWeight(), weights.lnfBias());
  }

  /** LayerNorm over the last axis: {@code (x - mean) / sqrt(var + eps) * g + b}, biased var. */
  private NDArray layerNorm(NDArray x, NDArray gain, NDArray bias) {
    NDArray centered = x.sub(x.mean(new int[] {2}, true));
    NDArray var = centered.square().mean(new int[] {2}, true);
    return centered.div(var.add(config.normEps()).sqrt()).mul(gain).add(bias);
  }

  /** GELU, tanh approximation: {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}. */
  static NDArray geluTanh(NDArray x) {
    // the constants as arrays: autograd saves a factor, and DJL frees a Number's (see
    // ModelRuntime.scalar)
    NDManager m = x.getManager();
    NDArray cube = x.mul(x).mul(x);
    NDArray inner = x.add(cube.mul(ModelRuntime.scalar(m, 0.044715f))).mul(ModelRuntime.scalar(m, SQRT_2_OVER_PI));
    return x.mul(inner.tanh().add(1f)).mul(ModelRuntime.scalar(m, 0.5f));
  }

}

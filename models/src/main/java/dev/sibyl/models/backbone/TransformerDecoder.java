package dev.sibyl.models.backbone;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.sibyl.models.runtime.ModelRuntime;
import java.util.Objects;

/**
 * What every decoder-only transformer here shares, whatever its blocks look like: the token table
 * and classifier, input checks, and the KV-cache protocol of {@link #forward} (check, compute the
 * layers in a scope of their own, attach the result to the caller, commit the new keys and values
 * to the state). Subclasses write only their blocks, in {@link #forwardLayers}.
 */
abstract class TransformerDecoder implements Decoder {

  protected final DecoderConfig config;
  protected final NDManager manager; // owns every weight; closed by close()
  private final NDArray tokenEmbedding; // (vocabSize, dim)
  private final NDArray classifierT; // (dim, vocabSize)

  /**
   * @param config hyperparameters; never null
   * @param manager the manager holding the weights; closed by {@link #close()}
   * @param tokenEmbedding the token table (vocabSize, dim), in {@code manager}
   * @param classifier the output projection (vocabSize, dim), in {@code manager}; the token table
   *     itself when the embeddings are tied
   */
  TransformerDecoder(DecoderConfig config, NDManager manager, NDArray tokenEmbedding, NDArray classifier) {
    this.config = Objects.requireNonNull(config, "config");
    this.manager = Objects.requireNonNull(manager, "manager");
    this.tokenEmbedding = Objects.requireNonNull(tokenEmbedding, "tokenEmbedding");
    this.classifierT = inManager(Objects.requireNonNull(classifier, "classifier").transpose());
  }

  @Override
  public DecoderConfig config() {
    return config;
  }

  @Override
  public Device device() {
    return manager.getDevice();
  }

  @Override
  public NDArray embeddingTable() {
    return tokenEmbedding;
  }

  @Override
  public NDArray tokenEmbeddings(NDArray ids) {
    if (ids.getShape().dimension() != 2) {
      throw new IllegalArgumentException("ids must have shape (batch, seq), got " + ids.getShape());
    }
    // x = token_embedding_table[ids]: a gather of rows into the caller's manager (GPT-2 adds
    // its learned positions in forward)
    return tokenEmbedding.get(ids.getManager(), new NDIndex("{}", ids));
  }

  @Override
  public DecoderState newState(int batch) {
    if (batch < 1) {
      throw new IllegalArgumentException("batch must be >= 1, got " + batch);
    }
    return new DecoderState(manager.newSubManager(), batch, config.nLayers(), config.maxSeqLen());
  }

  @Override
  public NDArray forward(NDArray inputEmbeddings, DecoderState state, int useLayers) {
    return run(inputEmbeddings, state, useLayers, true, false);
  }

  @Override
  public NDArray forwardResidual(NDArray inputEmbeddings, DecoderState state, int useLayers) {
    return run(inputEmbeddings, state, useLayers, false, false);
  }

  @Override
  public NDArray forwardLast(NDArray inputEmbeddings, DecoderState state, int useLayers) {
    return run(inputEmbeddings, state, useLayers, true, true);
  }

  private NDArray run(
      NDArray inputEmbeddings, DecoderState state, int useLayers, boolean normed, boolean lastOnly) {
    Shape in = inputEmbeddings.getShape();
    if (in.dimension() != 3 || in.get(2) != config.dim() || in.get(1) < 1) {
      throw new IllegalArgumentException(
          "inputEmbeddings must have shape (batch, seq >= 1, dim=" + config.dim() + "), got " + in);
    }
    if (in.get(0) != state.batch()) {
      throw new IllegalArgumentException(
          "inputEmbeddings batch must equal the state's batch " + state.batch() + ", got " + in);
    }
    if (useLayers < 1 || useLayers > config.nLayers()) {
      throw new IllegalArgumentException(
          "useLayers must be in [1, " + config.nLayers() + "], got " + useLayers);
    }
    int seq = (int) in.get(1);
    state.checkAppend(seq, useLayers);
    NDManager caller = inputEmbeddings.getManager();
    try (NDManager scope = caller.newSubManager()) {
      inputEmbeddings.tempAttach(scope);
      NDArray[] newKeys = new NDArray[useLayers];
      NDArray[] newValues = new NDArray[useLayers];
      NDArray hidden = forwardLayers(inputEmbeddings, state, newKeys, newValues, lastOnly, scope);
      if (normed) {
        hidden = finalNorm(hidden);
      }
      hidden.attach(caller);
      state.commit(newKeys, newValues, seq);
      return hidden;
    }
  }

  @Override
  public NDArray logits(NDArray hidden) {
    Shape in = hidden.getShape();
    if (in.dimension() != 3 || in.get(2) != config.dim()) {
      throw new IllegalArgumentException(
          "hidden must have shape (batch, seq, dim=" + config.dim() + "), got " + in);
    }
    // logits = x @ wcls^T (wcls is the token table when the embeddings are tied)
    return hidden.matMul(classifierT);
  }

  @Override
  public void close() {
    manager.close();
  }

  /**
   * The blocks, without the final norm. Temporaries go in {@code scope}; the keys and values of the
   * new positions go to {@code newKeys} / {@code newValues} (one entry per layer used), which
   * {@link #forward} commits to the state.
   *
   * @param x input embeddings {@code (batch, seq, dim)}, in {@code scope}
   * @param lastOnly whether the last block used computes its queries, attention output and
   *     feed-forward for the last new position only (its keys and values still for all)
   * @return the residual stream after the last block used {@code (batch, seq, dim)}, or {@code
   *     (batch, 1, dim)} when {@code lastOnly}
   */
  abstract NDArray forwardLayers(
      NDArray x,
      DecoderState state,
      NDArray[] newKeys,
      NDArray[] newValues,
      boolean lastOnly,
      NDManager scope);

  /** The last position of {@code (batch, seq, ...)} as {@code (batch, 1, ...)}, a view. */
  static NDArray lastPosition(NDArray x) {
    long seq = x.getShape().get(1);
    return x.get(new NDIndex().addAllDim().addSliceDim(seq - 1, seq));
  }

  /**
   * The final norm over the last axis of the residual stream (in the manager of {@code x}).
   *
   * @param x the residual stream {@code (batch, seq, dim)}
   * @return the hidden states the classifier reads
   */
  abstract NDArray finalNorm(NDArray x);

  /**
   * The positions of the new tokens of every row, row-major {@code (batch * seq)}: row {@code r}'s
   * tokens start at its own position, {@code state.position() - state.padding(r)}.
   */
  static int[] tokenPositions(DecoderState state, int batch, int seq) {
    int[] at = new int[batch * seq];
    for (int r = 0; r < batch; r++) {
      int first = state.position() - state.padding(r);
      for (int i = 0; i < seq; i++) {
        at[r * seq + i] = first + i;
      }
    }
    return at;
  }

  /**
   * The additive attention mask of a pass of {@code seq} new positions over {@code state}, for
   * scores {@code (batch, kvHeads, group * seq, pos + seq)} whose query rows are {@code (group,
   * seq)}: new position {@code i} sees the keys up to its own; a padded row (see {@link
   * DecoderState}) sees none of its padding. Null when nothing is masked (one new position, no
   * padding).
   *
   * @return {@code (group * seq, pos + seq)} without padding, else {@code (batch, 1, group * seq,
   *     pos + seq)}; in {@code scope}; or null
   */
  static NDArray attentionMask(NDManager scope, DecoderState state, int batch, int group, int seq) {
    return attentionMask(scope, state, batch, group, seq, false);
  }

  /**
   * As {@link #attentionMask(NDManager, DecoderState, int, int, int)}, or with {@code lastOnly} for
   * the query rows of the last new position alone ({@code group} rows, the queries of the last
   * block of a {@link #forwardLast} pass): that position sees every key but a padded row's padding.
   */
  static NDArray attentionMask(
      NDManager scope, DecoderState state, int batch, int group, int seq, boolean lastOnly) {
    int[] padding = state.paddingOrNull();
    int pos = state.position();
    if (padding == null) {
      return seq == 1 || lastOnly ? null : causalMask(scope, group, seq, pos);
    }
    int keys = pos + seq;
    int queries = lastOnly ? 1 : seq;
    int rows = group * queries;
    float[] mask = new float[batch * rows * keys];
    for (int b = 0; b < batch; b++) {
      for (int g = 0; g < group; g++) {
        for (int i = seq - queries; i < seq; i++) {
          int row = ((b * group + g) * queries + i - (seq - queries)) * keys;
          for (int t = 0; t < padding[b]; t++) {
            mask[row + t] = Float.NEGATIVE_INFINITY;
          }
          for (int t = pos + i + 1; t < keys; t++) {
            mask[row + t] = Float.NEGATIVE_INFINITY;
          }
        }
      }
    }
    return ModelRuntime.owned(scope, mask, new Shape(batch, 1, rows, keys));
  }

  /** Additive mask {@code (group * seq, pos + seq)}: row {@code g * seq + i} sees keys to pos+i. */
  static NDArray causalMask(NDManager scope, int group, int seq, int pos) {
    int keys = pos + seq;
    float[] mask = new float[group * seq * keys];
    for (int g = 0; g < group; g++) {
      for (int i = 0; i < seq; i++) {
        int row = (g * seq + i) * keys;
        for (int t = pos + i + 1; t < keys; t++) {
          mask[row + t] = Float.NEGATIVE_INFINITY;
        }
      }
    }
    return ModelRuntime.owned(scope, mask, new Shape(group * seq, keys));
  }

  /** Moves an array (e.g. a transposed view) into the weights' manager. */
  protected NDArray inManager(NDArray view) {
    view.attach(manager);
    return view;
  }
}

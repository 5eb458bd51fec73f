package dev.sibyl.models.backbone;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;

/**
 * A frozen decoder-only language model used as a function from input embeddings to hidden states,
 * with token embeddings, a classifier head and a key/value cache for incremental decoding.
 *
 * <p>Every model built on an LLM backbone goes through this interface: Time-LLM feeds its own input
 * embeddings and reads hidden states, AutoTimes decodes incrementally with a {@link DecoderState},
 * text generation reads {@link #logits}. The weights are frozen, but every method is written with
 * differentiable NDArray operations, so gradients flow through it into the caller's own parameters.
 *
 * <p>Memory: the weights live in a manager owned by the decoder and freed by {@link #close()}.
 * Every array a method returns lives in the manager of its array argument (the caller's), and the
 * method's temporaries are freed before it returns. Implementations are thread-safe: all
 * per-sequence data lives in the {@link DecoderState}.
 */
public interface Decoder extends AutoCloseable {

  /**
   * The hyperparameters.
   *
   * @return the configuration; never null
   */
  DecoderConfig config();

  /**
   * The device the weights live on; inputs must be on it too.
   *
   * @return the device; never null
   */
  Device device();

  /**
   * The frozen token embedding table, owned by the decoder: do not close or modify it.
   *
   * @return the table {@code (vocabSize, dim)}
   */
  NDArray embeddingTable();

  /**
   * Looks up token embeddings.
   *
   * @param ids token ids {@code (batch, seq)}, an integer type, each in {@code [0, vocabSize)}
   * @return embeddings {@code (batch, seq, dim)}, in the manager of {@code ids}
   * @throws IllegalArgumentException when {@code ids} is not two-dimensional
   */
  NDArray tokenEmbeddings(NDArray ids);

  /**
   * Creates an empty state (key/value cache) for {@code batch} sequences on this decoder's device.
   *
   * @param batch the number of sequences, at least 1
   * @return a new state, owned (and closed) by the caller
   * @throws IllegalArgumentException when {@code batch < 1}
   */
  DecoderState newState(int batch);

  /**
   * Runs the first {@code useLayers} blocks over new positions, attending to everything already in
   * {@code state} (causally within the new positions), and appends the new keys and values to it.
   *
   * @param inputEmbeddings the inputs {@code (batch, seq, dim)} at positions {@code
   *     [state.position(), state.position() + seq)}
   * @param state the sequence's state; its position advances by {@code seq}
   * @param useLayers how many blocks to run, in {@code [1, nLayers]}; fixed per state
   * @return hidden states after the final norm {@code (batch, seq, dim)}, in the manager of {@code
   *     inputEmbeddings}
   * @throws IllegalArgumentException on a shape, batch or layer-count mismatch
   * @throws IllegalStateException when the state is closed or would pass {@code maxSeqLen}
   */
  NDArray forward(NDArray inputEmbeddings, DecoderState state, int useLayers);

  /**
   * As {@link #forward(NDArray, DecoderState, int)}, but returns the residual stream after the last
   * block used, before the final norm: what a model reading features out of a truncated decoder
   * sees without the norm trained for the classifier of the full stack.
   *
   * @param inputEmbeddings the inputs {@code (batch, seq, dim)} at positions {@code
   *     [state.position(), state.position() + seq)}
   * @param state the sequence's state; its position advances by {@code seq}
   * @param useLayers how many blocks to run, in {@code [1, nLayers]}; fixed per state
   * @return the residual stream {@code (batch, seq, dim)}, in the manager of {@code
   *     inputEmbeddings}
   * @throws IllegalArgumentException on a shape, batch or layer-count mismatch
   * @throws IllegalStateException when the state is closed or would pass {@code maxSeqLen}
   */
  NDArray forwardResidual(NDArray inputEmbeddings, DecoderState state, int useLayers);

  /**
   * As {@link #forward(NDArray, DecoderState, int)}, but returns the hidden state of the last new
   * position only: what a prefill before sampling, or a forecaster reading the next segment off
   * the newest token, needs. Every block still computes the keys and values of all new positions
   * (the cache needs them), but the last block used computes its attention output and feed-forward
   * for the last position alone, so a pass over {@code seq} positions saves nearly a block's worth
   * of work on {@code seq - 1} of them.
   *
   * @param inputEmbeddings the inputs {@code (batch, seq, dim)} at positions {@code
   *     [state.position(), state.position() + seq)}
   * @param state the sequence's state; its position advances by {@code seq}
   * @param useLayers how many blocks to run, in {@code [1, nLayers]}; fixed per state
   * @return hidden states after the final norm {@code (batch, 1, dim)}, equal to the last position
   *     of {@link #forward(NDArray, DecoderState, int)}'s; in the manager of {@code inputEmbeddings}
   * @throws IllegalArgumentException on a shape, batch or layer-count mismatch
   * @throws IllegalStateException when the state is closed or would pass {@code maxSeqLen}
   */
  NDArray forwardLast(NDArray inputEmbeddings, DecoderState state, int useLayers);

  /**
   * Runs all blocks; see {@link #forward(NDArray, DecoderState, int)}.
   *
   * @param inputEmbeddings the inputs {@code (batch, seq, dim)}
   * @param state the sequence's state; its position advances by {@code seq}
   * @return hidden states {@code (batch, seq, dim)}, in the manager of {@code inputEmbeddings}
   */
  default NDArray forward(NDArray inputEmbeddings, DecoderState state) {
    return forward(inputEmbeddings, state, config().nLayers());
  }

  /**
   * Applies the classifier head.
   *
   * @param hidden hidden states {@code (batch, seq, dim)} from {@link #forward}
   * @return logits {@code (batch, seq, vocabSize)}, in the manager of {@code hidden}
   * @throws IllegalArgumentException when the last dimension is not {@code dim}
   */
  NDArray logits(NDArray hidden);

  /** Frees the weights. States created by this decoder must not be used afterwards. */
  @Override
  void close();
}

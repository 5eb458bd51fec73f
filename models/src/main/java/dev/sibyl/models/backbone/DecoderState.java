package dev.sibyl.models.backbone;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;

/**
 * The per-sequence state of a decoder: the key/value cache of every layer and the next position.
 *
 * <p>Created by {@link Decoder#newState(int)}, owned and closed by the caller; one state per (batch
 * of) sequence(s), so concurrent sequences share the weights and need no locking. A state is not
 * thread-safe itself. All rows of the batch are at the same position. The cache is bounded by
 * {@link DecoderConfig#maxSeqLen()}: a forward pass that would go past it throws. The first forward
 * pass fixes how many layers the state caches; later passes must use the same number.
 *
 * <p>Layout, per layer {@code l} that has run: keys {@code (batch, nKvHeads, headSize, position)}
 * (stored transposed so that scores are one product {@code q @ keys}), values {@code (batch,
 * nKvHeads, position, headSize)}. The arrays live in the state's own manager and are freed by
 * {@link #close()}.
 */
public final class DecoderState implements AutoCloseable {

  private final NDManager manager;
  private final int batch;
  private final int maxSeqLen;

  /** Per layer: {@code (batch, nKvHeads, headSize, position)}, null before the first pass. */
  private final NDArray[] keys;

  /** Per layer: {@code (batch, nKvHeads, position, headSize)}, null before the first pass. */
  private final NDArray[] values;

  private int position;
  private int layersCached;

  DecoderState(NDManager manager, int batch, int nLayers, int maxSeqLen) {
    this.manager = manager;
    this.batch = batch;
    this.maxSeqLen = maxSeqLen;
    this.keys = new NDArray[nLayers];
    this.values = new NDArray[nLayers];
  }

  /**
   * The batch size this state holds.
   *
   * @return the number of sequences, at least 1
   */
  public int batch() {
    return batch;
  }

  /**
   * The number of positions already in the cache, which is also the position of the next input.
   *
   * @return the position, in {@code [0, maxSeqLen]}
   */
  public int position() {
    return position;
  }

  /**
   * How many more positions the cache can take.
   *
   * @return {@code maxSeqLen - position}
   */
  public int remaining() {
    return maxSeqLen - position;
  }

  /**
   * The number of layers cached, fixed by the first forward pass.
   *
   * @return 0 before the first pass, otherwise the {@code useLayers} of that pass
   */
  public int layersCached() {
    return layersCached;
  }

  /**
   * Replaces every row of the cache by a chosen row, as beam search reorders its beams: row {@code
   * i} becomes the old row {@code rows[i]}. The position does not change.
   *
   * @param rows for each row, the old row to copy, each in {@code [0, batch)}; {@code batch} of them
   * @throws IllegalArgumentException when the count or an index is out of range
   * @throws IllegalStateException when the state is closed
   */
  public void reorderRows(int[] rows) {
    if (!manager.isOpen()) {
      throw new IllegalStateException("the decoder state is closed");
    }
    if (rows.length != batch) {
      throw new IllegalArgumentException(
          "rows must have batch=" + batch + " entries, got " + rows.length);
    }
    for (int r : rows) {
      if (r < 0 || r >= batch) {
        throw new IllegalArgumentException("row must be in [0, " + batch + "), got " + r);
      }
    }
    try (NDManager scope = manager.newSubManager()) {
      NDArray index = scope.create(rows);
      for (int l = 0; l < layersCached; l++) {
        // gather along the batch axis: (batch, ...) -> (batch, ...)
        NDArray k = keys[l].get(manager, new NDIndex("{}", index));
        NDArray v = values[l].get(manager, new NDIndex("{}", index));
        keys[l].close();
        values[l].close();
        keys[l] = k;
        values[l] = v;
      }
    }
  }

  /** Frees the cache. The state must not be used afterwards. */
  @Override
  public void close() {
    manager.close();
  }

  NDManager manager() {
    return manager;
  }

  NDArray keys(int layer) {
    return keys[layer];
  }

  NDArray values(int layer) {
    return values[layer];
  }

  /** Fails fast when a pass of {@code seqLen} positions over {@code useLayers} cannot run. */
  void checkAppend(int seqLen, int useLayers) {
    if (!manager.isOpen()) {
      throw new IllegalStateException("the decoder state is closed");
    }
    if (position + seqLen > maxSeqLen) {
      throw new IllegalStateException(
          "sequence would exceed maxSeqLen="
              + maxSeqLen
              + ": position "
              + position
              + " + "
              + seqLen
              + " new positions");
    }
    if (layersCached != 0 && layersCached != useLayers) {
      throw new IllegalArgumentException(
          "useLayers must stay " + layersCached + " for this state, got " + useLayers);
    }
  }

  /**
   * Replaces the cache of the first {@code newKeys.length} layers and advances the position; the
   * new arrays move into this state's manager and the old ones are freed.
   */
  void commit(NDArray[] newKeys, NDArray[] newValues, int seqLen) {
    for (int l = 0; l < newKeys.length; l++) {
      newKeys[l].attach(manager);
      newValues[l].attach(manager);
      if (keys[l] != null) {
        keys[l].close();
        values[l].close();
      }
      keys[l] = newKeys[l];
      values[l] = newValues[l];
    }
    layersCached = newKeys.length;
    position += seqLen;
  }
}

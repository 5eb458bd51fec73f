package dev.sibyl.models.backbone;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.sibyl.models.runtime.ModelRuntime;
import java.util.List;

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
      NDArray index = ModelRuntime.owned(scope, rows, new Shape(rows.length));
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

  /**
   * Stacks states along the batch axis, so that sequences held by different owners decode their
   * next positions in one pass (cross-series batching); {@link #splitInto} hands the rows back.
   * Every state must be at the same position with the same layers cached (all rows of a state
   * share one position). The inputs are not changed; the new state has its own manager, from the
   * first input's parent.
   *
   * @param states at least one, all open, equal in position, layers cached and maxSeqLen; not null
   * @return a state whose rows are the inputs' rows in order; batch = the sum of their batches
   * @throws IllegalArgumentException when the list is empty or the states differ in position,
   *     layers cached or maxSeqLen
   * @throws IllegalStateException when a state is closed
   */
  public static DecoderState concat(List<DecoderState> states) {
    if (states.isEmpty()) {
      throw new IllegalArgumentException("concat needs at least one decoder state");
    }
    DecoderState first = states.get(0);
    int batch = 0;
    for (DecoderState s : states) {
      if (!s.manager.isOpen()) {
        throw new IllegalStateException("the decoder state is closed");
      }
      if (s.position != first.position
          || s.layersCached != first.layersCached
          || s.maxSeqLen != first.maxSeqLen
          || s.keys.length != first.keys.length) {
        throw new IllegalArgumentException(
            "decoder states must agree to be stacked: position "
                + first.position + " and " + s.position + ", layers cached "
                + first.layersCached + " and " + s.layersCached);
      }
      batch += s.batch;
    }
    DecoderState out =
        new DecoderState(
            first.manager.getParentManager().newSubManager(), batch, first.keys.length, first.maxSeqLen);
    out.position = first.position;
    out.layersCached = first.layersCached;
    for (int l = 0; l < first.layersCached; l++) {
      NDList k = new NDList(states.size());
      NDList v = new NDList(states.size());
      for (DecoderState s : states) {
        k.add(s.keys[l]);
        v.add(s.values[l]);
      }
      // one native op per layer and tensor, whatever the number of states
      out.keys[l] = concatBatch(k, out.manager);
      out.values[l] = concatBatch(v, out.manager);
    }
    return out;
  }

  private static NDArray concatBatch(NDList parts, NDManager into) {
    NDArray joined = parts.size() == 1 ? parts.get(0).duplicate() : NDArrays.concat(parts, 0);
    joined.attach(into);
    return joined;
  }

  /**
   * Hands the rows of a stacked state back to the states it was made of (see {@link #concat}):
   * target {@code i} gets the next {@code targets.get(i).batch()} rows, this state's position and
   * layers, and frees its old cache. This state keeps its own arrays and is closed by its owner.
   *
   * <p>The targets' arrays are views of this state's arrays (one native split per layer and
   * tensor rather than a copy per target): the stacked storage stays alive until every target has
   * replaced or freed its rows, which the next pass of any of them does.
   *
   * @param targets open states whose batches sum to this state's batch; not null
   * @throws IllegalArgumentException when the batches do not add up
   * @throws IllegalStateException when this state or a target is closed
   */
  public void splitInto(List<DecoderState> targets) {
    if (!manager.isOpen()) {
      throw new IllegalStateException("the decoder state is closed");
    }
    long[] bounds = new long[targets.size() - 1];
    int rows = 0;
    for (int i = 0; i < targets.size(); i++) {
      DecoderState t = targets.get(i);
      if (!t.manager.isOpen()) {
        throw new IllegalStateException("the decoder state is closed");
      }
      if (t.keys.length != keys.length || t.maxSeqLen != maxSeqLen) {
        throw new IllegalArgumentException("a target state is of another decoder");
      }
      rows += t.batch;
      if (i < bounds.length) {
        bounds[i] = rows;
      }
    }
    if (rows != batch) {
      throw new IllegalArgumentException(
          "targets hold " + rows + " rows, the stacked state " + batch);
    }
    for (int l = 0; l < layersCached; l++) {
      NDList k = targets.size() == 1 ? new NDList(keys[l].duplicate()) : keys[l].split(bounds, 0);
      NDList v = targets.size() == 1 ? new NDList(values[l].duplicate()) : values[l].split(bounds, 0);
      for (int i = 0; i < targets.size(); i++) {
        DecoderState t = targets.get(i);
        k.get(i).attach(t.manager);
        v.get(i).attach(t.manager);
        if (t.keys[l] != null) {
          t.keys[l].close();
          t.values[l].close();
        }
        t.keys[l] = k.get(i);
        t.values[l] = v.get(i);
      }
    }
    for (DecoderState t : targets) {
      t.position = position;
      t.layersCached = layersCached;
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

package dev.sibyl.models.backbone;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.sibyl.models.runtime.ModelRuntime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The per-sequence state of a decoder: the key/value cache of every layer and the next position.
 *
 * <p>Created by {@link Decoder#newState(int)}, owned and closed by the caller; one state per (batch
 * of) sequence(s), so concurrent sequences share the weights and need no locking. A state is not
 * thread-safe itself. The cache is bounded by {@link DecoderConfig#maxSeqLen()}: a forward pass
 * that would go past it throws. The first forward pass fixes how many layers the state caches;
 * later passes must use the same number.
 *
 * <p>Layout, per layer {@code l} that has run: keys and values both {@code (batch, nKvHeads,
 * position, headSize)}; the scores are {@code q} times a transposed view of the keys. (Keys stored
 * transposed, {@code (..., headSize, position)}, made every appended position a concatenation
 * along the last axis, six times the cost of the values' at a few hundred rows.) The arrays live in
 * the state's own manager and are freed by {@link #close()}.
 *
 * <p>Rows at different positions: a state made by {@link #newState} holds rows that are all at one
 * position. {@link #concat} may stack states at different positions (a worker decoding the next
 * token of many series whose caches differ in length): each row is then left-padded to the
 * longest, so that every row's newest key sits at the same slot and one pass appends one slot for
 * all. Row {@code r}'s own position is {@code position() - padding(r)}; the decoders mask the
 * padded slots out of attention and rotate or embed each row's tokens at its own positions, so a
 * row decodes exactly as it would alone (to float rounding). Padding is never created otherwise.
 */
public final class DecoderState implements AutoCloseable {

  private final NDManager manager;
  private final int batch;
  private final int maxSeqLen;

  /** Per layer: {@code (batch, nKvHeads, position, headSize)}, null before the first pass. */
  private final NDArray[] keys;

  /** Per layer: {@code (batch, nKvHeads, position, headSize)}, null before the first pass. */
  private final NDArray[] values;

  /**
   * Per row, the masked slots before its first key (see the class comment); null when every row
   * starts at slot 0.
   */
  private int[] padding;

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
   * The masked slots before row {@code row}'s first key: 0 unless the state was stacked from
   * states at different positions; the row's own position is {@code position() - padding(row)}.
   *
   * @param row in {@code [0, batch)}
   * @return the padding, in {@code [0, position()]}
   */
  public int padding(int row) {
    Objects.checkIndex(row, batch);
    return padding == null ? 0 : padding[row];
  }

  /** Per row the padding, or null when there is none; not to be modified. */
  int[] paddingOrNull() {
    return padding;
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
    if (padding != null) {
      int[] reordered = new int[batch];
      for (int i = 0; i < batch; i++) {
        reordered[i] = padding[rows[i]];
      }
      padding = reordered;
    }
  }

  /**
   * Stacks states along the batch axis, so that sequences held by different owners decode their
   * next positions in one pass (cross-series batching); {@link #splitInto} hands the rows back.
   * The states may be at different positions: the stacked state is at the largest, and the rows
   * of the others are left-padded to it (see the class comment). The inputs are not changed; the
   * new state has its own manager, from the first input's parent.
   *
   * <p>Cost: per layer and tensor, one native concatenation, plus a concatenation and a padding
   * per run of consecutive inputs at one position; callers that stack many states at a few
   * positions should order them by position.
   *
   * @param states at least one, all open, equal in layers cached and maxSeqLen; not null
   * @return a state whose rows are the inputs' rows in order; batch = the sum of their batches
   * @throws IllegalArgumentException when the list is empty or the states differ in layers cached
   *     or maxSeqLen
   * @throws IllegalStateException when a state is closed
   */
  public static DecoderState concat(List<DecoderState> states) {
    if (states.isEmpty()) {
      throw new IllegalArgumentException("concat needs at least one decoder state");
    }
    DecoderState first = states.get(0);
    int batch = 0;
    int position = 0;
    for (DecoderState s : states) {
      if (!s.manager.isOpen()) {
        throw new IllegalStateException("the decoder state is closed");
      }
      if (s.layersCached != first.layersCached
          || s.maxSeqLen != first.maxSeqLen
          || s.keys.length != first.keys.length) {
        throw new IllegalArgumentException(
            "decoder states must agree to be stacked: layers cached "
                + first.layersCached + " and " + s.layersCached + ", maxSeqLen "
                + first.maxSeqLen + " and " + s.maxSeqLen);
      }
      batch += s.batch;
      position = Math.max(position, s.position);
    }
    DecoderState out =
        new DecoderState(
            first.manager.getParentManager().newSubManager(), batch, first.keys.length, first.maxSeqLen);
    out.position = position;
    out.layersCached = first.layersCached;
    out.padding = stackedPadding(states, position, batch);
    List<List<DecoderState>> runs = runsByPosition(states);
    try (NDManager scratch = out.manager.newSubManager()) {
      for (int l = 0; l < first.layersCached; l++) {
        NDList k = new NDList(runs.size());
        NDList v = new NDList(runs.size());
        for (List<DecoderState> run : runs) {
          int pad = position - run.get(0).position;
          k.add(padded(run, l, true, pad, scratch));
          v.add(padded(run, l, false, pad, scratch));
        }
        // one native op per layer and tensor, whatever the number of runs
        out.keys[l] = concatBatch(k, out.manager, scratch);
        out.values[l] = concatBatch(v, out.manager, scratch);
      }
    }
    return out;
  }

  /** Per stacked row its padding, or null when no row is padded. */
  private static int[] stackedPadding(List<DecoderState> states, int position, int batch) {
    int[] padding = new int[batch];
    boolean any = false;
    int row = 0;
    for (DecoderState s : states) {
      for (int r = 0; r < s.batch; r++) {
        padding[row] = position - s.position + (s.padding == null ? 0 : s.padding[r]);
        any |= padding[row] != 0;
        row++;
      }
    }
    return any ? padding : null;
  }

  /** The states split into runs of consecutive states at one position, in order. */
  private static List<List<DecoderState>> runsByPosition(List<DecoderState> states) {
    List<List<DecoderState>> runs = new ArrayList<>();
    for (DecoderState s : states) {
      if (runs.isEmpty() || runs.get(runs.size() - 1).get(0).position != s.position) {
        runs.add(new ArrayList<>());
      }
      runs.get(runs.size() - 1).add(s);
    }
    return runs;
  }

  /**
   * One run's keys (or values) of layer {@code l} stacked along the batch axis and left-padded by
   * {@code pad} zero slots along the position axis; what it creates lives in {@code scratch}.
   */
  private static NDArray padded(List<DecoderState> run, int l, boolean keys, int pad, NDManager scratch) {
    NDArray joined;
    if (run.size() == 1) {
      joined = keys ? run.get(0).keys[l] : run.get(0).values[l];
    } else {
      NDList parts = new NDList(run.size());
      for (DecoderState s : run) {
        parts.add(keys ? s.keys[l] : s.values[l]);
      }
      joined = NDArrays.concat(parts, 0);
      joined.attach(scratch);
    }
    if (pad == 0) {
      return joined;
    }
    // torch's pad pairs run from the last axis backwards: the position axis is the one before
    // the last, padded on the left
    NDArray padded = joined.pad(new Shape(0, 0, pad, 0), 0);
    padded.attach(scratch);
    return padded;
  }

  /** The parts stacked into {@code into}; a single part made in {@code scratch} moves as it is. */
  private static NDArray concatBatch(NDList parts, NDManager into, NDManager scratch) {
    NDArray joined;
    if (parts.size() > 1) {
      joined = NDArrays.concat(parts, 0);
    } else {
      joined = parts.get(0).getManager() == scratch ? parts.get(0) : parts.get(0).duplicate();
    }
    joined.attach(into);
    return joined;
  }

  /**
   * Hands the rows of a stacked state back to the states it was made of (see {@link #concat}):
   * target {@code i} gets the next {@code targets.get(i).batch()} rows without their padding, the
   * position this state's position less that padding, the layers, and frees its old cache. This
   * state keeps its own arrays and is closed by its owner.
   *
   * <p>The targets' arrays are views of this state's arrays (one native split per layer and
   * tensor, plus a slice and a split per run of targets with equal padding, rather than a copy per
   * target): the stacked storage stays alive until every target has replaced or freed its rows,
   * which the next pass of any of them does.
   *
   * @param targets open states whose batches sum to this state's batch, the rows of each at one
   *     padding; not null
   * @throws IllegalArgumentException when the batches do not add up, or a target's rows differ in
   *     padding
   * @throws IllegalStateException when this state or a target is closed
   */
  public void splitInto(List<DecoderState> targets) {
    if (!manager.isOpen()) {
      throw new IllegalStateException("the decoder state is closed");
    }
    int[] targetPadding = new int[targets.size()];
    int rows = 0;
    for (int i = 0; i < targets.size(); i++) {
      DecoderState t = targets.get(i);
      if (!t.manager.isOpen()) {
        throw new IllegalStateException("the decoder state is closed");
      }
      if (t.keys.length != keys.length || t.maxSeqLen != maxSeqLen) {
        throw new IllegalArgumentException("a target state is of another decoder");
      }
      if (rows + t.batch > batch) {
        break; // reported below
      }
      targetPadding[i] = padding(rows);
      for (int r = rows; r < rows + t.batch; r++) {
        if (padding(r) != targetPadding[i]) {
          throw new IllegalArgumentException(
              "the rows of target " + i + " are at different positions: padding "
                  + targetPadding[i] + " and " + padding(r));
        }
      }
      rows += t.batch;
    }
    int total = 0;
    for (DecoderState t : targets) {
      total += t.batch;
    }
    if (total != batch) {
      throw new IllegalArgumentException(
          "targets hold " + total + " rows, the stacked state " + batch);
    }
    // runs of consecutive targets with one padding: [from, to) in targets
    List<int[]> runs = new ArrayList<>();
    for (int i = 0; i < targets.size(); i++) {
      if (runs.isEmpty() || targetPadding[runs.get(runs.size() - 1)[0]] != targetPadding[i]) {
        runs.add(new int[] {i, i + 1});
      } else {
        runs.get(runs.size() - 1)[1] = i + 1;
      }
    }
    for (int l = 0; l < layersCached; l++) {
      List<NDArray> k = unpadded(keys[l], 2, targets, targetPadding, runs);
      List<NDArray> v = unpadded(values[l], 2, targets, targetPadding, runs);
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
    for (int i = 0; i < targets.size(); i++) {
      DecoderState t = targets.get(i);
      t.position = position - targetPadding[i];
      t.layersCached = layersCached;
      t.padding = null;
    }
  }

  /**
   * Views of {@code stacked}'s rows per target, each without its padding along {@code axis}: split
   * into runs of targets with one padding, each run sliced once and split into its targets. The
   * intermediate views stay in this state's manager.
   */
  private List<NDArray> unpadded(NDArray stacked, int axis, List<DecoderState> targets, int[] pad, List<int[]> runs) {
    List<NDArray> out = new ArrayList<>(targets.size());
    long[] runBounds = new long[runs.size() - 1];
    int row = 0;
    for (int j = 0; j < runs.size(); j++) {
      for (int i = runs.get(j)[0]; i < runs.get(j)[1]; i++) {
        row += targets.get(i).batch;
      }
      if (j < runBounds.length) {
        runBounds[j] = row;
      }
    }
    NDList byRun = runs.size() == 1 ? new NDList(stacked) : stacked.split(runBounds, 0);
    for (int j = 0; j < runs.size(); j++) {
      int from = runs.get(j)[0];
      int to = runs.get(j)[1];
      NDArray part = byRun.get(j);
      if (pad[from] > 0) {
        NDIndex tail = new NDIndex();
        for (int a = 0; a < axis; a++) {
          tail.addAllDim();
        }
        part = part.get(tail.addSliceDim(pad[from], position));
      }
      if (to - from == 1) {
        out.add(part == stacked ? part.duplicate() : part);
        continue;
      }
      long[] bounds = new long[to - from - 1];
      int rows = 0;
      for (int i = from; i < to - 1; i++) {
        rows += targets.get(i).batch;
        bounds[i - from] = rows;
      }
      out.addAll(part.split(bounds, 0));
    }
    return out;
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

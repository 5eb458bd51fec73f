package dev.sibyl.models.timellm;

import ai.djl.ndarray.NDArray;
import dev.sibyl.models.runtime.ModelRuntime;

/**
 * The text prototypes and the reprogramming layer of Time-LLM (Jin et al., ICLR 2024; reference
 * {@code models/TimeLLM.py: mapping_layer, ReprogrammingLayer}).
 *
 * <p>Prototypes: a linear map over the vocabulary axis of the frozen word-embedding table, {@code
 * (V, D) -> (S, D)}, so that the S prototypes are learned mixtures of real word embeddings.
 * Reprogramming: multi-head cross-attention, queries from the patch embeddings, keys and values from
 * the prototypes, scaled dot products with a softmax over the prototypes, the heads concatenated
 * and projected to the LLM width D.
 *
 * <p>Departures: the width per head is a hyperparameter ({@code d.keys}, 16 by default) where the
 * reference uses d_ff (128): the attention over 1000 prototypes is the costliest step for a small
 * backbone, and 8 x 16 keeps it within the 2-core budget; no attention dropout.
 */
public final class ReprogrammingLayer {

  private final int heads;
  private final int dKeys;
  private final NDArray mappingWeight; // (V, S)
  private final NDArray mappingBias; // (S)
  private final NDArray queryWeight; // (dModel, heads * dKeys)
  private final NDArray queryBias;
  private final NDArray keyWeight; // (D, heads * dKeys)
  private final NDArray keyBias;
  private final NDArray valueWeight; // (D, heads * dKeys)
  private final NDArray valueBias;
  private final NDArray outWeight; // (heads * dKeys, D)
  private final NDArray outBias; // (D)

  /**
   * Wraps the parameters (shapes in the field comments).
   *
   * @param heads attention heads
   * @param dKeys width per head
   * @param p mapping weight, mapping bias, query, key, value and output weights and biases, in
   *     that order
   */
  public ReprogrammingLayer(int heads, int dKeys, NDArray... p) {
    this.heads = heads;
    this.dKeys = dKeys;
    this.mappingWeight = p[0];
    this.mappingBias = p[1];
    this.queryWeight = p[2];
    this.queryBias = p[3];
    this.keyWeight = p[4];
    this.keyBias = p[5];
    this.valueWeight = p[6];
    this.valueBias = p[7];
    this.outWeight = p[8];
    this.outBias = p[9];
  }

  /**
   * The text prototypes.
   *
   * @param table the frozen word embeddings; shape (V, D)
   * @return shape (S, D), in the manager of the mapping weight
   */
  public NDArray prototypes(NDArray table) {
    // mapping_layer(word_embeddings.permute(1, 0)).permute(1, 0): (S, V) @ (V, D) + bias per row
    return mappingWeight.transpose().matMul(table).add(mappingBias.expandDims(1));
  }

  /**
   * Reprograms patch embeddings into the LLM's embedding space.
   *
   * @param patches patch embeddings; shape (N, P, dModel)
   * @param prototypes from {@link #prototypes}; shape (S, D)
   * @return shape (N, P, D)
   */
  public NDArray forward(NDArray patches, NDArray prototypes) {
    long n = patches.getShape().get(0);
    long p = patches.getShape().get(1);
    long s = prototypes.getShape().get(0);
    // 1. Projections, heads first so that every head is one batched product: (heads, rows, dKeys);
    // the 1/sqrt(dKeys) scale goes on the queries, N*P*dKeys values, rather than on the scores,
    // N*P*S values per head, each pass over which costs (forward and backward) at S = 1000
    NDArray q = patches.matMul(queryWeight).add(queryBias) // (N, P, heads * dKeys)
        .mul(ModelRuntime.scalar(patches.getManager(), (float) (1 / Math.sqrt(dKeys)))) // an array: autograd saves it
        .reshape(n * p, heads, dKeys).transpose(1, 0, 2); // (heads, N*P, dKeys)
    NDArray k = prototypes.matMul(keyWeight).add(keyBias) // (S, heads * dKeys)
        .reshape(s, heads, dKeys).transpose(1, 2, 0); // (heads, dKeys, S)
    NDArray v = prototypes.matMul(valueWeight).add(valueBias)
        .reshape(s, heads, dKeys).transpose(1, 0, 2); // (heads, S, dKeys)
    // 2. softmax(q k^T / sqrt(dKeys)) v over the prototypes
    NDArray attention = q.matMul(k).softmax(-1); // (heads, N*P, S)
    NDArray out = attention.matMul(v) // (heads, N*P, dKeys)
        .transpose(1, 0, 2).reshape(n, p, (long) heads * dKeys);
    // 3. Back to the LLM width
    return out.matMul(outWeight).add(outBias); // (N, P, D)
  }
}

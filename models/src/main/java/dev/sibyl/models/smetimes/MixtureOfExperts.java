package dev.sibyl.models.smetimes;

import ai.djl.ndarray.NDArray;

/**
 * SMETimes' dynamic mixture of experts after the backbone (Fan et al., 2025): K linear experts
 * from a token's hidden state to the next segment, plus a domain base predictor, mixed per token by
 * a softmax gate over the K + 1 of them.
 *
 * <p>The base predictor is a linear model of the token's own (standardised) segment to the next
 * one. Why the segment and not the whole lookback up to the token: every position then sees the same
 * amount of history, so one set of weights serves all positions, and a streaming session needs
 * nothing but the newest segment. It gives the gate a cheap, backbone-free forecast to fall back on
 * per token, which is the reference's point of a "domain-specific base predictor".
 *
 * <p>Load balancing (Switch Transformer style, on the K experts only: the base predictor's share is
 * left to the gate): with the gate renormalised over the experts, {@code f_i} the fraction of tokens
 * whose largest expert weight is expert i and {@code P_i} the mean weight of expert i, the loss is
 * {@code K * sum_i f_i P_i}, 1 when the load is even; K = 1 makes it a constant (no gradient).
 *
 * <p>Departure: the reference code ships K = 1 (one projection: the mixture is off); here K is a
 * hyperparameter, 4 by default, and K = 1 keeps the gate between one expert and the base.
 */
final class MixtureOfExperts {

  private final int experts;
  private final int segment;
  private final NDArray gateW; // (D, K + 1)
  private final NDArray gateB; // (K + 1)
  private final NDArray expertW; // (D, K * S)
  private final NDArray expertB; // (K * S)
  private final NDArray baseW; // (S, S)
  private final NDArray baseB; // (S)

  /** The mixed prediction, the gate and the load-balancing loss of one pass. */
  record Output(NDArray prediction, NDArray gate, NDArray balance) {}

  MixtureOfExperts(
      int experts, int segment, NDArray gateW, NDArray gateB, NDArray expertW, NDArray expertB, NDArray baseW,
      NDArray baseB) {
    this.experts = experts;
    this.segment = segment;
    this.gateW = gateW;
    this.gateB = gateB;
    this.expertW = expertW;
    this.expertB = expertB;
    this.baseW = baseW;
    this.baseB = baseB;
  }

  /**
   * The gate: per token, a distribution over the K experts and the base predictor (last).
   *
   * @param hidden shape (N, T, D)
   * @return shape (N, T, K + 1), each row summing to one
   */
  NDArray gate(NDArray hidden) {
    return hidden.matMul(gateW).add(gateB).softmax(2);
  }

  /**
   * Mixes the experts and the base predictor.
   *
   * @param hidden the backbone's hidden states; shape (N, T, D)
   * @param segments every token's own standardised segment; shape (N, T, S)
   * @return the prediction (N, T, S), the gate (N, T, K + 1) and the balance loss (scalar)
   */
  Output forward(NDArray hidden, NDArray segments) {
    long n = hidden.getShape().get(0);
    long t = hidden.getShape().get(1);
    NDArray g = gate(hidden);
    NDArray expert = hidden.matMul(expertW).add(expertB).reshape(n, t, experts, segment); // (N, T, K, S)
    NDArray base = segments.matMul(baseW).add(baseB).expandDims(2); // (N, T, 1, S)
    NDArray all = expert.concat(base, 2); // (N, T, K + 1, S)
    NDArray prediction = all.mul(g.expandDims(3)).sum(new int[] {2});
    return new Output(prediction, g, balance(g));
  }

  /** {@code K * sum_i f_i P_i} over the experts, the gate renormalised without the base. */
  private NDArray balance(NDArray gate) {
    long n = gate.getShape().get(0);
    long t = gate.getShape().get(1);
    NDArray w = gate.get(":, :, :" + experts);
    w = w.div(w.sum(new int[] {2}, true));
    NDArray p = w.reshape(-1, experts).mean(new int[] {0}); // (K), differentiable
    // f: the share of tokens routed (argmax) to each expert, a constant for the gradient
    float[] weights = w.toFloatArray();
    float[] f = new float[experts];
    for (int i = 0; i < n * t; i++) {
      int best = 0;
      for (int k = 1; k < experts; k++) {
        if (weights[i * experts + k] > weights[i * experts + best]) {
          best = k;
        }
      }
      f[best] += 1f / (n * t);
    }
    return p.mul(p.getManager().create(f)).sum().mul(experts);
  }
}

package dev.sibyl.models.smetimes;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.sibyl.models.runtime.ModelRuntime;
import dev.sibyl.models.runtime.Softmax;

/**
 * SMETimes' dynamic mixture of experts after the backbone (Fan et al., 2025): K linear experts
 * from a token's hidden state to the next segment, plus a domain base predictor, mixed per token by
 * a softmax gate over the K + 1 of them.
 *
 * <p>The base predictor is a linear model of the raw (standardised) lookback up to the token: the
 * token's own segment and the {@code base.segments - 1} before it, B * S points to the next S, the
 * one set of weights shared by every position (DLinear's linear map without the decomposition, made
 * causal). Positions with fewer than B segments before them see zeros in place of the missing ones:
 * zero is the context's mean on the standardised scale, the neutral value, and it keeps the output
 * at token t a function of the segments up to t only. At the last position of a 672-point context
 * (B = 7) it reads the whole context, as the paper's "domain-specific base predictor" does, which
 * gives the gate a strong backbone-free forecast to lean on; B = 1 is the earlier design (the token's
 * own segment), kept as an option. A streaming session passes the B - 1 segments before its new
 * token ({@code past}).
 *
 * <p>Load balancing (Switch Transformer style, on the K experts only: the base predictor's share is
 * left to the gate): with the gate renormalised over the experts, {@code f_i} the fraction of tokens
 * whose largest expert weight is expert i and {@code P_i} the mean weight of expert i, the loss is
 * {@code K * sum_i f_i P_i}, 1 when the load is even; K = 1 makes it a constant (no gradient).
 *
 * <p>Departure: the reference code ships K = 1 (one projection: the mixture is off); here K is a
 * hyperparameter, 4 by default, and K = 1 keeps the gate between one expert and the base. A second
 * one, off by default ({@code expert.hidden} = 0): the experts may share a hidden layer (ReLU) over
 * the backbone's state, as AutoTimes' output projection is an MLP rather than one linear map; the
 * gate reads the backbone's state either way.
 */
final class MixtureOfExperts {

  private final int experts;
  private final int segment;
  private final NDArray gateW; // (D, K + 1)
  private final NDArray gateB; // (K + 1)
  private final NDArray hiddenW; // (D, H), null without the shared hidden layer
  private final NDArray hiddenB; // (H)
  private final NDArray expertW; // (D, K * S)
  private final NDArray expertB; // (K * S)
  private final int lags;
  private final NDArray baseW; // (B * S, S), oldest lag first
  private final NDArray baseB; // (S)

  /**
   * The mixed prediction and the gate of one pass, and the load-balancing loss on demand: a
   * training term, which copies the gate to the host to count the routing, so the inference passes
   * that never ask for it do not pay for it.
   */
  final class Output {

    private final NDArray prediction;
    private final NDArray gate;

    private Output(NDArray prediction, NDArray gate) {
      this.prediction = prediction;
      this.gate = gate;
    }

    /** The prediction of the next segment at every token; shape (N, T, S). */
    NDArray prediction() {
      return prediction;
    }

    /** The gate; shape (N, T, K + 1). */
    NDArray gate() {
      return gate;
    }

    /** The load-balancing loss of this pass's gate (scalar), computed at each call. */
    NDArray balance() {
      return MixtureOfExperts.this.balance(gate);
    }
  }

  MixtureOfExperts(
      int experts, int segment, NDArray gateW, NDArray gateB, NDArray hiddenW, NDArray hiddenB, NDArray expertW,
      NDArray expertB, NDArray baseW, NDArray baseB) {
    this.experts = experts;
    this.segment = segment;
    this.lags = (int) (baseW.getShape().get(0) / segment);
    this.gateW = gateW;
    this.gateB = gateB;
    this.hiddenW = hiddenW;
    this.hiddenB = hiddenB;
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
    return Softmax.lastAxis(hidden.matMul(gateW).add(gateB));
  }

  /** B, the segments the base predictor reads per token (its own included). */
  int lags() {
    return lags;
  }

  /**
   * Mixes the experts and the base predictor.
   *
   * @param hidden the backbone's hidden states; shape (N, T, D)
   * @param segments every token's own standardised segment; shape (N, T, S)
   * @param past the standardised segments just before the first token, oldest first, at most B - 1
   *     of them; shape (N, P, S); null for none (the first token starts the sequence)
   * @return the prediction (N, T, S) and the gate (N, T, K + 1), with the balance loss on demand
   */
  Output forward(NDArray hidden, NDArray segments, NDArray past) {
    long n = hidden.getShape().get(0);
    long t = hidden.getShape().get(1);
    NDArray g = gate(hidden);
    NDArray in = hiddenW == null ? hidden : Activation.relu(hidden.matMul(hiddenW).add(hiddenB));
    NDArray expert = in.matMul(expertW).add(expertB).reshape(n, t, experts, segment); // (N, T, K, S)
    NDArray base = base(segments, past).expandDims(2); // (N, T, 1, S)
    NDArray all = expert.concat(base, 2); // (N, T, K + 1, S)
    NDArray prediction = all.mul(g.expandDims(3)).sum(new int[] {2});
    return new Output(prediction, g);
  }

  /**
   * The base predictor alone: per token, the linear map of its B newest segments.
   *
   * @param segments shape (N, T, S)
   * @param past shape (N, P, S) with P < B, or null
   * @return shape (N, T, S)
   */
  NDArray base(NDArray segments, NDArray past) {
    long n = segments.getShape().get(0);
    long t = segments.getShape().get(1);
    long p = past == null ? 0 : past.getShape().get(1);
    if (p >= lags) {
      throw new IllegalArgumentException(
          "the base predictor reads " + (lags - 1) + " past segments at most, got " + past.getShape());
    }
    // 1. The history padded with zeros to B - 1 segments before the first token: (N, B - 1 + T, S)
    NDArray history = segments;
    if (past != null && p > 0) {
      history = past.concat(history, 1);
    }
    if (lags - 1 - p > 0) {
      history = segments.getManager().zeros(new Shape(n, lags - 1 - p, segment)).concat(history, 1);
    }
    // 2. Token t's lags side by side, oldest first: (N, T, B * S)
    NDList lagged = new NDList(lags);
    for (int j = 0; j < lags; j++) {
      lagged.add(history.get(":, " + j + ":" + (j + t) + ", :"));
    }
    NDArray x = lags == 1 ? lagged.get(0) : NDArrays.concat(lagged, 2);
    // 3. One linear map for every position
    return x.matMul(baseW).add(baseB);
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
    return p.mul(ModelRuntime.owned(p.getManager(), f, new Shape(experts))).sum().mul(ModelRuntime.scalar(p.getManager(), experts));
  }
}

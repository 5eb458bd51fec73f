package dev.sibyl.models.autotimes;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/**
 * The segment embedding (96 points to the LLM width D) and the segment projection (D back to 96
 * points) of AutoTimes (Liu et al., NeurIPS 2024; reference {@code models/AutoTimes_Llama.py:
 * encoder, decoder}): a linear layer, or an MLP with one hidden ReLU layer, applied to every
 * token independently.
 *
 * <p>Departure: the reference's MLP may stack several hidden layers ({@code mlp_hidden_layers}) and
 * applies dropout; here at most one hidden layer and no dropout.
 */
public final class SegmentMlp {

  private final NDArray w1; // (in, hidden) or (in, out) without a hidden layer
  private final NDArray b1; // (hidden) or (out)
  private final NDArray w2; // (hidden, out), null without a hidden layer
  private final NDArray b2; // (out), null without a hidden layer

  /**
   * Wraps the parameters.
   *
   * @param w1 shape (in, hidden), or (in, out) for a single linear layer
   * @param b1 shape (hidden) or (out)
   * @param w2 shape (hidden, out), or null for a single linear layer
   * @param b2 shape (out), or null
   */
  public SegmentMlp(NDArray w1, NDArray b1, NDArray w2, NDArray b2) {
    this.w1 = w1;
    this.b1 = b1;
    this.w2 = w2;
    this.b2 = b2;
  }

  /**
   * Maps every token.
   *
   * @param x shape (N, T, in)
   * @return shape (N, T, out), in the manager of {@code x}'s operations
   */
  public NDArray forward(NDArray x) {
    NDArray h = x.matMul(w1).add(b1);
    if (w2 == null) {
      return h;
    }
    // hidden ReLU, then the output layer
    return Activation.relu(h).matMul(w2).add(b2);
  }
}

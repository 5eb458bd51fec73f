package dev.sibyl.models.backbone;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sibyl.models.runtime.ModelRuntime;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.IntConsumer;

/**
 * Contrastive search decoding (Su et al., "A Contrastive Framework for Neural Text Generation",
 * NeurIPS 2022), on the key/value cache.
 *
 * <p>At each step the {@code k} most probable next tokens {@code v} are candidates, and the chosen
 * one maximises {@code (1 - alpha) * p(v | x<t) - alpha * max_j cos(h_v, h_j)}, where {@code h_v}
 * is the candidate's own hidden state (the last layer's, after the final norm, with the candidate
 * appended) and {@code h_j} runs over the hidden states of every earlier position (prompt
 * included). With {@code alpha = 0} it is greedy decoding.
 *
 * <p>How the cache is used (the approach of Hugging Face's implementation): the state holds {@code
 * k} copies of the sequence, one per batch row. The prompt is prefilled in all rows. Each step
 * feeds the {@code k} candidates as one batched one-token forward pass, row {@code i} taking
 * candidate {@code i}; that single pass yields every candidate's hidden state (for the penalty)
 * and next-token logits. The winner's row is then copied into every row ({@link
 * DecoderState#reorderRows}), so the cache again holds {@code k} copies of the chosen sequence,
 * and the winner's logits drive the next step. Cost per token: one batch-{@code k} step instead of
 * one batch-1 step; the earlier hidden states are kept L2-normalised {@code (t, dim)}.
 *
 * <p>Stateless apart from the decoder, hence thread-safe.
 */
public final class ContrastiveSearch {

  private final Decoder decoder;

  /**
   * Creates a contrastive search generator.
   *
   * @param decoder the model; never null, not closed here
   */
  public ContrastiveSearch(Decoder decoder) {
    this.decoder = Objects.requireNonNull(decoder, "decoder");
  }

  /**
   * Generates tokens after a prompt, with the step semantics of {@link Generator}.
   *
   * @param prompt the prompt ids, at least one, at most {@code steps}
   * @param options steps and stop token; {@code useKvCache} must be true
   * @param contrastive alpha and k; never null
   * @param onToken called with each new token; never null
   * @return the new tokens; the stop token is not included
   * @throws IllegalArgumentException when the prompt is empty or longer than {@code steps}, {@code
   *     steps >= maxSeqLen} (every chosen token is fed once to score it), or the cache is off
   */
  public int[] generate(
      int[] prompt, GenerationOptions options, ContrastiveOptions contrastive, IntConsumer onToken) {
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(contrastive, "contrastive");
    Objects.requireNonNull(onToken, "onToken");
    int steps = options.steps();
    int maxSeqLen = decoder.config().maxSeqLen();
    if (!options.useKvCache()) {
      throw new IllegalArgumentException("contrastive search runs on the KV cache: useKvCache=false");
    }
    if (prompt.length < 1 || prompt.length > steps) {
      throw new IllegalArgumentException(
          "prompt length must be in [1, steps=" + steps + "], got " + prompt.length);
    }
    if (steps >= maxSeqLen) {
      throw new IllegalArgumentException(
          "steps must be < maxSeqLen=" + maxSeqLen + " for contrastive search, got " + steps);
    }
    int vocab = decoder.config().vocabSize();
    int k = Math.min(contrastive.k(), vocab);
    float alpha = contrastive.alpha();
    int dim = decoder.config().dim();
    int[] sequence = Arrays.copyOf(prompt, steps + 1);
    int length = prompt.length;
    try (NDManager manager = NDManager.newBaseManager(decoder.device());
        DecoderState state = decoder.newState(k)) {
      // prefill: the prompt in all k rows, (k, P) -> hidden (k, P, dim)
      float[] logits;
      NDArray context; // L2-normalised hidden states of every position so far (t, dim)
      try (NDManager step = manager.newSubManager()) {
        int[] ids = new int[k * prompt.length];
        for (int r = 0; r < k; r++) {
          System.arraycopy(prompt, 0, ids, r * prompt.length, prompt.length);
        }
        NDArray emb = decoder.tokenEmbeddings(ModelRuntime.owned(step, ids, new Shape(k, prompt.length)));
        NDArray hidden = decoder.forward(emb, state).get("0"); // (P, dim)
        context = normalize(hidden);
        context.attach(manager);
        logits = decoder.logits(hidden.get("-1:, :").expandDims(0)).toFloatArray(); // (1,1,V)
      }
      for (int pos = prompt.length - 1; pos < steps; pos++) {
        try (NDManager step = manager.newSubManager()) {
          // candidates: the top-k tokens by p(v | x<t) = softmax(logits)
          double[] probs = softmax(logits);
          int[] top = topK(probs, k);

          // one batched step: row i feeds candidate i at position pos + 1
          NDArray ids = ModelRuntime.owned(step, top, new Shape(k, 1));
          NDArray hidden = decoder.forward(decoder.tokenEmbeddings(ids), state); // (k, 1, dim)
          NDArray h = normalize(hidden.reshape(k, dim)); // (k, dim)

          // degeneration penalty: max_j cos(h_v, h_j) over the context, (k, t) -> (k)
          float[] maxSim = h.matMul(context.transpose()).max(new int[] {1}).toFloatArray();

          // score = (1 - alpha) * p(v) - alpha * penalty; the first best wins ties
          int best = 0;
          double bestScore = Double.NEGATIVE_INFINITY;
          for (int i = 0; i < k; i++) {
            double score = (1.0 - alpha) * probs[top[i]] - alpha * (double) maxSim[i];
            if (score > bestScore) {
              bestScore = score;
              best = i;
            }
          }
          int next = top[best];
          if (next == options.stopToken()) {
            break;
          }
          sequence[length++] = next;
          onToken.accept(next);

          // keep the winner: its row everywhere in the cache, its hidden state in the context
          int[] rows = new int[k];
          Arrays.fill(rows, best);
          state.reorderRows(rows);
          NDArray grown = context.concat(h.get("{}:{}", best, best + 1), 0); // (t + 1, dim)
          grown.attach(manager);
          context.close();
          context = grown;
          logits = decoder.logits(hidden.get("{}:{}", best, best + 1)).toFloatArray(); // (1,1,V)
        }
      }
    }
    return Arrays.copyOfRange(sequence, prompt.length, length);
  }

  /** Rows divided by their L2 norm (at least 1e-12), {@code (n, dim)}. */
  private static NDArray normalize(NDArray x) {
    NDArray norm = x.square().sum(new int[] {1}, true).sqrt().maximum(1e-12f);
    return x.div(norm);
  }

  /** Softmax in double precision. */
  static double[] softmax(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l);
    }
    double[] p = new double[logits.length];
    double sum = 0;
    for (int i = 0; i < logits.length; i++) {
      p[i] = Math.exp(logits[i] - max);
      sum += p[i];
    }
    for (int i = 0; i < p.length; i++) {
      p[i] /= sum;
    }
    return p;
  }

  /**
   * The indices of the k largest values, largest first, lower index first among equals: one pass
   * with insertion into a sorted list of k, {@code O(V k)}.
   */
  static int[] topK(double[] values, int k) {
    int[] out = new int[k];
    int count = 0;
    for (int i = 0; i < values.length; i++) {
      double v = values[i];
      if (count == k && !(v > values[out[k - 1]])) {
        continue;
      }
      // insert after every kept index whose value is >= v (earlier indices win ties)
      int at = count == k ? k - 1 : count++;
      while (at > 0 && values[out[at - 1]] < v) {
        out[at] = out[at - 1];
        at--;
      }
      out[at] = i;
    }
    return out;
  }
}

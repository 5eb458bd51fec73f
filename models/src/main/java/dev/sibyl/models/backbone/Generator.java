package dev.sibyl.models.backbone;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sibyl.models.runtime.ModelRuntime;
import dev.sibyl.models.tokenizer.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.IntConsumer;

/**
 * Autoregressive text generation on a {@link Decoder}, with llama2.c's {@code generate} semantics:
 * the prompt fills positions {@code [0, P)}, then one token is sampled per position until {@code
 * steps} positions have been sampled from or the stop token comes.
 *
 * <p>With the key/value cache the prompt runs in one pass and every later step feeds one token;
 * without it every step recomputes the whole sequence (the reference the cache is tested against).
 * Stateless apart from the decoder, hence thread-safe; samplers are per call.
 */
public final class Generator {

  private final Decoder decoder;

  /**
   * Creates a generator.
   *
   * @param decoder the model; never null, not closed by the generator
   */
  public Generator(Decoder decoder) {
    this.decoder = Objects.requireNonNull(decoder, "decoder");
  }

  /**
   * Generates tokens after a prompt.
   *
   * @param prompt the prompt ids, at least one (llama2.c starts from BOS), at most {@code steps}
   * @param options steps, cache mode and stop token; never null
   * @param sampler picks each token; never null
   * @return the new tokens, at most {@code steps - prompt.length + 1}; the stop token is not
   *     included
   * @throws IllegalArgumentException when the prompt is empty or longer than {@code steps}, or
   *     {@code steps} exceeds {@code maxSeqLen}
   */
  public int[] generate(int[] prompt, GenerationOptions options, Sampler sampler) {
    return generate(prompt, options, sampler, token -> {});
  }

  /**
   * Generates tokens after a prompt, reporting each as it is chosen.
   *
   * @param prompt the prompt ids, at least one, at most {@code steps}
   * @param options steps, cache mode and stop token; never null
   * @param sampler picks each token; never null
   * @param onToken called with each new token, in order; never null
   * @return the new tokens; the stop token is not included
   * @throws IllegalArgumentException as {@link #generate(int[], GenerationOptions, Sampler)}
   */
  public int[] generate(
      int[] prompt, GenerationOptions options, Sampler sampler, IntConsumer onToken) {
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(sampler, "sampler");
    Objects.requireNonNull(onToken, "onToken");
    int steps = options.steps();
    int maxSeqLen = decoder.config().maxSeqLen();
    if (prompt.length < 1 || prompt.length > steps) {
      throw new IllegalArgumentException(
          "prompt length must be in [1, steps=" + steps + "], got " + prompt.length);
    }
    if (steps > maxSeqLen) {
      throw new IllegalArgumentException(
          "steps must be <= maxSeqLen=" + maxSeqLen + ", got " + steps);
    }
    int[] sequence = Arrays.copyOf(prompt, steps + 1);
    int length = prompt.length;
    try (NDManager manager = NDManager.newBaseManager(decoder.device());
        DecoderState state = options.useKvCache() ? decoder.newState(1) : null) {
      // sample at positions P-1 .. steps-1, as llama2.c's "while (pos < steps)"
      for (int pos = prompt.length - 1; pos < steps; pos++) {
        float[] logits;
        if (state == null) {
          // no cache: recompute the whole sequence [0, pos] from an empty state
          try (DecoderState fresh = decoder.newState(1)) {
            logits = lastLogits(manager, fresh, sequence, 0, length);
          }
        } else {
          // cache: feed only what it has not seen (the prompt first, then one token)
          int from = state.position();
          logits = lastLogits(manager, state, sequence, from, length);
        }
        int next = sampler.sample(logits);
        if (next == options.stopToken()) {
          break;
        }
        sequence[length++] = next;
        onToken.accept(next);
      }
    }
    return Arrays.copyOfRange(sequence, prompt.length, length);
  }

  /**
   * What llama2.c's run.c prints for a generation: each token after the first, decoded given its
   * predecessor, skipping empty pieces and single bytes that are neither printable nor white space
   * ({@code safe_printf}); without run.c's final newline.
   *
   * @param tokenizer the tokenizer; never null
   * @param prompt the prompt ids, at least one
   * @param generated the generated ids
   * @return the printed bytes
   */
  public static byte[] render(Tokenizer tokenizer, int[] prompt, int[] generated) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int token = prompt[0];
    for (int i = 1; i < prompt.length + generated.length; i++) {
      int next = i < prompt.length ? prompt[i] : generated[i - prompt.length];
      byte[] piece = tokenizer.decode(token, next);
      if (piece.length > 1 || (piece.length == 1 && printable(piece[0] & 0xFF))) {
        out.writeBytes(piece);
      }
      token = next;
    }
    return out.toByteArray();
  }

  /** C's {@code isprint(b) || isspace(b)} in the "C" locale. */
  private static boolean printable(int b) {
    return (b >= 0x20 && b <= 0x7E) || (b >= 0x09 && b <= 0x0D);
  }

  /** Runs tokens {@code [from, to)} at positions {@code [from, to)}; the logits of the last. */
  private float[] lastLogits(
      NDManager manager, DecoderState state, int[] sequence, int from, int to) {
    try (NDManager step = manager.newSubManager()) {
      int[] ids = Arrays.copyOfRange(sequence, from, to);
      NDArray embeddings = decoder.tokenEmbeddings(ModelRuntime.owned(step, ids, new Shape(1, ids.length)));
      NDArray last = decoder.forwardLast(embeddings, state, decoder.config().nLayers()); // (1, 1, dim)
      return decoder.logits(last).toFloatArray(); // (1, 1, vocab) flattened
    }
  }
}

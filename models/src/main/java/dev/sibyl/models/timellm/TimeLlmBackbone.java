package dev.sibyl.models.timellm;

import ai.djl.Device;
import dev.sibyl.models.backbone.Decoder;
import dev.sibyl.models.backbone.PinnedBackbone;
import dev.sibyl.models.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The frozen language model of a Time-LLM model: the decoder and its tokenizer, loaded from the
 * checkpoint an artifact names, after checking the checkpoint's SHA-256 against the one recorded at
 * training (a different file would silently change every forecast).
 *
 * @param decoder the frozen decoder; closed by {@link #close()}
 * @param tokenizer its tokenizer; closed by {@link #close()}
 */
public record TimeLlmBackbone(Decoder decoder, Tokenizer tokenizer) implements AutoCloseable {

  /**
   * Loads the backbone of a configuration.
   *
   * @param config names the checkpoint (and, when set, its digest and tokenizer); not null
   * @param device where the weights live; not null
   * @return the backbone; the caller closes it
   * @throws IOException when the checkpoint or tokenizer is missing or unreadable, or the digest
   *     differs from the recorded one (the message names the path and both digests)
   */
  public static TimeLlmBackbone open(TimeLlmConfig config, Device device) throws IOException {
    PinnedBackbone b =
        PinnedBackbone.open(
            "time-llm", config.backbone(), config.backboneSha256(), config.tokenizer(), TimeLlmConfig.TOKENIZER, device);
    return new TimeLlmBackbone(b.decoder(), b.tokenizer());
  }

  /**
   * The SHA-256 of a checkpoint; see {@link PinnedBackbone#sha256}.
   *
   * @param path a file or directory; not null
   * @return 64 lowercase hex digits
   * @throws IOException when a file cannot be read
   */
  public static String sha256(Path path) throws IOException {
    return PinnedBackbone.sha256(path);
  }

  @Override
  public void close() {
    tokenizer.close();
    decoder.close();
  }
}

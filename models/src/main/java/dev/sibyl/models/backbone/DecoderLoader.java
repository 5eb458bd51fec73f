package dev.sibyl.models.backbone;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Loads any supported checkpoint, choosing the loader by what {@code path} is: a regular file is a
 * llama2.c checkpoint ({@link Llama2cCheckpoint}); a directory with {@code config.json} is a
 * Hugging Face checkpoint, GPT-2 ({@link Gpt2Checkpoint}) when its {@code model_type} is {@code
 * gpt2} and Llama-family ({@link HfLlamaCheckpoint}) otherwise.
 */
public final class DecoderLoader {

  private DecoderLoader() {}

  /**
   * The kind of checkpoint at a path.
   *
   * @param path a file or directory; never null
   * @return {@code "llama2c"}, {@code "gpt2"} or the Hugging Face {@code model_type}
   * @throws IOException when the path is neither a file nor a directory with {@code config.json}
   */
  public static String detect(Path path) throws IOException {
    Objects.requireNonNull(path, "path");
    if (Files.isRegularFile(path)) {
      return "llama2c";
    }
    if (Files.isDirectory(path) && Files.isRegularFile(path.resolve(HfConfig.FILE))) {
      return HfConfig.modelType(path);
    }
    throw new IOException(
        path + ": neither a llama2.c checkpoint file nor a directory with " + HfConfig.FILE);
  }

  /**
   * Loads a checkpoint.
   *
   * @param path a llama2.c file or a Hugging Face directory; never null
   * @param device the device for the weights; never null
   * @param maxSeqLen for Hugging Face checkpoints, the longest sequence a state may hold (0 for the
   *     configuration's); ignored for llama2.c files, whose header fixes it
   * @return the decoder; the caller closes it
   * @throws IOException when the checkpoint is missing, malformed or unsupported
   */
  public static Decoder load(Path path, Device device, int maxSeqLen) throws IOException {
    String kind = detect(path);
    return switch (kind) {
      case "llama2c" -> Llama2cCheckpoint.load(path, device);
      case "gpt2" -> Gpt2Checkpoint.load(path, device, maxSeqLen);
      default -> HfLlamaCheckpoint.load(path, device, maxSeqLen);
    };
  }
}

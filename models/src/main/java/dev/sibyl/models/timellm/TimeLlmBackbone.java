package dev.sibyl.models.timellm;

import ai.djl.Device;
import dev.sibyl.models.backbone.Decoder;
import dev.sibyl.models.backbone.DecoderLoader;
import dev.sibyl.models.tokenizer.HfTokenizer;
import dev.sibyl.models.tokenizer.Llama2cTokenizer;
import dev.sibyl.models.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

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
    if (config.backbone().isBlank()) {
      throw new IOException(
          "time-llm needs a backbone checkpoint (train with --backbone <llama2.c file or Hugging Face"
              + " directory>)");
    }
    Path path = Path.of(config.backbone());
    if (!Files.exists(path)) {
      throw new IOException(
          "time-llm backbone " + path + " not found (the artifact was trained with it; paths are"
              + " relative to the working directory)");
    }
    if (!config.backboneSha256().isBlank()) {
      String actual = sha256(path);
      if (!actual.equals(config.backboneSha256())) {
        throw new IOException(
            "time-llm backbone " + path + " has SHA-256 " + actual + " but the artifact was trained"
                + " with " + config.backboneSha256());
      }
    }
    Decoder decoder = DecoderLoader.load(path, device, 0);
    try {
      Tokenizer tokenizer = tokenizer(config, path, decoder.config().vocabSize());
      if (tokenizer.vocabSize() != decoder.config().vocabSize()) {
        tokenizer.close();
        throw new IOException(
            "time-llm tokenizer has " + tokenizer.vocabSize() + " tokens, the backbone "
                + decoder.config().vocabSize());
      }
      return new TimeLlmBackbone(decoder, tokenizer);
    } catch (IOException | RuntimeException e) {
      decoder.close();
      throw e;
    }
  }

  private static Tokenizer tokenizer(TimeLlmConfig config, Path checkpoint, int vocab)
      throws IOException {
    if (!config.tokenizer().isBlank()) {
      Path file = Path.of(config.tokenizer());
      return file.getFileName().toString().endsWith(".json")
          ? HfTokenizer.load(file)
          : Llama2cTokenizer.load(file);
    }
    if (Files.isDirectory(checkpoint)) {
      return HfTokenizer.load(checkpoint.resolve("tokenizer.json"));
    }
    Path dir = checkpoint.toAbsolutePath().getParent();
    for (String name : new String[] {"tok" + vocab + ".bin", "tokenizer.bin"}) {
      Path file = dir.resolve(name);
      if (Files.isRegularFile(file)) {
        return Llama2cTokenizer.load(file);
      }
    }
    throw new IOException(
        "no tokenizer beside " + checkpoint + " (tok" + vocab + ".bin or tokenizer.bin); set the"
            + " time-llm hyperparameter '" + TimeLlmConfig.TOKENIZER + "'");
  }

  /**
   * The SHA-256 of a checkpoint: of the file, or of a directory's {@code config.json} and {@code
   * *.safetensors} files in name order.
   *
   * @param path a file or directory; not null
   * @return 64 lowercase hex digits
   * @throws IOException when a file cannot be read
   */
  public static String sha256(Path path) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256, which every Java SE must", e);
    }
    List<Path> files = new ArrayList<>();
    if (Files.isDirectory(path)) {
      try (Stream<Path> s = Files.list(path)) {
        s.filter(
                p -> {
                  String n = p.getFileName().toString();
                  return n.equals("config.json") || n.endsWith(".safetensors");
                })
            .sorted()
            .forEach(files::add);
      }
    } else {
      files.add(path);
    }
    byte[] buffer = new byte[1 << 16];
    for (Path f : files) {
      try (InputStream in = new DigestInputStream(Files.newInputStream(f), sha)) {
        while (in.read(buffer) >= 0) {
          // the digest stream hashes what passes
        }
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  @Override
  public void close() {
    tokenizer.close();
    decoder.close();
  }
}
